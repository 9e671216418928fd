// Workers: online or offline, and when each was last heard from; each one
// in detail (view-worker.js).
import { get } from './api.js';
import { h, hashLink, replace } from './dom.js';
import { showWorker } from './view-worker.js';
import { ago, message, syncClock } from './widgets.js';

export async function show(main, route, context) {
  if (route.path[1] !== undefined) return showWorker(main, route.path[1], context);
  const body = h('div', { class: 'view-body' }, message('info', 'Loading workers…'));
  replace(main, h('h1', {}, 'Workers'), body);

  async function refresh() {
    const data = await get(['workers']);
    syncClock(data.now);
    if (data.items.length === 0) {
      replace(body, message('info', 'No worker seen yet. Workers appear once the camera (prisma-celery cam) has seen their events.'));
      return;
    }
    const online = data.items.filter((worker) => worker.online).length;
    replace(
      body,
      h('p', { class: 'summary' }, `${online} of ${data.items.length} online`),
      h(
        'table',
        { class: 'list', id: 'workers' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Status'), h('th', {}, 'Worker'), h('th', {}, 'Last heartbeat'), h('th', {}, ''))),
        h(
          'tbody',
          {},
          data.items.map((worker) =>
            h(
              'tr',
              { 'data-worker': worker.hostname },
              h('td', {}, h('span', { class: `liveness ${worker.online ? 'online' : 'offline'}` }, worker.online ? 'online' : 'offline')),
              h('td', { class: 'mono' }, h('a', { href: hashLink(['workers', worker.hostname]) }, worker.hostname)),
              // No heartbeat kept means the worker said goodbye (worker-offline).
              h('td', {}, worker.lastHeartbeat === null ? h('span', { class: 'muted' }, 'signed off') : ago(worker.lastHeartbeat)),
              h('td', {}, h('a', { href: hashLink(['tasks'], { worker: worker.hostname }) }, 'tasks')),
            ),
          ),
        ),
      ),
      data.truncated ? message('info', 'Only the first 1000 workers are shown.') : null,
    );
  }

  await refresh();
  return { refresh };
}
