// The Switchboard dashboard: one server-sent event stream (/api/stream) keeps every panel live; the JSON API fills
// the event list when a filter changes and the proactive ledger on each decision.
import { renderChart } from './chart.js';
import { byId, fillRows, h, setText } from './dom.js';
import { clock, compactMask, count, customerLabel, describeEvent, duration, shortId } from './format.js';
import { describeStatus } from './status.js';

const MAX_EVENTS = 300;
const SHOWN_EVENTS = 150;
const MEDIA_ORDER = ['voice', 'message', 'email', 'callback', 'chat', 'video', 'screenshare', 'unknown'];

const state = {
  overview: undefined,
  startedAtMs: Date.now(),
  events: [],
  maxSeq: 0,
  paused: false,
  held: [],
  queues: new Map(),
  filter: { type: '', queue: '', media: '' },
};

// ── helpers ──────────────────────────────────────────────────────────────────────────────────────────────

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function queueLabel(queueId) {
  if (!queueId) return '(no queue yet)';
  return state.queues.get(queueId) ?? shortId(queueId);
}

function learnQueue(queueId, name) {
  if (!queueId) return;
  const known = state.queues.get(queueId);
  if (known === undefined || (name && known !== name)) {
    state.queues.set(queueId, name ?? known ?? shortId(queueId));
    renderQueueOptions();
  }
}

function matchesFilter(view) {
  const { type, queue, media } = state.filter;
  if (type && view.event.type !== type) return false;
  if (queue && view.queueId !== queue) return false;
  if (media && view.event.mediaType !== media) return false;
  return true;
}

// ── events ───────────────────────────────────────────────────────────────────────────────────────────────

function eventRow(view, fresh) {
  const { event } = view;
  const queueName = view.queueName ?? (view.queueId ? state.queues.get(view.queueId) : undefined);
  return h(
    'tr',
    {
      class: fresh ? 'fresh' : undefined,
      'data-type': event.type,
      'data-media': event.mediaType,
      'data-seq': view.seq,
    },
    h('td', { class: 'nowrap mono', text: clock(event.observedAt) }),
    h('td', {}, h('span', { class: `type type-${event.type.replace('.', '-')}`, text: event.type })),
    h('td', { text: event.messageType ?? event.mediaType, title: event.mediaType }),
    h('td', { text: view.queueId ? queueLabel(view.queueId) : '–', title: view.queueId ?? '' }),
    h('td', { class: 'mono', text: shortId(event.conversationId), title: event.conversationId }),
    h('td', {
      text: `${describeEvent(event, queueName)}${event.source?.kind === 'backfill' ? ' · recovered by backfill' : ''}`,
    }),
  );
}

function renderEvents(freshSeqs = new Set()) {
  const rows = state.events.slice(0, SHOWN_EVENTS).map((view) => eventRow(view, freshSeqs.has(view.seq)));
  const filtered = state.filter.type || state.filter.queue || state.filter.media;
  fillRows(
    byId('event-table').tBodies[0],
    rows,
    filtered ? 'No events match these filters yet.' : 'Waiting for events…',
    6,
  );
  setText(
    'events-note',
    state.paused
      ? `Paused: ${state.held.length} new event(s) held. Press Resume to show them.`
      : `${state.events.length > SHOWN_EVENTS ? `Latest ${SHOWN_EVENTS} of ${state.events.length}` : `${state.events.length}`} event(s)${filtered ? ' matching the filters' : ''}.`,
  );
}

function takeEvents(views) {
  const fresh = new Set();
  for (const view of views) {
    learnQueue(view.queueId, view.queueName);
    if (view.seq <= state.maxSeq) continue;
    state.maxSeq = view.seq;
    if (!matchesFilter(view)) continue;
    if (state.paused) state.held.unshift(view);
    else {
      state.events.unshift(view);
      fresh.add(view.seq);
    }
  }
  state.events.length = Math.min(state.events.length, MAX_EVENTS);
  state.held.length = Math.min(state.held.length, MAX_EVENTS);
  renderEvents(fresh);
}

