// Beats: each one's heartbeat row, alive, late or gone by the server's rule
// (the age of its last tick against its own max interval).
import { get } from './api.js';
import { h, replace } from './dom.js';
import { ago, at, message, syncClock } from './widgets.js';

const SAID = { alive: 'alive', late: 'late', gone: 'gone' };

export async function show(main) {
  const body = h('div', { class: 'view-body' }, message('info', 'Loading beats…'));
  replace(main, h('h1', {}, 'Beats'), body);

  async function refresh() {
    const data = await get(['beats']);
    syncClock(data.now);
    if (data.items.length === 0) {
      replace(body, message('info', 'No beat has run yet. Each running prisma-celery beat shows here with its heartbeat.'));
      return;
    }
    const alive = data.items.filter((beat) => beat.liveness === 'alive').length;
    replace(
      body,
      h('p', { class: 'summary' }, `${alive} of ${data.items.length} alive`),
      h(
        'table',
        { class: 'list', id: 'beats' },
        h(
          'thead',
          {},
          h('tr', {}, ['Status', 'Host', 'PID', 'Version', 'Started', 'Last tick', 'Max interval'].map((label) => h('th', {}, label))),
        ),
        h(
          'tbody',
          {},
          data.items.map((beat) =>
            h(
              'tr',
              { 'data-beat': `${beat.hostname}:${beat.pid}`, 'data-liveness': beat.liveness },
              h('td', {}, h('span', { class: `liveness ${beat.liveness}` }, beat.stopped === null ? SAID[beat.liveness] : 'stopped')),
              h('td', { class: 'mono' }, beat.hostname),
              h('td', { class: 'mono' }, String(beat.pid)),
              h('td', {}, beat.version),
              h('td', {}, at(beat.started)),
              h('td', {}, ago(beat.lastTick)),
              h('td', {}, `${beat.maxInterval} s`),
            ),
          ),
        ),
      ),
      data.truncated ? message('info', 'Only the 200 most recently seen beats are shown.') : null,
    );
  }

  await refresh();
  return { refresh };
}
