// A filtered list, newest first, one page at a time: the shape of the tasks
// and results views. Filters live in the address (#/tasks?state=FAILURE),
// so a filtered view can be bookmarked or shared; the page position does
// not, as new rows keep arriving at the top.
import { get } from './api.js';
import { h, hashLink, replace } from './dom.js';
import { message, pager, syncClock } from './widgets.js';

/**
 * @param main        where to draw
 * @param options.title
 * @param options.path      the view's hash path and API path, e.g. 'tasks'
 * @param options.filters   [{ name, label, choices?: string[] | () => Promise<string[]> }]
 * @param options.query     the address's query (URLSearchParams)
 * @param options.columns   [{ label, cell: (item) => node | string }]
 * @param options.rowKey    (item) => string, for tests and links
 * @param options.empty     text when nothing matches
 */
export async function showPagedList(main, options) {
  const values = Object.fromEntries(options.filters.map((filter) => [filter.name, options.query.get(filter.name) ?? '']));
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (event) => event.preventDefault() });
  const body = h('div', { class: 'view-body' }, message('info', 'Loading…'));
  replace(main, h('h1', {}, options.title), form, body);

  const apply = () => {
    const chosen = {};
    for (const element of form.elements) if (element.name) chosen[element.name] = element.value.trim();
    location.hash = hashLink([options.path], chosen);
  };
  for (const filter of options.filters) form.append(await filterControl(filter, values[filter.name], apply));
  form.append(h('button', { type: 'button', class: 'secondary', onclick: () => (location.hash = hashLink([options.path])) }, 'Clear'));

  // Cursors of the pages before this one, so "Newer" can go back.
  const earlier = [];
  let cursor = null;

  async function refresh() {
    const data = await get([options.path], { ...values, cursor, limit: options.limit ?? 25 });
    syncClock(data.now);
    if (data.items.length === 0) {
      replace(body, message('info', cursor === null ? options.empty : 'Nothing older.'));
      if (cursor !== null) body.append(pagerFor(data.next));
      return;
    }
    replace(
      body,
      h(
        'table',
        { class: 'list', id: `${options.path}-list` },
        h('thead', {}, h('tr', {}, options.columns.map((column) => h('th', {}, column.label)))),
        h(
          'tbody',
          {},
          data.items.map((item) => h('tr', { 'data-id': options.rowKey(item) }, options.columns.map((column) => h('td', { class: column.class ?? null }, column.cell(item))))),
        ),
      ),
      pagerFor(data.next),
    );
  }

  function pagerFor(next) {
    return pager({
      hasNewer: earlier.length > 0,
      next,
      onNewer: () => {
        cursor = earlier.pop() ?? null;
        void refresh();
      },
      onOlder: () => {
        earlier.push(cursor);
        cursor = next;
        void refresh();
      },
    });
  }

  await refresh();
  return { refresh };
}

async function filterControl(filter, value, onChange) {
  const id = `filter-${filter.name}`;
  let control;
  if (filter.choices) {
    const choices = typeof filter.choices === 'function' ? await filter.choices() : filter.choices;
    const all = value !== '' && !choices.includes(value) ? [...choices, value] : choices;
    control = h(
      'select',
      { id, name: filter.name, onchange: onChange },
      h('option', { value: '' }, `any ${filter.label.toLowerCase()}`),
      all.map((choice) => h('option', { value: choice, selected: choice === value }, choice)),
    );
  } else {
    control = h('input', { id, name: filter.name, type: 'search', value, placeholder: filter.placeholder ?? '', onchange: onChange });
  }
  return h('label', { for: id }, h('span', {}, filter.label), control);
}
