// Tasks as the camera saw them: filtered by state, name and worker, and one
// task in full (arguments, result, traceback, runtime); once unlocked, a
// task not finished can be revoked, or terminated where it runs.
import { ApiError, get, post } from './api.js';
import { h, hashLink, replace } from './dom.js';
import { showPagedList } from './paged-list.js';
import { ago, at, badge, duration, fields, message, pre, retryLinks, STATES } from './widgets.js';

const workerNames = async () => (await get(['workers'])).items.map((worker) => worker.hostname);

/** States after which a revoke changes nothing. */
const FINISHED = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);

export function show(main, route, context) {
  const id = route.path[1];
  if (id !== undefined) return showTask(main, id, context);
  return showPagedList(main, {
    title: 'Tasks',
    path: 'tasks',
    query: route.query,
    filters: [
      { name: 'state', label: 'State', choices: STATES },
      { name: 'name', label: 'Name', placeholder: 'tasks.add' },
      { name: 'worker', label: 'Worker', choices: workerNames },
    ],
    rowKey: (task) => task.taskId,
    empty: 'No task matches. Tasks appear once the camera (prisma-celery cam) has seen their events.',
    columns: [
      { label: 'State', cell: (task) => badge(task.state) },
      { label: 'Name', cell: (task) => task.name ?? h('span', { class: 'muted' }, 'unknown') },
      { label: 'Task id', class: 'mono', cell: (task) => h('a', { href: hashLink(['tasks', task.taskId]) }, task.taskId) },
      { label: 'Worker', class: 'mono', cell: (task) => task.worker ?? '' },
      { label: 'When', cell: (task) => ago(task.tstamp) },
      { label: 'Runtime', cell: (task) => duration(task.runtime) },
    ],
  });
}

async function showTask(main, id, context) {
  replace(main, h('p', { class: 'back' }, h('a', { href: '#/tasks' }, '← Tasks')), h('h1', {}, 'Task'), message('info', 'Loading…'));
  let task;
  try {
    task = await get(['tasks', id]);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    main.lastChild.replaceWith(message('error', `The camera has no task ${id} (it may have expired).`));
    return {};
  }
  const notice = h('div', { class: 'notices', 'aria-live': 'polite' });
  async function revoke(terminate) {
    try {
      const answer = await post(['tasks', id, 'revoke'], { terminate });
      const hosts = Object.keys(answer.replies);
      replace(notice, message('ok', `${terminate ? 'Terminate' : 'Revoke'} sent; ${hosts.length === 0 ? 'no worker answered' : `answered by ${hosts.join(', ')}`}.`));
    } catch (error) {
      replace(notice, message('error', error.message));
    }
  }
  const canRevoke = !FINISHED.has(task.state) && context.canChange() && context.config.canControl;
  main.lastChild.replaceWith(
    h(
      'section',
      { class: 'detail', id: 'task-detail' },
      notice,
      canRevoke
        ? h(
            'p',
            { class: 'actions' },
            h('button', { type: 'button', class: 'secondary', 'data-action': 'revoke', onclick: () => revoke(false) }, 'Revoke'),
            h('button', { type: 'button', 'data-action': 'terminate', onclick: () => revoke(true) }, 'Terminate'),
          )
        : null,
      fields([
        ['Task id', h('span', { class: 'mono' }, task.taskId)],
        ['State', badge(task.state)],
        ['Name', task.name],
        ['Worker', task.worker === null ? null : h('a', { href: hashLink(['tasks'], { worker: task.worker }) }, task.worker)],
        ['When', h('span', {}, ago(task.tstamp), ' · ', at(task.tstamp))],
        ['Runtime', duration(task.runtime)],
        ['Retries', String(task.retries)],
        ['ETA', task.eta === null ? null : at(task.eta)],
        ['Expires', task.expires === null ? null : at(task.expires)],
        ['Result', h('a', { href: hashLink(['results', task.taskId]) }, 'stored result, if any')],
        ...retryLinks(task, 'tasks'),
      ]),
      h('h2', {}, 'Arguments'),
      pre(task.args),
      h('h2', {}, 'Keyword arguments'),
      pre(task.kwargs),
      h('h2', {}, task.state === 'FAILURE' || task.state === 'RETRY' ? 'Exception' : 'Result'),
      pre(task.result),
      task.traceback ? [h('h2', {}, 'Traceback'), pre(task.traceback, 'traceback')] : null,
    ),
  );
  return {};
}
