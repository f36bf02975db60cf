import type { FieldModule } from './types';

/** `boolean`: a checkbox inside its label. Unticked is an answer too: false, not missing. */
export const boolean: FieldModule = {
  initial: false,
  labelled: true,
  view: ({ field, value, control, onChange }) => (
    <label class="chk">
      <input {...control} type="checkbox" checked={value === true} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      {field.label}
    </label>
  ),
};
