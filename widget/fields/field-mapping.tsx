import { fill } from '../strings';
import { selectOf, withChoices } from './choices';
import type { FieldModule } from './types';

/**
 * `fieldMapping`: for each of the ISV's fields (`sourceFields`), which of the account's fields it
 * goes to, custom ones included (the options, loaded from the app). The value is
 * `{ <source field>: <account field> }`; the account's required fields are marked, and the server
 * refuses a mapping that leaves one out.
 */
export const fieldMapping: FieldModule = {
  group: true,
  view: (props) =>
    withChoices(props, (choices) => {
      const mapping = (props.value as Record<string, string> | undefined) ?? {};
      const marked = choices.map((o) => (o.required ? { ...o, label: fill(props.strings.requiredTarget, { label: o.label }) } : o));
      return (
        <div class="map">
          {props.field.sourceFields?.map((s) => {
            const id = `${props.control.id}-${s.name}`;
            return (
              <div class="row">
                <label for={id}>{s.label}</label>
                {selectOf(
                  { id, name: id, required: s.required, 'aria-describedby': props.control['aria-describedby'] },
                  marked,
                  mapping[s.name],
                  props.strings.choose,
                  (target) => {
                    const next = { ...mapping };
                    if (target) next[s.name] = target;
                    else delete next[s.name];
                    props.onChange(Object.keys(next).length ? next : undefined);
                  },
                )}
              </div>
            );
          })}
        </div>
      );
    }),
};
