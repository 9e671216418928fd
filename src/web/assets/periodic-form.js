// Adding and editing a periodic task. The server checks the entry as beat
// would and names every field at fault; each message is shown under its field.
import { ApiError, get, post, put } from './api.js';
import { h, hashLink, replace } from './dom.js';
import { message } from './widgets.js';

const PERIODS = ['days', 'hours', 'minutes', 'seconds'];
const CRON_FIELDS = [
  ['minute', 'Minute', '0-59, e.g. */15'],
  ['hour', 'Hour', '0-23, e.g. 4'],
  ['day_of_month', 'Day of month', '1-31'],
  ['month_of_year', 'Month', '1-12 or jan-dec'],
  ['day_of_week', 'Day of week', '0-6 or sun-sat'],
];

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An instant as a datetime-local value on this browser's wall clock. */
function localInput(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function field(name, label, control, hint) {
  const id = `field-${name.replace(/\W/g, '-')}`;
  control.id = id;
  control.name = name;
  return h(
    'div',
    { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { class: 'hint' }, hint) : null,
    h('small', { class: 'field-error', role: 'alert' }),
  );
}

const input = (value, attributes = {}) => h('input', { type: 'text', value: value ?? '', autocomplete: 'off', ...attributes });

export async function showPeriodicForm(main, name, context) {
  const editing = name !== null;
  const back = h('p', { class: 'back' }, h('a', { href: '#/periodic' }, '← Periodic tasks'));
  if (!context.canChange()) {
    replace(main, back, message('error', 'Unlock the page with the token to add or edit periodic tasks.'));
    return {};
  }
  const entry = editing
    ? await get(['periodic-tasks', name])
    : { name: '', task: '', schedule: { kind: 'interval', every: '5', period: 'minutes' }, args: '[]', kwargs: '{}', queue: '', description: '', enabled: true, oneOff: false };
  const schedule = entry.schedule;
  const top = h('div', { class: 'notices', 'aria-live': 'polite' });

  const kindChoice = (kind, label) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'kind', value: kind, checked: schedule.kind === kind, onchange: showKind }), label);
  const zones = h('datalist', { id: 'time-zones' }, Intl.supportedValuesOf('timeZone').map((zone) => h('option', { value: zone })));
  const groups = {
    interval: h(
      'fieldset',
      { class: 'schedule-kind', 'data-kind': 'interval' },
      h('legend', {}, 'Every'),
      field('schedule.every', 'Every', input(schedule.kind === 'interval' ? schedule.every : '5', { inputmode: 'numeric' })),
      field(
        'schedule.period',
        'Period',
        h('select', {}, PERIODS.map((period) => h('option', { value: period, selected: (schedule.period ?? 'minutes') === period }, period))),
      ),
    ),
    crontab: h(
      'fieldset',
      { class: 'schedule-kind', 'data-kind': 'crontab' },
      h('legend', {}, 'Crontab (Celery semantics: day of month AND day of week)'),
      CRON_FIELDS.map(([key, label, hint]) => field(`schedule.${key}`, label, input(schedule.kind === 'crontab' ? schedule[key] : '*'), hint)),
      field('schedule.timezone', 'Time zone', input(schedule.kind === 'crontab' ? schedule.timezone : browserZone(), { list: 'time-zones' })),
      zones,
    ),
    clocked: h(
      'fieldset',
      { class: 'schedule-kind', 'data-kind': 'clocked' },
      h('legend', {}, 'Once'),
      field('schedule.clocked', `At (your time, ${browserZone()})`, h('input', { type: 'datetime-local', value: schedule.kind === 'clocked' ? localInput(schedule.clocked) : '' })),
    ),
  };

  function showKind() {
    const kind = form.elements.kind.value;
    for (const [name, group] of Object.entries(groups)) group.hidden = name !== kind;
  }

  const form = h(
    'form',
    { class: 'periodic-form', id: 'periodic-form', novalidate: true, onsubmit: submit },
    field('name', 'Name', input(entry.name, { required: true, maxlength: 200 }), 'unique, e.g. "nightly report"'),
    field('task', 'Task', input(entry.task, { required: true }), 'the registered task name, e.g. tasks.report'),
    h('fieldset', { class: 'kinds' }, h('legend', {}, 'Schedule'), kindChoice('interval', 'Interval'), kindChoice('crontab', 'Crontab'), kindChoice('clocked', 'Once at')),
    h('small', { class: 'field-error', 'data-field': 'schedule', role: 'alert' }),
    Object.values(groups),
    field('args', 'Arguments (JSON list)', h('textarea', { rows: 2, spellcheck: 'false' }, entry.args)),
    field('kwargs', 'Keyword arguments (JSON object)', h('textarea', { rows: 3, spellcheck: 'false' }, entry.kwargs)),
    field('queue', 'Queue', input(entry.queue), 'empty: Celery\'s default queue'),
    field('description', 'Description', input(entry.description)),
    h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'enabled', checked: entry.enabled }), 'Enabled'),
    h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'oneOff', checked: entry.oneOff }), 'Run once, then disable'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, editing ? 'Save' : 'Add'), h('a', { class: 'button secondary', href: '#/periodic' }, 'Cancel')),
  );
  replace(main, back, h('h1', {}, editing ? `Edit ${entry.name}` : 'Add a periodic task'), top, form);
  showKind();

  function values() {
    const value = (name) => form.elements[name].value;
    const kind = value('kind');
    const chosen = { kind };
    if (kind === 'interval') Object.assign(chosen, { every: value('schedule.every'), period: value('schedule.period') });
    if (kind === 'crontab') {
      for (const [key] of CRON_FIELDS) chosen[key] = value(`schedule.${key}`);
      chosen.timezone = value('schedule.timezone');
    }
    if (kind === 'clocked') {
      const local = value('schedule.clocked');
      // datetime-local is this browser's wall clock; the server wants an instant.
      chosen.clocked = local === '' ? '' : new Date(local).toISOString();
    }
    return {
      name: value('name'),
      task: value('task'),
      schedule: chosen,
      args: value('args'),
      kwargs: value('kwargs'),
      queue: value('queue'),
      description: value('description'),
      enabled: form.elements.enabled.checked,
      oneOff: form.elements.oneOff.checked,
    };
  }

  function clearErrors() {
    for (const element of form.querySelectorAll('.field-error')) element.textContent = '';
    for (const element of form.querySelectorAll('[aria-invalid]')) element.removeAttribute('aria-invalid');
    replace(top);
  }

  /** Each problem under its field, the first on the page focused; one without a field of its own above the form. */
  function showErrors(error) {
    const problems = error.errors.length > 0 ? error.errors : [{ field: null, message: error.message }];
    const general = [];
    for (const problem of problems) {
      const slot = problem.field && form.querySelector(`[data-field="${CSS.escape(problem.field)}"]`);
      if (!slot) {
        general.push(message('error', problem.message));
        continue;
      }
      const text = slot.classList.contains('field-error') ? slot : slot.querySelector('.field-error');
      text.textContent = problem.message;
      slot.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
    }
    replace(top, general);
    form.querySelector('[aria-invalid="true"]')?.focus();
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    try {
      const saved = editing ? await put(['periodic-tasks', name], values()) : await post(['periodic-tasks'], values());
      context.flash(`Saved "${saved.name}": ${saved.scheduleText}.`);
      location.hash = hashLink(['periodic']);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showErrors(error);
    }
  }

  return {};
}
