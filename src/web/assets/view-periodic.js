// Periodic tasks: their schedules in words and in cron form, next and last
// run (to the second, with the zone), run count; enable, disable and run now; add and edit (form in
// periodic-form.js). The buttons appear only once the page is unlocked; each entry's history
// (periodic-history.js) is open to read.
import { get, post } from './api.js';
import { h, hashLink, replace } from './dom.js';
import { showPeriodicForm } from './periodic-form.js';
import { showPeriodicHistory } from './periodic-history.js';
import { ago, at, message, pager, syncClock } from './widgets.js';

/** A dotted task name that may wrap after its dots and underscores, so a long one does not push the buttons out. */
const breakable = (name) => name.split(/(?<=[._])/).flatMap((part, i) => (i === 0 ? [part] : [h('wbr'), part]));

export function show(main, route, context) {
  const [, name, action] = route.path;
  if (name === 'new') return showPeriodicForm(main, null, context);
  if (name !== undefined && action === 'edit') return showPeriodicForm(main, name, context);
  if (name !== undefined && action === 'history') return showPeriodicHistory(main, name);
  return showList(main, context);
}

async function showList(main, context) {
  const notice = h('div', { class: 'notices', 'aria-live': 'polite' });
  const body = h('div', { class: 'view-body' }, message('info', 'Loading periodic tasks…'));
  replace(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, 'Periodic tasks'),
      context.canChange() ? h('a', { class: 'button', href: hashLink(['periodic', 'new']) }, 'Add periodic task') : null,
    ),
    notice,
    body,
  );
  const earlier = [];
  let after = null;

  async function act(entry, verb) {
    try {
      const answer = await post(['periodic-tasks', entry.name, verb]);
      const said = {
        enable: `Enabled "${entry.name}".`,
        disable: `Disabled "${entry.name}": beat will not send it.`,
        run: `Sent "${entry.task}" now (task id ${answer?.task_id}).`,
      }[verb];
      replace(notice, message('ok', said));
    } catch (error) {
      replace(notice, message('error', error.message));
    }
    await refresh();
  }

  function actions(entry) {
    if (!context.canChange()) return null;
    return h(
      'div',
      { class: 'actions' },
      entry.enabled
        ? h('button', { type: 'button', class: 'secondary', 'data-action': 'disable', onclick: () => act(entry, 'disable') }, 'Disable')
        : h('button', { type: 'button', 'data-action': 'enable', onclick: () => act(entry, 'enable') }, 'Enable'),
      context.config.canRun ? h('button', { type: 'button', class: 'secondary', 'data-action': 'run', onclick: () => act(entry, 'run') }, 'Run now') : null,
      h('a', { class: 'button secondary', href: hashLink(['periodic', entry.name, 'edit']) }, 'Edit'),
    );
  }

  async function refresh() {
    const data = await get(['periodic-tasks'], { after, limit: 50 });
    syncClock(data.now);
    if (data.items.length === 0) {
      replace(body, message('info', after === null ? 'No periodic task yet.' : 'Nothing further.'));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'list', id: 'periodic-list' },
        h(
          'thead',
          {},
          h('tr', {}, ['Enabled', 'Name', 'Task', 'Schedule', 'Cron', 'Next run', 'Last run', 'Runs', ''].map((label) => h('th', {}, label))),
        ),
        h(
          'tbody',
          {},
          data.items.map((entry) =>
            h(
              'tr',
              { 'data-name': entry.name, class: entry.enabled ? null : 'disabled' },
              h('td', {}, h('span', { class: `liveness ${entry.enabled ? 'online' : 'offline'}` }, entry.enabled ? 'yes' : 'no')),
              h(
                'td',
                {},
                h('strong', {}, entry.name),
                entry.description ? h('div', { class: 'muted small' }, entry.description) : null,
                // Under the name, open to read, so the buttons' column keeps its width.
                h('div', { class: 'small' }, h('a', { class: 'history', href: hashLink(['periodic', entry.name, 'history']) }, 'History')),
              ),
              h('td', { class: 'mono' }, breakable(entry.task)),
              h('td', { class: entry.kind === null ? 'invalid' : null }, entry.schedule, entry.oneOff ? h('span', { class: 'muted' }, ' (once)') : null),
              h('td', { class: 'mono' }, entry.cron ?? h('span', { class: 'muted' }, '—')),
              h('td', { class: 'run-time' }, at(entry.nextRunAt)),
              h('td', { class: 'run-time' }, at(entry.lastRunAt), entry.lastRunAt ? h('div', { class: 'muted small' }, ago(entry.lastRunAt)) : null),
              h('td', { class: 'number' }, String(entry.totalRunCount)),
              h('td', { class: 'row-actions' }, actions(entry)),
            ),
          ),
        ),
      ),
      pager({
        labels: ['← Previous', 'Next →'],
        hasNewer: earlier.length > 0,
        next: data.next,
        onNewer: () => {
          after = earlier.pop() ?? null;
          void refresh();
        },
        onOlder: () => {
          earlier.push(after);
          after = data.next;
          void refresh();
        },
      }),
    );
  }

  await refresh();
  return { refresh };
}
