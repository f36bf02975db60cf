import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of the Jira Cloud platform REST API v3 (https://<site>.atlassian.net/rest/api/3): projects,
 * their issue types, issues with comments and a To Do / In Progress / Done workflow, and the JQL
 * search (a small part of JQL: `project = X`, `updated >= <date or period>`, joined by AND, with
 * ORDER BY). Basic auth with an account email and API token; errors are
 * `{ errorMessages: [...], errors: { field: message } }`.
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/
 */

export const JIRA_SITE = 'acme';
export const JIRA_EMAIL = 'ada@example.com';
export const JIRA_TOKEN = 'ATATT3xFfGF0-good-jira-token';
export const JIRA_DISPLAY_NAME = 'Ada Lovelace';

export interface FakeJiraProject {
  id: string;
  key: string;
  name: string;
}

export interface FakeJiraIssueType {
  id: string;
  name: string;
  subtask: boolean;
  hierarchyLevel: number;
}

export interface FakeJiraIssue {
  id: string;
  key: string;
  self: string;
  fields: {
    summary: string;
    description: unknown;
    project: FakeJiraProject;
    issuetype: FakeJiraIssueType;
    status: { id: string; name: string };
    labels: string[];
    created: string;
    updated: string;
  };
}

export interface FakeJiraComment {
  id: string;
  issueId: string;
  body: unknown;
  created: string;
}

export interface JiraFake extends AppFake {
  projects: FakeJiraProject[];
  /** Issue types by project id. */
  issueTypes: Map<string, FakeJiraIssueType[]>;
  issues: FakeJiraIssue[];
  comments: FakeJiraComment[];
  /** Adds an issue as if made at `updated` (default now), in a project that must exist. */
  addIssue(projectKey: string, summary: string, updated?: Date): FakeJiraIssue;
  /** Adds projects KEY1…KEYn named `Project n`. */
  addProjects(count: number): void;
}

/** The statuses of the fake's workflow, and the transition that moves an issue into each (Jira's default simplified workflow ids). */
const STATUSES = [
  { transition: '11', id: '10000', name: 'To Do' },
  { transition: '21', id: '3', name: 'In Progress' },
  { transition: '31', id: '10001', name: 'Done' },
];

/** Jira writes times as `2024-05-01T10:20:30.123+0000` (the offset is the account's time zone; UTC here). */
export function jiraTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

function errorBody(_status: number, message: string) {
  return { errorMessages: [message], errors: {} };
}

const fail = (status: number, message: string): FakeAnswer => ({ status, body: errorBody(status, message) });
const fieldErrors = (errors: Record<string, string>): FakeAnswer => ({ status: 400, body: { errorMessages: [], errors } });

/** Whether a value is an Atlassian Document Format document: `{ type: "doc", version: 1, content: [...] }`. */
function isAdf(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const doc = value as { type?: unknown; version?: unknown; content?: unknown };
  if (doc.type !== 'doc' || doc.version !== 1 || !Array.isArray(doc.content)) return false;
  // Text nodes must carry non-empty text.
  const textsOk = (nodes: unknown[]): boolean =>
    nodes.every((n) => {
      if (!n || typeof n !== 'object') return false;
      const node = n as { type?: unknown; text?: unknown; content?: unknown };
      if (typeof node.type !== 'string') return false;
      if (node.type === 'text') return typeof node.text === 'string' && node.text.length > 0;
      return node.content === undefined || (Array.isArray(node.content) && textsOk(node.content));
    });
  return textsOk(doc.content);
}

const ADF_REFUSAL = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';

const DATE_FORMATS = "Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.";

/** A JQL date value as a time (UTC, the fake account's zone), or undefined when Jira would refuse it. */
function jqlDate(value: string, now: number): number | undefined {
  const period = /^-?(\d+)([wdhm])$/.exec(value);
  if (period) {
    const unit = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000 }[period[2] as 'w' | 'd' | 'h' | 'm'];
    return now - Number(period[1]) * unit * (value.startsWith('-') ? 1 : -1);
  }
  const absolute = /^(\d{4})[/-](\d{2})[/-](\d{2})(?: (\d{2}):(\d{2}))?$/.exec(value);
  if (absolute) {
    const [, y, mo, d, h = '00', mi = '00'] = absolute;
    return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi));
  }
  return undefined;
}

