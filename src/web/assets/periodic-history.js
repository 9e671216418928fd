// One periodic task's recorded changes (the audit trail): when, who, what,
// and each changed field before → after. Open to read, like the list.
import { get } from './api.js';
import { h, replace } from './dom.js';
import { ago, at, message } from './widgets.js';

// Text as it is, but an empty one visible.
const text = (value) => (value === null || value === undefined ? '—' : typeof value === 'string' && value !== '' ? value : JSON.stringify(value));
const blank = (value) => value === null || value === undefined || value === false || value === '' || value === '{}' || value === '[]';

/** The fields of one change: before → after, or the entry as made (created) or as it was (deleted). */
function changes(change) {
  if (change.action === 'created' || change.action === 'deleted') {
    const fields = (change.action === 'created' ? change.after : change.before) ?? {};
    const shown = Object.entries(fields).filter(([key, value]) => key !== 'name' && !blank(value));
    return h('dl', { class: 'fields' }, shown.flatMap(([key, value]) => [h('dt', {}, key), h('dd', { class: 'mono' }, text(value))]));
  }
  return h(
    'dl',
    { class: 'fields' },
    Object.keys(change.after ?? {}).flatMap((key) => [
      h('dt', {}, key),
      h('dd', { class: 'mono' }, h('del', {}, text(change.before?.[key])), ' → ', h('ins', {}, text(change.after?.[key]))),
    ]),
  );
}

export async function showPeriodicHistory(main, name) {
  const back = h('p', { class: 'back' }, h('a', { href: '#/periodic' }, '← Periodic tasks'));
  const body = h('div', { class: 'view-body' }, message('info', 'Loading the history…'));
  replace(main, back, h('h1', {}, `History of ${name}`), body);
  async function refresh() {
    const data = await get(['periodic-tasks', name, 'history']);
    if (data.changes.length === 0) {
      replace(body, message('info', 'No recorded changes.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'list', id: 'periodic-history' },
        h('thead', {}, h('tr', {}, ['When', 'Who', 'Change', 'Fields'].map((label) => h('th', {}, label)))),
        h(
          'tbody',
          {},
          // Newest first, as a person reads a history.
          [...data.changes].reverse().map((change) =>
            h(
              'tr',
              { 'data-action': change.action },
              h('td', { class: 'run-time' }, at(change.at), h('div', { class: 'muted small' }, ago(change.at))),
              h('td', { class: 'mono' }, change.actor),
              h('td', {}, change.action),
              h('td', {}, changes(change)),
            ),
          ),
        ),
      ),
    );
  }
  await refresh();
  return { refresh };
}
