// AcmeCo's page: plain JavaScript, no build. The widget (/widget/alloy.js) defines window.Alloy.
/* global Alloy */
const $ = (id) => document.getElementById(id);

/** A DOM element; text children only (nothing received is ever parsed as HTML). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-') || key.startsWith('aria-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

async function call(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}
const post = (url, body) => call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const json = (value) => JSON.stringify(value, null, 2);
const time = (iso) => new Date(iso).toLocaleTimeString();

function say(id, text, error = false) {
  $(id).textContent = text;
  $(id).classList.toggle('error', error);
}

/** What a run answer means for the user. */
function ran(result, what) {
  const n = result.executionIds?.length ?? 0;
  return n ? `${what}: ${n} workflow${n === 1 ? '' : 's'} running.` : `${what}, but no installed integration listens to it yet: install one above.`;
}

// ── the user token: AcmeCo's backend mints it with the API key ──
const session = async () => (await call('/demo/session')).token;

async function start() {
  try {
    Alloy.setToken(await session());
    Alloy.setTokenProvider(session);
    $('integrations').textContent = '';
    Alloy.renderIntegrations($('integrations'), { modal: { onClose: () => void refreshLogs() } });
  } catch (err) {
    say('integrations-status', `Could not load the integrations: ${err.message}`, true);
  }
  void pollFeed();
  void refreshLogs();
  setInterval(() => document.visibilityState === 'visible' && void refreshLogs(), 3000);
}

// ── tickets: from the backend, or as an app event from this browser ──
const ticket = () => Object.fromEntries(new FormData($('ticket-form')));

$('ticket-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    say('ticket-status', 'Creating…');
    say('ticket-status', ran(await post('/demo/tickets', ticket()), `Ticket “${ticket().ticketName}” created`));
  } catch (err) {
    say('ticket-status', `Could not create the ticket: ${err.message}`, true);
  }
  void refreshLogs();
});

$('send-app-event').addEventListener('click', async () => {
  if (!$('ticket-form').reportValidity()) return;
  try {
    const result = await Alloy.sendAppEvent('Ticket Created', ticket());
    say('ticket-status', result.status === 'queued' ? 'Offline: the event waits in the browser outbox.' : ran(result, 'Sent from the browser'));
  } catch (err) {
    say('ticket-status', `The browser event was refused: ${err.message}`, true);
  }
  void refreshLogs();
});

// ── orders ──
$('fulfillment-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = Object.fromEntries(new FormData(event.currentTarget));
  try {
    say('order-message', ran(await post('/demo/fulfillments', data), `Order ${data.orderId} marked ${data.status}`));
  } catch (err) {
    say('order-message', `Could not update the order: ${err.message}`, true);
  }
  void refreshLogs();
});

$('new-order').addEventListener('click', async () => {
  try {
    const result = await post('/demo/orders', {});
    say('order-message', ran(result, `BigCommerce order ${result.orderId} created`));
  } catch (err) {
    say('order-message', `Could not create an order: ${err.message}`, true);
  }
  void refreshLogs();
});

// ── live feed: what each destination received ──
const NAMES = { slack: 'Slack', bigcommerce: 'BigCommerce', hubspot: 'HubSpot', jira: 'Jira', acmeco: 'AcmeCo receiver', sink: 'Stream Data sink' };

function feedItem(entry) {
  const { destination, data } = entry;
  let title = NAMES[destination] ?? destination;
  let body;
  if (destination === 'slack') {
    title += ` · ${data.channel}`;
    body = el('p', { class: 'text' }, data.text);
  } else if (destination === 'bigcommerce') {
    title += ` · order ${data.orderId}`;
    body = el('p', { class: 'text' }, `Status: ${data.status}${data.staffNotes ? ` · staff note: ${data.staffNotes}` : ''}`);
  } else if (destination === 'hubspot') {
    title += ` · ${data.type === 'deals' ? 'deal' : 'contact'} ${data.id}`;
    body = el('p', { class: 'text' }, data.properties.dealname ?? data.properties.email ?? '');
  } else if (destination === 'jira') {
    title += ` · ${data.key}`;
    body = el('p', { class: 'text' }, `${data.summary} · ${data.issueType} in ${data.project}`);
  } else {
    if (destination === 'acmeco') title += ' · signature verified';
    body = el('pre', {}, json(data.body));
  }
  return el(
    'li',
    { 'data-destination': destination },
    el('div', { class: 'meta' }, el('span', { class: 'dest' }, title), el('time', { dateTime: entry.at }, time(entry.at))),
    body,
  );
}

let lastSeq = 0;
async function pollFeed() {
  try {
    const { entries } = await call(`/demo/feed?after=${lastSeq}`);
    for (const entry of entries) {
      $('feed').prepend(feedItem(entry));
      lastSeq = entry.seq;
    }
    if (lastSeq) $('feed-empty').hidden = true;
  } catch {
    // the server restarts: try again
  }
  setTimeout(pollFeed, 500);
}

// ── logs: the demo user's executions (with each block) and errors ──
const open = new Set();
let shown = '';

function stepItem(step) {
  return el(
    'div',
    { class: 'step' },
    el('div', {}, el('strong', {}, step.blockId), ` · attempt ${step.attempt} · `, step.error ? el('span', { class: 'err' }, step.error) : 'ok'),
    el('pre', { 'aria-label': `Input of ${step.blockId}` }, json(step.input)),
    step.output !== null && step.output !== undefined ? el('pre', { 'aria-label': `Output of ${step.blockId}` }, json(step.output)) : null,
  );
}

function executionItem(x) {
  const details = el(
    'details',
    { open: open.has(x.executionId) },
    el(
      'summary',
      {},
      el('span', { class: `badge ${x.status}` }, x.status),
      el('span', {}, x.workflowName),
      el('span', { class: 'note' }, `${time(x.createdAt)} · ${x.event} · ${x.attempts} attempt${x.attempts === 1 ? '' : 's'}`),
    ),
    x.error ? el('p', { class: 'err' }, x.error) : null,
    x.steps.length ? x.steps.map(stepItem) : el('p', { class: 'empty' }, 'No block has run yet.'),
  );
  details.addEventListener('toggle', () => (details.open ? open.add(x.executionId) : open.delete(x.executionId)));
  return el('li', {}, details);
}

async function refreshLogs() {
  try {
    const logs = await call('/demo/logs');
    const text = JSON.stringify(logs);
    if (text === shown) return;
    shown = text;
    $('executions').replaceChildren(
      logs.executions.length
        ? el('ul', { class: 'logs', 'aria-labelledby': 'h-executions' }, logs.executions.map(executionItem))
        : el('p', { class: 'empty' }, 'No executions yet.'),
    );
    $('errors').replaceChildren(
      logs.errors.length
        ? el(
            'ul',
            { class: 'logs', 'aria-labelledby': 'h-errors' },
            logs.errors.map((e) => el('li', { class: 'err' }, `${time(e.errorOccurredAt)} · ${e.workflowName}${e.block ? ` · ${e.block}` : ''}: ${e.message}`)),
          )
        : el('p', { class: 'empty' }, 'No errors.'),
    );
  } catch (err) {
    $('executions').replaceChildren(el('p', { class: 'err' }, `Could not load the logs: ${err.message}`));
  }
}
$('refresh-logs').addEventListener('click', () => void refreshLogs());

void start();
