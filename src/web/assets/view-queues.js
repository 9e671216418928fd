// Queues: the ones the configuration, periodic tasks and recent results
// name, with the messages waiting and the consumers reading each, as the
// broker says.
import { get } from './api.js';
import { h, replace } from './dom.js';
import { message, syncClock } from './widgets.js';

const count = (value) => (value === null ? h('span', { class: 'muted' }, '—') : String(value));

export async function show(main) {
  const body = h('div', { class: 'view-body' }, message('info', 'Loading queues…'));
  replace(main, h('h1', {}, 'Queues'), body);

  async function refresh() {
    const data = await get(['queues']);
    syncClock(data.now);
    const note =
      data.error !== null
        ? message(data.transport === null ? 'info' : 'error', `No counts: ${data.error}.`)
        : data.transport === 'redis'
          ? message('info', 'Redis does not tell consumers apart: workers wait on the lists.')
          : null;
    replace(
      body,
      note,
      h(
        'table',
        { class: 'list', id: 'queues' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Queue'), h('th', { class: 'number' }, 'Messages'), h('th', { class: 'number' }, 'Consumers'), h('th', {}, ''))),
        h(
          'tbody',
          {},
          data.items.map((queue) =>
            h(
              'tr',
              { 'data-queue': queue.queue },
              h('td', { class: 'mono' }, queue.queue),
              h('td', { class: 'number', 'data-messages': queue.messages ?? '' }, count(queue.messages)),
              h('td', { class: 'number', 'data-consumers': queue.consumers ?? '' }, count(queue.consumers)),
              h('td', {}, queue.declared === false ? h('span', { class: 'muted' }, 'not declared on the broker') : null),
            ),
          ),
        ),
      ),
      data.truncated ? message('info', 'Only the first 100 queues are shown.') : null,
    );
  }

  await refresh();
  return { refresh };
}
