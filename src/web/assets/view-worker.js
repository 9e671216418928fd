// One worker in detail: what it answers itself (stats, active tasks,
// registered tasks, the queues it consumes) beside what the camera counted,
// and, once unlocked, its remote control: task events on or off, pool grow
// or shrink, a task's rate limit; and its tasks per minute over the last
// hour, by state, from the stored rows.
import { ApiError, get, post } from './api.js';
import { timeChart, throttle } from './chart.js';
import { h, hashLink, replace } from './dom.js';
import { ago, fields, message, STATES, syncClock } from './widgets.js';

/** The chart's query runs at most this often, however often the view redraws. */
const CHART_REFRESH_MS = 5000;

/** Its rows by state over the last hour; states it has none of are left out. */
async function drawHistory(target, hostname) {
  if (!target.isConnected) return;
  const history = await get(['history'], { worker: hostname });
  const known = STATES.filter((state) => history.states[state] !== undefined);
  const custom = Object.keys(history.states).filter((state) => !STATES.includes(state)).sort();
  const series = [...known, ...custom].map((state) => ({
    key: STATES.includes(state) ? state.toLowerCase() : 'custom',
    label: state,
    values: history.states[state],
  }));
  replace(
    target,
    series.length === 0
      ? message('info', 'No task of this worker in the last hour.')
      : timeChart({ id: 'worker-history', title: 'Tasks per minute over the last hour, by their latest state', since: history.since, step: history.step, series }),
  );
}

export async function showWorker(main, hostname, context) {
  const notice = h('div', { class: 'notices', 'aria-live': 'polite' });
  const body = h('div', { class: 'view-body' }, message('info', 'Asking the worker…'));
  const chart = h('section', { class: 'worker-history' });
  replace(main, h('p', { class: 'back' }, h('a', { href: '#/workers' }, '← Workers')), h('h1', {}, hostname), notice, chart, body);
  const refreshChart = throttle(() => drawHistory(chart, hostname), CHART_REFRESH_MS);

  async function act(action, options, said) {
    try {
      const answer = await post(['workers', hostname, action], options);
      replace(notice, message('ok', `${said}: ${answer.reply.ok ?? JSON.stringify(answer.reply)}`));
    } catch (error) {
      replace(notice, message('error', error.message));
    }
    await refresh();
  }

  function controls(detail) {
    if (!context.canChange() || !context.config.canControl || detail.inspect === null) return null;
    const task = h('select', { id: 'rate-task', name: 'task', 'aria-label': 'task' }, detail.inspect.registered.map((name) => h('option', { value: name.split(' ')[0] }, name)));
    const rate = h('input', { id: 'rate-value', name: 'rate', placeholder: '10/m', size: 8, 'aria-label': 'rate' });
    return h(
      'section',
      { class: 'worker-controls' },
      h(
        'p',
        { class: 'actions' },
        h('button', { type: 'button', 'data-action': 'enable-events', onclick: () => act('enable-events', undefined, 'Task events') }, 'Enable events'),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'disable-events', onclick: () => act('disable-events', undefined, 'Task events') }, 'Disable events'),
        h('button', { type: 'button', 'data-action': 'pool-grow', onclick: () => act('pool-grow', { n: 1 }, 'Pool') }, 'Grow pool'),
        h('button', { type: 'button', class: 'secondary', 'data-action': 'pool-shrink', onclick: () => act('pool-shrink', { n: 1 }, 'Pool') }, 'Shrink pool'),
      ),
      h(
        'form',
        {
          class: 'filters rate-limit',
          onsubmit: (event) => {
            event.preventDefault();
            const value = rate.value.trim();
            void act('rate-limit', { task: task.value, rate: value === '' ? null : value }, `Rate limit of ${task.value}`);
          },
        },
        h('label', {}, 'Task', task),
        h('label', {}, 'Rate (empty lifts it)', rate),
        h('button', { type: 'submit', 'data-action': 'rate-limit' }, 'Set rate limit'),
      ),
    );
  }

  async function refresh() {
    let detail;
    try {
      detail = await get(['workers', hostname]);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      replace(body, message('error', error.message));
      return;
    }
    syncClock(detail.now);
    const stats = detail.inspect?.stats ?? null;
    const pool = stats?.pool ?? null;
    replace(
      body,
      detail.error === null ? null : message('info', `No live answers: ${detail.error}.`),
      controls(detail),
      h(
        'section',
        { class: 'detail', id: 'worker-detail' },
        fields([
          ['Status', h('span', { class: `liveness ${detail.online ? 'online' : 'offline'}` }, detail.online ? 'online' : 'offline')],
          ['Last heartbeat', detail.seenByCamera ? ago(detail.lastHeartbeat) : h('span', { class: 'muted' }, 'not seen by the camera')],
          ['Processed (camera)', h('a', { href: hashLink(['tasks'], { worker: hostname }) }, String(detail.processed))],
          ['Failed (camera)', h('a', { href: hashLink(['tasks'], { worker: hostname, state: 'FAILURE' }) }, String(detail.failed))],
          ['PID', stats === null ? null : String(stats.pid)],
          ['Pool', pool === null ? null : `${Array.isArray(pool.processes) ? pool.processes.length : '?'} of ${pool['max-concurrency'] ?? '?'} processes`],
          ['Uptime', stats === null ? null : `${stats.uptime} s`],
        ]),
        detail.inspect === null
          ? null
          : [
              h('h2', {}, `Active tasks (${detail.inspect.active.length})`),
              detail.inspect.active.length === 0
                ? h('p', { class: 'muted' }, 'None running.')
                : h(
                    'table',
                    { class: 'list', id: 'worker-active' },
                    h('thead', {}, h('tr', {}, h('th', {}, 'Task id'), h('th', {}, 'Name'), h('th', {}, 'Arguments'))),
                    h(
                      'tbody',
                      {},
                      detail.inspect.active.map((task) =>
                        h(
                          'tr',
                          { 'data-id': task.id },
                          h('td', { class: 'mono' }, h('a', { href: hashLink(['tasks', task.id]) }, task.id)),
                          h('td', {}, task.name),
                          h('td', { class: 'mono' }, JSON.stringify(task.args)),
                        ),
                      ),
                    ),
                  ),
              h('h2', {}, 'Queues consumed'),
              h('ul', { id: 'worker-queues' }, detail.inspect.activeQueues.map((queue) => h('li', { class: 'mono' }, queue.name))),
              h('h2', {}, 'Registered tasks'),
              h('ul', { id: 'worker-registered' }, detail.inspect.registered.map((name) => h('li', { class: 'mono' }, name))),
            ],
      ),
    );
  }

  await Promise.all([refresh(), refreshChart()]);
  return { refresh: () => Promise.all([refresh(), refreshChart()]) };
}
