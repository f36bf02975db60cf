import { withChoices } from './choices';
import type { FieldModule } from './types';

/** `multiselect`: any number of the options, as an array of their values. */
export const multiselect: FieldModule = {
  view: (props) =>
    withChoices(props, (choices) => {
      const selected = (props.value as string[] | undefined) ?? [];
      return (
        <select {...props.control} multiple onChange={(e) => props.onChange([...(e.currentTarget as HTMLSelectElement).selectedOptions].map((o) => o.value))}>
          {choices.map((o) => (
            <option value={o.value} selected={selected.includes(o.value)}>
              {o.label}
            </option>
          ))}
        </select>
      );
    }),
};
