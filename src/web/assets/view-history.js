// History: tasks succeeded, failed and retried per minute over the last
// hour (#/history) or per hour over the last week (#/history?range=week),
// and runtime percentiles per task name, all from the stored rows, so a
// restart of the server loses none of it. Redrawn on live updates at most
// every few seconds.
import { get } from './api.js';
import { timeChart, throttle } from './chart.js';
import { h, hashLink, replace } from './dom.js';
import { duration, message, syncClock } from './widgets.js';

const RANGES = { hour: 'Last hour, per minute', week: 'Last week, per hour' };
/** The hour's chart moves every minute; the week's every hour. */
const REFRESH_MS = { hour: 5000, week: 60_000 };
/** The runtimes cover a day: asked again at most every minute. */
const RUNTIMES_REFRESH_MS = 60_000;

const OUTCOMES = [
  { key: 'succeeded', label: 'succeeded' },
  { key: 'failed', label: 'failed' },
  { key: 'retried', label: 'retried' },
];

export async function show(main, route) {
  const range = route.query.get('range') === 'week' ? 'week' : 'hour';
  const body = h('div', { class: 'view-body' }, message('info', 'Loading history…'));
  replace(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, 'History'),
      h(
        'nav',
        { class: 'ranges', 'aria-label': 'range' },
        Object.entries(RANGES).map(([key, label]) => h('a', { href: hashLink(['history'], { range: key === 'hour' ? '' : key }), 'aria-current': key === range }, label)),
      ),
    ),
    body,
  );

  let runtimes = null;
  let runtimesAt = -Infinity;
  async function load() {
    if (!main.isConnected) return;
    const stale = Date.now() - runtimesAt >= RUNTIMES_REFRESH_MS;
    const [history, latest] = await Promise.all([get(['history'], { range }), stale ? get(['history', 'runtimes']) : runtimes]);
    if (stale) [runtimes, runtimesAt] = [latest, Date.now()];
    syncClock(history.now);
    replace(
      body,
      timeChart({
        id: 'history-chart',
        title: `Tasks ${RANGES[range].toLowerCase()}`,
        since: history.since,
        step: history.step,
        series: OUTCOMES.map(({ key, label }) => ({ key, label, values: history[key] })),
      }),
      h('p', { class: 'muted small' }, 'Counted by each task’s latest state; a task that retried counts its retries where it stands now.'),
      h('h2', {}, 'Runtimes of the last day'),
      runtimeTable(runtimes),
    );
  }

  await load();
  return { refresh: throttle(load, REFRESH_MS[range]) };
}

function runtimeTable(runtimes) {
  if (runtimes.items.length === 0) return message('info', 'No task with a runtime succeeded in the last day.');
  return [
    h(
      'table',
      { class: 'list', id: 'runtimes' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Task'), ['Runs', 'p50', 'p95', 'p99'].map((label) => h('th', { class: 'number' }, label)))),
      h(
        'tbody',
        {},
        runtimes.items.map((item) =>
          h(
            'tr',
            { 'data-name': item.name, 'data-count': item.count, 'data-p50': item.p50, 'data-p95': item.p95, 'data-p99': item.p99 },
            h('td', { class: 'mono' }, h('a', { href: hashLink(['tasks'], { name: item.name, state: 'SUCCESS' }) }, item.name)),
            h('td', { class: 'number' }, String(item.count)),
            h('td', { class: 'number' }, duration(item.p50)),
            h('td', { class: 'number' }, duration(item.p95)),
            h('td', { class: 'number' }, duration(item.p99)),
          ),
        ),
      ),
    ),
    runtimes.sampled >= runtimes.limit ? message('info', `From the newest ${runtimes.limit} successes of the day.`) : null,
  ];
}