async function reloadEvents() {
  const query = new URLSearchParams({ limit: String(SHOWN_EVENTS) });
  for (const [key, value] of Object.entries(state.filter)) if (value) query.set(key, value);
  try {
    const body = await getJson(`/api/events?${query}`);
    state.events = body.events;
    state.held = [];
    state.maxSeq = Math.max(state.maxSeq, body.lastSeq ?? 0);
    for (const view of body.events) learnQueue(view.queueId, view.queueName);
    renderEvents();
  } catch (error) {
    setText('events-note', `Could not load events: ${error.message}`);
  }
}

function renderQueueOptions() {
  const select = byId('f-queue');
  const current = select.value;
  const sorted = [...state.queues.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  select.replaceChildren(
    h('option', { value: '', text: 'All queues' }),
    ...sorted.map(([id, name]) => h('option', { value: id, text: name })),
  );
  select.value = current;
}

// ── overview ─────────────────────────────────────────────────────────────────────────────────────────────

function renderReady(readiness) {
  const pill = byId('ready');
  pill.className = `pill ${readiness.ready ? 'pill-ok' : readiness.reason.startsWith('starting') ? 'pill-wait' : 'pill-bad'}`;
  pill.textContent = readiness.ready ? 'Ready' : 'Not ready';
  setText('ready-reason', readiness.ready ? '' : readiness.reason);
}

function renderCards(o) {
  const last = o.rates?.lastMinute ?? {};
  setText('k-inprogress', count(o.inProgress?.total ?? 0));
  setText('k-started', count(last.started ?? 0));
  setText('k-transferred', count(last.transferred ?? 0));
  setText('k-wrapup', count(last.wrapup ?? 0));
  setText('k-ended', count(last.ended ?? 0));
  setText('k-events', count(o.totals?.eventsTotal ?? 0));
  setText(
    'k-events-note',
    o.totals
      ? `${count(o.totals.duplicatesDropped)} repeats dropped · ${count(o.totals.malformed)} malformed`
      : '',
  );
  setText('k-gaps', count(o.totals?.gaps ?? 0));
  setText('k-gaps-note', o.totals ? gapsNote(o.totals) : '');
  setText('k-api', count(o.api?.requests ?? 0));
  setText('k-api-note', o.api ? `${count(o.api.rateLimited)} × 429 · ${count(o.api.retries)} retries` : '');
}

/** Events recovered so far; while a gap is open, how far back recovery is and how long it should take. */
function gapsNote(totals) {
  const recovered = `${count(totals.backfilledEvents)} event(s) recovered`;
  const r = totals.recovery;
  if (!r || (r.openGaps === 0 && r.conversationsPending === 0)) return recovered;
  const behind = r.oldestUnrecovered ? ` since ${clock(r.oldestUnrecovered)}` : '';
  const eta =
    r.etaSeconds !== undefined && r.etaSeconds !== null
      ? `, about ${duration(r.etaSeconds * 1000)} left`
      : '';
  return `recovering ${count(r.openGaps)} gap(s)${behind}${eta} · ${recovered}`;
}

function renderInProgress(inProgress) {
  const media = MEDIA_ORDER.filter((m) => (inProgress.byMedia?.[m] ?? 0) > 0);
  const head = byId('inprogress').tHead.rows[0];
  head.replaceChildren(
    h('th', { scope: 'col', text: 'Queue' }),
    ...media.map((m) => h('th', { scope: 'col', class: 'num', text: m })),
    h('th', { scope: 'col', class: 'num', text: 'Total' }),
  );
  const rows = inProgress.rows.map((row) => {
    learnQueue(row.queueId, row.queueName);
    return h(
      'tr',
      { 'data-queue': row.queueId ?? '' },
      h('td', { text: row.queueName ?? queueLabel(row.queueId), title: row.queueId ?? '' }),
      ...media.map((m) => h('td', { class: 'num', text: row.byMedia[m] ? count(row.byMedia[m]) : '·' })),
      h('td', { class: 'num', text: count(row.total) }),
    );
  });
  fillRows(byId('inprogress').tBodies[0], rows, 'No conversation in progress.', media.length + 2);
  setText('inprogress-note', `${count(inProgress.total)} conversation(s)`);
}

function renderChannels(pool, replica) {
  const rows = pool.channels.map((c) =>
    h(
      'tr',
      { 'data-slot': c.slot, 'data-state': c.state, 'data-reconnects': c.reconnects },
      h('td', { class: 'num', text: c.slot }),
      h('td', { class: 'mono', text: c.channelId ?? '–' }),
      h('td', {}, h('span', { class: `state state-${c.state}`, text: c.state })),
      h('td', {
        class: 'num',
        text: c.rejected > 0 ? `${count(c.permitted)} / ${count(c.topics)}` : count(c.topics),
        title: c.rejected > 0 ? `${c.rejected} rejected` : '',
      }),
      h('td', { class: 'num', text: duration(c.channelAgeMs) }),
      h('td', {
        class: 'num',
        text: duration(c.heartbeatAgeMs),
        title: `last frame of any kind ${duration(c.lastFrameAgeMs)} ago`,
      }),
      h('td', { class: 'num reconnects', text: count(c.reconnects) }),
      h('td', { class: 'num', text: duration(c.expiresInMs) }),
    ),
  );
  fillRows(byId('channels').tBodies[0], rows, 'No channel yet.', 8);
  // One replica of a set: the table's # is the shard, and the note says what this replica holds of the set.
  setText(
    'channels-note',
    replica
      ? `replica ${replica.replicaId} · ${replica.owned} of ${replica.shards} shards · ${replica.members.length} replica(s) live · moves in ${replica.handoversIn} / out ${replica.handoversOut} · take-overs ${replica.takeovers} · stand-downs ${replica.standDowns}`
      : `${pool.budget.inUse} of ${pool.budget.limit} channels · ${count(pool.topics)} topics · pool ${pool.state}`,
  );
  const rejected = byId('rejected');
  rejected.hidden = pool.rejected.length === 0;
  if (pool.rejected.length > 0) {
    const missing = new Set(pool.rejected.flatMap((r) => r.missingPermissions));
    rejected.textContent = `${pool.rejected.length} topic(s) rejected by the platform${missing.size > 0 ? `: missing ${[...missing].join(', ')}` : ''}. Grant the permissions to the OAuth client's role and restart.`;
  }
}

const SOURCE_KINDS = {
  websocket: 'WebSocket',
  eventbridge: 'EventBridge',
  both: 'WebSocket + EventBridge',
  other: 'Another source',
};

/** Where the stream reads from, and for the EventBridge queue how far behind it is and what it did with messages. */
function renderSource(source) {
  const kind = source?.kind ?? '';
  const badge = byId('source-kind');
  badge.dataset.kind = kind;
  badge.textContent = SOURCE_KINDS[kind] ?? (kind || '–');
  const queue = source?.eventBridge;
  byId('eventbridge-wrap').hidden = !queue;
  if (!queue) {
    setText(
      'source-note',
      kind === 'websocket' ? 'Notification channels over the WebSocket (see Channels).' : '',
    );
    return;
  }
  const figures = {
    lag: duration(queue.lagMs),
    received: count(queue.received),
    deleted: count(queue.deleted),
    redeliveries: count(queue.redeliveries),
    poison: count(queue.poison),
    held: count(queue.inFlight),
  };
  for (const cell of byId('eventbridge').querySelectorAll('td[data-figure]')) {
    const name = cell.dataset.figure;
    cell.textContent = figures[name];
    cell.dataset.value =
      name === 'lag' ? String(queue.lagMs ?? '') : String(queue[name === 'held' ? 'inFlight' : name]);
  }
  const problems = [
    queue.running ? '' : 'not reading',
    queue.failingSince ? `every receive failing since ${clock(queue.failingSince)}` : '',
    queue.receiveErrors > 0 ? `${count(queue.receiveErrors)} receive error(s)` : '',
    queue.deleteFailures > 0 ? `${count(queue.deleteFailures)} delete(s) refused` : '',
    queue.lastError ? `last error: ${queue.lastError}` : '',
  ].filter(Boolean);
  setText(
    'source-note',
    `SQS queue ${queue.queueUrl} · ${count(queue.receives)} receive calls · ${count(queue.awaitingDelete)} awaiting delete${problems.length > 0 ? ` · ${problems.join(' · ')}` : ''}`,
  );
}

function renderSinks(o) {
  const rows = (o.sinks ?? []).map((sink) =>
    h(
      'tr',
      {},
      h('td', { text: sink.name }),
      h(
        'td',
        {},
        h('span', {
          class: `state state-${sink.status === 'ok' ? 'connected' : sink.status === 'failed' ? 'closed' : 'reconnecting'}`,
          text: sink.status,
          ...(sink.failedBecause ? { title: sink.failedBecause } : {}),
        }),
      ),
      h('td', {
        class: 'num',
        text: count(sink.pending ?? sink.depth),
        title: sink.durable ? 'waiting in its outbox on disk' : 'waiting in its outbox in memory',
      }),
      h('td', { class: 'num', text: count(sink.delivered) }),
      h('td', { class: 'num', text: count(sink.failed) }),
      h('td', { class: 'num', text: count(sink.dropped) }),
    ),
  );
  fillRows(
    byId('sinks').tBodies[0],
    rows,
    'No sinks configured: events go to this dashboard and the API.',
    6,
  );
  const api = o.api;
  setText(
    'api-line',
    api
      ? `Platform API: ${count(api.requests)} calls, ${count(api.rateLimited)} rate-limited (429), ${count(api.retries)} retries, ${count(api.failed)} failed · rate budget ${count(api.budgetAvailable)} of ${count(api.budgetLimit)} free, ${count(api.budgetReserved)} kept for channels${api.pausedForMs > 0 ? ` · paused ${duration(api.pausedForMs)} (Retry-After)` : ''}${budgetWaits(api.purposes)}`
      : '',
  );
}

/** Waits for the rate budget by purpose: 99th percentile of the recent ones, and what is queued now. */
function budgetWaits(purposes) {
  if (!purposes) return '';
  const parts = Object.entries(purposes)
    .filter(([, p]) => p.granted > 0 || p.queued > 0)
    .map(
      ([name, p]) => `${name} ${duration(p.waitP99Ms)}${p.queued > 0 ? ` (${count(p.queued)} queued)` : ''}`,
    );
  return parts.length > 0 ? ` · waits (p99): ${parts.join(', ')}` : '';
}

function renderProactive(o) {
  const p = o.proactive;
  const decided = Object.entries(o.decisions ?? {})
    .map(([status, n]) => `${n} ${status}`)
    .join(' · ');
  setText(
    'ledger-note',
    p
      ? `${p.rules} rule(s)${p.dryRun ? ' · dry run' : ''}${decided ? ` · ${decided}` : ''}`
      : 'proactive rules off',
  );
  const stopped = byId('ledger-stopped');
  stopped.hidden = !p || p.stoppedRules.length === 0;
  if (p && p.stoppedRules.length > 0) {
    stopped.textContent = `Stopped: ${p.stoppedRules.map((r) => `${r.ruleId} (${r.reason})`).join('; ')}`;
  }
}

function renderOverview(o) {
  state.overview = o;
  if (o.startedAt) state.startedAtMs = Date.parse(o.startedAt);
  byId('mode').hidden = o.mode !== 'demo';
  byId('faults-panel').hidden = !o.faults;
  renderReady(o.readiness);
  renderCards(o);
  renderChart(byId('chart'), o.rates, state.startedAtMs);
  renderInProgress(o.inProgress);
  renderChannels(o.channels, o.replica);
  renderSource(o.source);
  renderSinks(o);
  renderProactive(o);
}

// ── activity, ledger, faults ─────────────────────────────────────────────────────────────────────────────

function addActivity(status) {
  const line = describeStatus(status);
  if (!line) return;
  const list = byId('activity');
  list.prepend(
    h(
      'li',
      { class: line.tone },
      h('time', { datetime: status.at, text: clock(status.at) }),
      h('span', { text: line.text }),
    ),
  );
  while (list.children.length > 40) list.lastElementChild.remove();
}

async function reloadLedger() {
  const outcome = byId('f-outcome').value;
  try {
    const body = await getJson(
      `/api/ledger?limit=40${outcome ? `&status=${encodeURIComponent(outcome)}` : ''}`,
    );
    const rows = body.entries.map((entry) =>
      h(
        'tr',
        { 'data-outcome': entry.outcome },
        h('td', { class: 'nowrap mono', text: clock(entry.at) }),
        h('td', { class: 'nowrap', text: entry.ruleId, title: entry.ruleId }),
        h('td', {
          class: 'mono nowrap',
          text: `${customerLabel(entry.customerId)}${entry.to ? ` ${compactMask(entry.to)}` : ''}`,
          title: entry.customerId,
        }),
        h('td', { text: entry.channel ?? '–' }),
        h('td', {}, h('span', { class: `outcome outcome-${entry.outcome}`, text: entry.outcome })),
        h(
          'td',
          { title: entry.reason ?? '' },
          h('span', { class: 'clamp', text: entry.reason ?? entry.reasonCode ?? '' }),
        ),
      ),
    );
    fillRows(
      byId('ledger').tBodies[0],
      rows,
      body.enabled
        ? outcome
          ? 'No decision with this outcome yet.'
          : 'No decisions yet.'
        : 'No ledger here.',
      6,
    );
  } catch (error) {
    setText('ledger-note', `Could not load the ledger: ${error.message}`);
  }
}

let ledgerTimer;
function ledgerSoon() {
  clearTimeout(ledgerTimer);
  ledgerTimer = setTimeout(reloadLedger, 400);
}

async function injectFault(button) {
  const result = byId('fault-result');
  button.disabled = true;
  result.textContent = `Injecting: ${button.textContent}…`;
  try {
    const response = await fetch('/api/faults', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: button.dataset.fault,
    });
    const body = await response.json();
    result.textContent = response.ok
      ? `${button.textContent}: done (${body.affected ?? 0} affected). Watch the channels recover.`
      : `${button.textContent} refused: ${body.error}`;
  } catch (error) {
    result.textContent = `${button.textContent} failed: ${error.message}`;
  } finally {
    setTimeout(() => {
      button.disabled = false;
    }, 1000);
  }
}

