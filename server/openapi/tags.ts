import type { RouteDoc } from '../api';

/** The document's tags in the order the reference page shows them, each with what its operations are for. */
export const TAGS: Array<{ name: string; description: string }> = [
  { name: 'Users', description: 'The end users of your app: create them (one per account of yours), mint their tokens for the widget, delete them and their data.' },
  { name: 'Integrations', description: 'What a user can install: the integrations, their workflows and fields, the custom events and the options of a field.' },
  { name: 'Headless installation', description: 'Install for a user from your own UI (Alloy’s headless mode): start, fill the fields, complete, edit; list installations.' },
  { name: 'Credentials', description: 'The accounts users connect: what each app asks for, storing a credential or an OAuth link, listing and deleting them.' },
  { name: 'Events', description: 'Start workflows: a custom event for every matching installation of a user, or one workflow directly. Both take an Idempotency-Key.' },
  { name: 'Workflows', description: 'Workflows per user: activate, deactivate, upgrade, uninstall; their users, analytics, logs and errors; re-run a failed execution.' },
  { name: 'End user (widget)', description: 'What the widget (or your page) calls with a user token: the user’s own integrations, accounts and installations, and app events.' },
  { name: 'Tokens', description: 'The public keys that verify user tokens (a JWKS).' },
  { name: 'Operations', description: 'For the operator: liveness and store health.' },
];

/** A route's tags; one without any is filed under "Other" (the linters want a tag on every operation). */
export function tagsOf(doc: RouteDoc): string[] {
  return doc.tags?.length ? doc.tags : ['Other'];
}
