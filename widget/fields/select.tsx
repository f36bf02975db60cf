import { selectOf, withChoices } from './choices';
import type { FieldModule } from './types';

/** `select`: one of the options (the definition's, or the app's, which may depend on other fields). */
export const select: FieldModule = {
  view: (props) => withChoices(props, (choices) => selectOf(props.control, choices, props.value, props.strings.choose, props.onChange)),
};
