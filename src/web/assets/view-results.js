// Task results as the result backend stored them (celery_taskmeta); a
// failed one can be sent again (Retry) once the page is unlocked, and the
// tasks sent again link to the one they retry, and back.
import { ApiError, get, post } from './api.js';
import { h, hashLink, replace } from './dom.js';
import { showPagedList } from './paged-list.js';
import { ago, at, badge, duration, fields, jsonText, message, pre, retryLinks, STATES } from './widgets.js';

export function show(main, route, context) {
  const id = route.path[1];
  if (id !== undefined) return showResult(main, id, context);
  return showPagedList(main, {
    title: 'Task results',
    path: 'results',
    query: route.query,
    filters: [
      { name: 'status', label: 'Status', choices: STATES },
      { name: 'name', label: 'Name', placeholder: 'tasks.add' },
      { name: 'worker', label: 'Worker', placeholder: 'celery@host' },
    ],
    rowKey: (result) => result.taskId,
    empty: 'No stored result matches.',
    columns: [
      { label: 'Status', cell: (result) => badge(result.status) },
      { label: 'Name', cell: (result) => result.name ?? h('span', { class: 'muted' }, 'unknown') },
      { label: 'Task id', class: 'mono', cell: (result) => h('a', { href: hashLink(['results', result.taskId]) }, result.taskId) },
      { label: 'Worker', class: 'mono', cell: (result) => result.worker ?? '' },
      { label: 'Done', cell: (result) => ago(result.dateDone) },
    ],
  });
}

async function showResult(main, id, context) {
  replace(main, h('p', { class: 'back' }, h('a', { href: '#/results' }, '← Task results')), h('h1', {}, 'Task result'), message('info', 'Loading…'));
  let result;
  try {
    result = await get(['results', id]);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    main.lastChild.replaceWith(message('error', `No result is stored for task ${id} (it may be pending, expired or forgotten).`));
    return {};
  }
  const notice = h('div', { class: 'notices', 'aria-live': 'polite' });
  async function retry(button) {
    button.disabled = true;
    try {
      const sent = await post(['results', id, 'retry']);
      // Drawn again for the new link; the address stays, so the page does not redraw it by itself.
      await showResult(main, id, context);
      main.querySelector('#result-detail .notices')?.append(message('ok', `Sent ${sent.name} again as task ${sent.taskId}.`));
    } catch (error) {
      button.disabled = false;
      replace(notice, message('error', error.message));
    }
  }
  const canRetry = result.status === 'FAILURE' && context.canChange() && context.config.canRun;
  main.lastChild.replaceWith(
    h(
      'section',
      { class: 'detail', id: 'result-detail' },
      notice,
      canRetry
        ? h('p', { class: 'actions' }, h('button', { type: 'button', 'data-action': 'retry', onclick: (event) => retry(event.currentTarget) }, 'Retry'))
        : null,
      fields([
        ['Task id', h('span', { class: 'mono' }, result.taskId)],
        ['Status', badge(result.status)],
        ['Name', result.name],
        ['Worker', result.worker],
        ['Queue', result.queue],
        ['Retries', result.retries === null ? null : String(result.retries)],
        ['Created', at(result.dateCreated)],
        ['Started', result.dateStarted === null ? null : at(result.dateStarted)],
        ['Done', h('span', {}, ago(result.dateDone), ' · ', at(result.dateDone))],
        ['Runtime', duration(result.runtime)],
        ['Seen by the camera', h('a', { href: hashLink(['tasks', result.taskId]) }, 'task events, if any')],
        ...retryLinks(result, 'results'),
      ]),
      h('h2', {}, 'Arguments'),
      pre(result.args === null ? null : jsonText(result.args)),
      h('h2', {}, 'Keyword arguments'),
      pre(result.kwargs === null ? null : jsonText(result.kwargs)),
      h('h2', {}, 'Result'),
      pre(jsonText(result.result)),
      result.children.length > 0 ? [h('h2', {}, 'Children'), pre(jsonText(result.children))] : null,
      result.traceback ? [h('h2', {}, 'Traceback'), pre(result.traceback, 'traceback')] : null,
    ),
  );
  return {};
}
