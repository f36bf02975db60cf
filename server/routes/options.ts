import { z } from 'zod';
import { param, type Api } from '../api';
import type { Services } from '../domain/context';
import { loadOptions } from '../domain/options';
import { requireUser } from '../domain/users';
import { FieldOptionView, LIMITS } from '../../widget/schema';

// The values of the fields a source depends on come as further query parameters, each named after
// its field (`?credentialId=c1&treeId=7`); only those the source takes are read.
const OptionsQuery = z
  .object({ credentialId: z.string().min(1).meta({ description: 'The user’s credential of the app, to load the options with.' }) })
  .catchall(z.string().max(LIMITS.configValueChars, `must be at most ${LIMITS.configValueChars} characters`));
const OptionsResponse = z.object({ data: z.array(FieldOptionView) });

const description =
  'For a field whose `optionsSource` has `dependsOn`, send the current value of each field it names as a query parameter of the same name ' +
  '(`?credentialId=…&treeId=7`); a missing one is a 400 naming it. Options are cached for 60 seconds per credential, source and parameters, ' +
  'so the install that follows checks the chosen value without asking the app again. A failure at the app is a 502 `upstream_error`.';

/** The query's parent values: every parameter but `credentialId`. */
const parentValues = ({ credentialId: _, ...rest }: z.output<typeof OptionsQuery>) => rest as Record<string, string>;

export function optionRoutes(isv: Api, endUser: Api, services: Services) {
  const summary = 'Options of a field loaded from the app with a credential (e.g. Slack channels)';
  const load = (userId: string, c: Parameters<typeof param>[0], query: z.output<typeof OptionsQuery>) =>
    loadOptions(services, { userId, connectorId: param(c, 'connector'), source: param(c, 'source'), credentialId: query.credentialId, params: parentValues(query) });
  isv.get('/users/:userId/options/:connector/:source', { summary, description, tags: ['Integrations'], query: OptionsQuery, response: OptionsResponse }, async (c, { query }) => {
    const user = await requireUser(services.store, param(c, 'userId'));
    return c.json({ data: await load(user.userId, c, query) });
  });
  endUser.get('/me/options/:connector/:source', { summary, description, tags: ['End user (widget)'], query: OptionsQuery, response: OptionsResponse }, async (c, { query }) =>
    c.json({ data: await load(c.get('userId'), c, query) }),
  );
}
