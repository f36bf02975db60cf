/** Every word the widget shows; override any with the `strings` option. */
export const defaultStrings = {
  close: 'Close',
  loading: 'Loading…',
  connectTitle: 'Connect your {app} account',
  connectWith: 'Connect with {app}',
  orUseKey: 'Or enter the details',
  connect: 'Connect',
  remove: 'Remove',
  popupBlocked: 'The sign-in window was blocked. Allow pop-ups for this page and try again.',
  popupClosed: 'The sign-in window was closed before the account was connected.',
  settingsTitle: 'Settings',
  install: 'Install',
  save: 'Save',
  installing: 'Saving…',
  doneTitle: '{app} is ready',
  doneBody: 'All set. You can close this window.',
  signingSecret: 'Signing secret: copy it now, it is shown only once',
  required: '{label} is required',
  choose: 'Choose…',
  optionsFailed: 'Could not load the choices.',
  retry: 'Retry',
  integrationsEmpty: 'No integrations are available yet.',
  integrationsFailed: 'Could not load the integrations.',
  search: 'Search integrations',
  installed: 'Installed',
  notInstalled: 'Not installed',
  updateAvailable: 'Update available',
  upgrade: 'Update',
  active: 'Active',
  configure: 'Configure',
  uninstall: 'Uninstall',
  reconnect: 'Reconnect needed',
};

export type Strings = typeof defaultStrings;

/** Fills `{name}` placeholders. */
export const fill = (text: string, values: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => values[k] ?? '');
