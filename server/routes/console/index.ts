import type { Hono } from 'hono';
import { Api, type AppEnv, type RouteDoc } from '../../api';
import type { Services } from '../../domain/context';
import { consoleGuard, SignInLimit } from '../../domain/console/session';
import { ConsoleLists, ConsoleSessions } from '../../store/console';
import { definitionRoutes } from './definitions';
import { deliveryRoutes } from './deliveries';
import { errorRoutes } from './errors';
import { executionRoutes } from './executions';
import { overviewRoutes } from './overview';
import { sessionRoutes } from './session';
import { userRoutes } from './users';

/** What each group of console routes is built with. */
export interface ConsoleContext {
  services: Services;
  sessions: ConsoleSessions;
  lists: ConsoleLists;
  /** Epoch milliseconds: the sessions' and the windows' clock. */
  now: () => number;
}

/**
 * The ISV console's sign-in (`/console/session`) and JSON API (`/console/api/*`), docs/console.md.
 * Its routes are declared with their zod schemas like the others, into a document of their own:
 * the console's API is the console's, not part of the public API reference (/openapi.json).
 * The page itself (`/console`, `/console/assets/*`) is served beside these.
 *
 * @example if (config.console) consoleRoutes(app, services)
 */
export function consoleRoutes(app: Hono<AppEnv>, services: Services): void {
  const docs: RouteDoc[] = [];
  const now = Date.now;
  const context: ConsoleContext = { services, sessions: new ConsoleSessions(services.store.db), lists: new ConsoleLists(services.store.db), now };
  const open = new Api(app, 'none', docs);
  const signedIn = new Api(app, 'none', docs, consoleGuard(context.sessions, now));
  sessionRoutes(open, signedIn, context, new SignInLimit());
  overviewRoutes(signedIn, context);
  userRoutes(signedIn, context);
  executionRoutes(signedIn, context);
  errorRoutes(signedIn, context);
  definitionRoutes(signedIn, context);
  deliveryRoutes(signedIn, context);
}

/** A workflow's name from the definition files, or its id when the files no longer have it. */
export const workflowName = (services: Services, workflowId: string): string => services.definitions.workflow(workflowId)?.workflow.name ?? workflowId;