type Search = { filter: (issue: FakeJiraIssue) => boolean; order?: { field: 'updated' | 'created' | 'key'; desc: boolean } };

/** Parses the JQL the fake understands; answers Jira's refusal otherwise. */
function parseJql(jql: string, projects: FakeJiraProject[], now: number): Search | FakeAnswer {
  const [where = '', orderBy] = jql.split(/\s+ORDER\s+BY\s+/i);
  const trimmed = where.trim();
  if (!trimmed || /^ORDER\s+BY\b/i.test(trimmed)) return fail(400, 'Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
  const tests: Array<(issue: FakeJiraIssue) => boolean> = [];
  for (const clause of trimmed.split(/\s+AND\s+/i)) {
    const m = /^(\w+)\s*(=|>=|>|<=|<)\s*("([^"]*)"|'([^']*)'|(\S+))$/.exec(clause.trim());
    if (!m) return fail(400, `Error in the JQL Query: the clause ${JSON.stringify(clause)} is not one this fake understands.`);
    const field = m[1]!.toLowerCase();
    const op = m[2]!;
    const value = m[4] ?? m[5] ?? m[6]!;
    if (field === 'project' && op === '=') {
      const project = projects.find((p) => p.key === value || p.id === value || p.name === value);
      if (!project) return fail(400, `The value '${value}' does not exist for the field 'project'.`);
      tests.push((issue) => issue.fields.project.id === project.id);
    } else if (field === 'updated' || field === 'created') {
      const at = jqlDate(value, now);
      if (at === undefined) return fail(400, `Date value '${value}' for field '${field}' is invalid. ${DATE_FORMATS}`);
      const cmp = { '=': (t: number) => t === at, '>=': (t: number) => t >= at, '>': (t: number) => t > at, '<=': (t: number) => t <= at, '<': (t: number) => t < at }[op]!;
      tests.push((issue) => cmp(Date.parse(issue.fields[field].replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))));
    } else {
      return fail(400, `Error in the JQL Query: the field '${m[1]}' is not one this fake understands.`);
    }
  }
  let order: Search['order'];
  if (orderBy) {
    const o = /^(updated|created|key)(?:\s+(ASC|DESC))?$/i.exec(orderBy.trim());
    if (!o) return fail(400, `Error in the JQL Query: cannot order by ${JSON.stringify(orderBy)}.`);
    order = { field: o[1]!.toLowerCase() as 'updated' | 'created' | 'key', desc: (o[2] ?? 'ASC').toUpperCase() === 'DESC' };
  }
  return { filter: (issue) => tests.every((t) => t(issue)), order };
}