// ── wiring ───────────────────────────────────────────────────────────────────────────────────────────────

function connect() {
  const source = new EventSource('/api/stream');
  const live = byId('live');
  source.addEventListener('open', () => {
    live.classList.add('on');
    setText('live-text', 'live');
  });
  source.addEventListener('error', () => {
    live.classList.remove('on');
    setText('live-text', 'reconnecting…');
  });
  source.addEventListener('overview', (message) => renderOverview(JSON.parse(message.data)));
  source.addEventListener('events', (message) => {
    const views = JSON.parse(message.data);
    // A restarted service counts from 1 again.
    if (views.length > 0 && views.at(-1).seq < state.maxSeq) {
      state.maxSeq = 0;
      state.events = [];
    }
    takeEvents(views);
  });
  source.addEventListener('activity', (message) => {
    byId('activity').replaceChildren();
    for (const status of JSON.parse(message.data)) addActivity(status);
  });
  source.addEventListener('status', (message) => addActivity(JSON.parse(message.data)));
  source.addEventListener('decision', ledgerSoon);
}

function wire() {
  for (const [id, key] of [
    ['f-type', 'type'],
    ['f-queue', 'queue'],
    ['f-media', 'media'],
  ]) {
    byId(id).addEventListener('change', (e) => {
      state.filter[key] = e.target.value;
      void reloadEvents();
    });
  }
  byId('filters').addEventListener('submit', (e) => e.preventDefault());
  byId('f-outcome').addEventListener('change', () => void reloadLedger());
  const pause = byId('pause');
  pause.addEventListener('click', () => {
    state.paused = !state.paused;
    pause.setAttribute('aria-pressed', String(state.paused));
    pause.textContent = state.paused ? 'Resume' : 'Pause';
    if (!state.paused) {
      state.events = [...state.held, ...state.events].slice(0, MAX_EVENTS);
      state.held = [];
    }
    renderEvents();
  });
  for (const button of document.querySelectorAll('button[data-fault]')) {
    button.addEventListener('click', () => void injectFault(button));
  }
  window.addEventListener('resize', () => {
    if (state.overview) renderChart(byId('chart'), state.overview.rates, state.startedAtMs);
  });
}

wire();
connect();
void reloadLedger();
setInterval(reloadLedger, 10_000);
