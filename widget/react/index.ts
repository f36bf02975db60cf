/**
 * The widget's React bindings (the npm package's `…/react`): built into `react.mjs`, which imports
 * the loader from `./alloy.mjs`, so they share the page's one session.
 */
export { AlloyProvider, useAlloy, type AlloyProviderProps } from './AlloyProvider';
export { useIntegrations, type UseIntegrationsResult } from './useIntegrations';
export { Integrations, type IntegrationsProps } from './Integrations';
export { InstallButton, type InstallButtonProps, type InstallButtonState } from './InstallButton';
export type { AlloyApi, AlloyEvent, AlloyErrorCode, Integration, InstallOptions, InstallResult, PageOptions, Strings, Theme, TokenProvider, Workflow } from '../types';