function num(value: string | string[] | undefined, fallback: number): number {
  const text = Array.isArray(value) ? value[0] : value;
  const n = text === undefined ? NaN : Number(text);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

function str(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `onCreate`: told of each issue made through the API (the demo shows them in its live panel). */
export async function startJiraFake(options: { onCreate?: (issue: FakeJiraIssue) => void } = {}): Promise<JiraFake> {
  const projects: FakeJiraProject[] = [
    { id: '10000', key: 'ENG', name: 'Engineering' },
    { id: '10001', key: 'OPS', name: 'Operations' },
  ];
  const standardTypes = (): FakeJiraIssueType[] => [
    { id: '10001', name: 'Task', subtask: false, hierarchyLevel: 0 },
    { id: '10002', name: 'Bug', subtask: false, hierarchyLevel: 0 },
    { id: '10003', name: 'Sub-task', subtask: true, hierarchyLevel: -1 },
  ];
  const issueTypes = new Map<string, FakeJiraIssueType[]>(projects.map((p) => [p.id, standardTypes()]));
  const issues: FakeJiraIssue[] = [];
  const comments: FakeJiraComment[] = [];
  let nextIssueId = 10100;
  let nextCommentId = 20000;
  let fakeUrl = '';

  const projectOf = (ref: { key?: unknown; id?: unknown } | undefined) =>
    ref && (typeof ref.key === 'string' || typeof ref.id === 'string')
      ? projects.find((p) => (ref.key === undefined || p.key === ref.key) && (ref.id === undefined || p.id === ref.id))
      : undefined;
  const findIssue = (idOrKey: string) => issues.find((i) => i.id === idOrKey || i.key === idOrKey);
  const noIssue = () => fail(404, 'Issue does not exist or you do not have permission to see it.');

  const makeIssue = (project: FakeJiraProject, type: FakeJiraIssueType, summary: string, description: unknown, at: Date): FakeJiraIssue => {
    const id = String(nextIssueId++);
    const number = issues.filter((i) => i.fields.project.id === project.id).length + 1;
    const issue: FakeJiraIssue = {
      id,
      key: `${project.key}-${number}`,
      self: `${fakeUrl}/rest/api/3/issue/${id}`,
      fields: {
        summary,
        description,
        project,
        issuetype: type,
        status: { id: STATUSES[0]!.id, name: STATUSES[0]!.name },
        labels: [],
        created: jiraTime(at),
        updated: jiraTime(at),
      },
    };
    issues.push(issue);
    return issue;
  };

  const addIssue = (projectKey: string, summary: string, updated = new Date()) => {
    const project = projects.find((p) => p.key === projectKey);
    if (!project) throw new Error(`no project ${projectKey}`);
    const doc = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: summary }] }] };
    return makeIssue(project, issueTypes.get(project.id)![0]!, summary, doc, updated);
  };

  const addProjects = (count: number) => {
    for (let i = 1; i <= count; i++) {
      const project = { id: String(11000 + projects.length), key: `P${projects.length}`, name: `Project ${projects.length}` };
      projects.push(project);
      issueTypes.set(project.id, standardTypes());
    }
  };

  const authorize = (req: RecordedRequest): FakeAnswer | undefined => {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+(\S+)$/i.exec(header);
    const [email, token] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(/:(.*)/s) : [];
    if (email === JIRA_EMAIL && token === JIRA_TOKEN) return undefined;
    // Jira Cloud refuses a bad email or token with a text body, not its JSON error shape.
    return { status: 401, body: 'Client must be authenticated to access this resource.', headers: { 'content-type': 'text/plain;charset=UTF-8' } };
  };

  const fake = await startAppFake({
    name: 'Jira',
    authorize,
    errorBody,
    routes: [
      {
        method: 'GET',
        path: '/rest/api/3/myself',
        handle: () => ({
          body: {
            self: `${fakeUrl}/rest/api/3/user?accountId=5b10a2844c20165700ede21g`,
            accountId: '5b10a2844c20165700ede21g',
            accountType: 'atlassian',
            emailAddress: JIRA_EMAIL,
            displayName: JIRA_DISPLAY_NAME,
            active: true,
            timeZone: 'UTC',
            locale: 'en_US',
          },
        }),
      },
      {
        method: 'GET',
        path: '/rest/api/3/project/search',
        handle: (req) => {
          const startAt = num(req.query.startAt, 0);
          const maxResults = Math.min(num(req.query.maxResults, 50) || 50, 100);
          const sorted = str(req.query.orderBy) === 'name' ? [...projects].sort((a, b) => a.name.localeCompare(b.name)) : [...projects].sort((a, b) => a.key.localeCompare(b.key));
          const values = sorted
            .slice(startAt, startAt + maxResults)
            .map((p) => ({ self: `${fakeUrl}/rest/api/3/project/${p.id}`, id: p.id, key: p.key, name: p.name, projectTypeKey: 'software', simplified: false, style: 'classic' }));
          const isLast = startAt + maxResults >= projects.length;
          return {
            body: {
              self: `${fakeUrl}/rest/api/3/project/search?startAt=${startAt}&maxResults=${maxResults}`,
              ...(isLast ? {} : { nextPage: `${fakeUrl}/rest/api/3/project/search?startAt=${startAt + maxResults}&maxResults=${maxResults}` }),
              maxResults,
              startAt,
              total: projects.length,
              isLast,
              values,
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/rest/api/3/issuetype/project',
        handle: (req) => {
          const projectId = str(req.query.projectId);
          if (!projectId) return fail(400, "The 'projectId' query parameter is required.");
          const types = issueTypes.get(projectId);
          if (!types) return fail(404, `No project could be found with id '${projectId}'.`);
          return {
            body: types.map((t) => ({
              self: `${fakeUrl}/rest/api/3/issuetype/${t.id}`,
              id: t.id,
              name: t.name,
              untranslatedName: t.name,
              description: '',
              subtask: t.subtask,
              hierarchyLevel: t.hierarchyLevel,
              scope: { type: 'PROJECT', project: { id: projectId } },
            })),
          };
        },
      },
      {
        method: 'POST',
        path: '/rest/api/3/issue',
        handle: (req) => {
          const fields = (req.body as { fields?: Record<string, unknown> } | undefined)?.fields;
          if (!fields || typeof fields !== 'object') return fail(400, 'Issue must have fields.');
          const errors: Record<string, string> = {};
          const project = projectOf(fields.project as { key?: unknown; id?: unknown } | undefined);
          if (!project) errors.project = 'Specify a valid project ID or key';
          const typeRef = fields.issuetype as { id?: unknown; name?: unknown } | undefined;
          let type: FakeJiraIssueType | undefined;
          if (!typeRef || (typeRef.id === undefined && typeRef.name === undefined)) errors.issuetype = 'Specify an issue type';
          else if (project) {
            type = issueTypes.get(project.id)!.find((t) => (typeRef.id === undefined || t.id === typeRef.id) && (typeRef.name === undefined || t.name === typeRef.name));
            if (!type) errors.issuetype = 'Specify a valid issue type';
          }
          if (typeof fields.summary !== 'string' || !fields.summary.trim()) errors.summary = 'You must specify a summary of the issue.';
          else if (fields.summary.length > 255) errors.summary = 'Summary must be less than 255 characters.';
          if (fields.description !== undefined && !isAdf(fields.description)) errors.description = ADF_REFUSAL;
          if (Object.keys(errors).length || !project || !type) return fieldErrors(errors);
          const issue = makeIssue(project, type, fields.summary as string, fields.description ?? null, new Date());
          options.onCreate?.(issue);
          return { status: 201, body: { id: issue.id, key: issue.key, self: issue.self } };
        },
      },
      {
        method: 'POST',
        path: '/rest/api/3/issue/:issueIdOrKey/comment',
        handle: (req, { issueIdOrKey }) => {
          const issue = findIssue(issueIdOrKey!);
          if (!issue) return noIssue();
          const body = (req.body as { body?: unknown } | undefined)?.body;
          if (body === undefined) return fieldErrors({ comment: 'Comment body can not be empty!' });
          if (!isAdf(body)) return fieldErrors({ comment: ADF_REFUSAL });
          const now = jiraTime(new Date());
          const comment: FakeJiraComment = { id: String(nextCommentId++), issueId: issue.id, body, created: now };
          comments.push(comment);
          issue.fields.updated = now;
          const author = { accountId: '5b10a2844c20165700ede21g', displayName: JIRA_DISPLAY_NAME, active: true };
          return {
            status: 201,
            body: {
              self: `${fakeUrl}/rest/api/3/issue/${issue.id}/comment/${comment.id}`,
              id: comment.id,
              author,
              updateAuthor: author,
              body,
              created: now,
              updated: now,
              jsdPublic: true,
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/rest/api/3/issue/:issueIdOrKey/transitions',
        handle: (_req, { issueIdOrKey }) => {
          const issue = findIssue(issueIdOrKey!);
          if (!issue) return noIssue();
          return {
            body: {
              expand: 'transitions',
              transitions: STATUSES.map((s) => ({
                id: s.transition,
                name: s.name,
                to: { self: `${fakeUrl}/rest/api/3/status/${s.id}`, id: s.id, name: s.name },
                hasScreen: false,
                isGlobal: true,
                isInitial: false,
                isAvailable: true,
                isConditional: false,
                isLooped: false,
              })),
            },
          };
        },
      },
      {
        method: 'POST',
        path: '/rest/api/3/issue/:issueIdOrKey/transitions',
        handle: (req, { issueIdOrKey }) => {
          const issue = findIssue(issueIdOrKey!);
          if (!issue) return noIssue();
          const id = (req.body as { transition?: { id?: unknown } } | undefined)?.transition?.id;
          const to = STATUSES.find((s) => s.transition === id);
          if (!to) return fail(400, `Transition id '${String(id)}' is not valid for this issue.`);
          issue.fields.status = { id: to.id, name: to.name };
          issue.fields.updated = jiraTime(new Date());
          return { status: 204 };
        },
      },
      {
        method: 'GET',
        path: '/rest/api/3/search/jql',
        handle: (req) => {
          const jql = str(req.query.jql) ?? '';
          const search = parseJql(jql, projects, Date.now());
          if (!('filter' in search)) return search;
          let found = issues.filter(search.filter);
          if (search.order) {
            const { field, desc } = search.order;
            // Keys order by project, then by number (ENG-2 before ENG-10).
            const keyOf = (i: FakeJiraIssue) =>
              field === 'key' ? `${i.fields.project.key}-${i.key.split('-')[1]!.padStart(12, '0')}` : Date.parse(i.fields[field].replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
            found = [...found].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0) * (desc ? -1 : 1));
          }
          const token = str(req.query.nextPageToken);
          let start = 0;
          if (token !== undefined) {
            const decoded = /^page:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
            if (!decoded) return fail(400, 'The nextPageToken is invalid or expired.');
            start = Number(decoded[1]);
          }
          const wanted = str(req.query.fields);
          const size = Math.min(num(req.query.maxResults, 50) || 50, wanted ? 100 : 5000);
          const page = found.slice(start, start + size);
          const isLast = start + size >= found.length;
          // Without `fields`, the enhanced search answers ids only; `*all` and `*navigable` answer every field, a list those named.
          const names = wanted?.split(',').map((n) => n.trim());
          const shaped = page.map((i) => {
            if (!names) return { id: i.id };
            if (names.includes('*all') || names.includes('*navigable')) return i;
            return { ...i, fields: Object.fromEntries(Object.entries(i.fields).filter(([k]) => names.includes(k))) };
          });
          return { body: { issues: shaped, ...(isLast ? {} : { nextPageToken: Buffer.from(`page:${start + size}`).toString('base64url') }), isLast } };
        },
      },
    ],
  });
  fakeUrl = fake.url;
  // Two issues updated in the last two days, one long before.
  const hour = 3_600_000;
  addIssue('ENG', 'Printer on fire', new Date(Date.now() - hour));
  addIssue('ENG', 'Rotate the API keys', new Date(Date.now() - 26 * hour));
  addIssue('OPS', 'Renew the TLS certificate', new Date(Date.now() - 10 * 24 * hour));
  return Object.assign(fake, { projects, issueTypes, issues, comments, addIssue, addProjects });
}
