// Pieces every view uses: times that say "3 minutes ago" (exact on hover),
// state badges, the pager, messages, and a key/value list for details.
import { h, hashLink } from './dom.js';
import { exactTime, naturalDate, shortDuration } from './humanize.js';

// The server's clock minus ours, so "ago" is measured against the clock
// that stamped the rows even when this machine's clock is off.
let skewMs = 0;

export function syncClock(serverNow) {
  const server = Date.parse(serverNow);
  if (Number.isFinite(server)) skewMs = server - Date.now();
}

export const now = () => new Date(Date.now() + skewMs);

/** A <time> saying how long ago `iso` was, with the exact instant (in this browser's zone) on hover. */
export function ago(iso, { includeSeconds = true } = {}) {
  if (iso === null || iso === undefined) return h('span', { class: 'muted' }, 'never');
  const date = new Date(iso);
  return h('time', { datetime: iso, title: exactTime(date), 'data-ago': includeSeconds ? 'seconds' : 'minutes' }, naturalDate(date, now(), { includeSeconds }));
}

/**
 * An instant on this browser's wall clock, to the second and with its zone
 * ("2026-11-30 04:30:00 CET"); the date and the time are spans of their own,
 * so a narrow column can put them on two lines. UTC on hover.
 */
export function at(iso) {
  if (iso === null || iso === undefined) return h('span', { class: 'muted' }, '—');
  const date = new Date(iso);
  const [day, ...clock] = exactTime(date).split(' ');
  return h('time', { datetime: iso, title: date.toISOString() }, h('span', { class: 'day' }, day), ' ', h('span', { class: 'clock' }, clock.join(' ')));
}

/** Re-words every "ago" on the page as time passes, without refetching. */
export function refreshTimes(root = document) {
  for (const element of root.querySelectorAll('time[data-ago]')) {
    const date = new Date(element.getAttribute('datetime'));
    element.textContent = naturalDate(date, now(), { includeSeconds: element.dataset.ago === 'seconds' });
  }
}

export const duration = (seconds) =>
  seconds === null || seconds === undefined ? h('span', { class: 'muted' }, '—') : shortDuration(seconds);

export const STATES = ['PENDING', 'RECEIVED', 'STARTED', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED', 'REJECTED'];

export function badge(state) {
  const known = STATES.includes(state) ? state.toLowerCase() : 'custom';
  return h('span', { class: `badge state-${known}` }, state);
}

export const message = (kind, text) => h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);

/** "Newer" goes back to the page before; "Older" follows the server's cursor. */
export function pager({ hasNewer, next, onNewer, onOlder, labels = ['← Newer', 'Older →'] }) {
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'pages' },
    h('button', { type: 'button', class: 'secondary', disabled: !hasNewer, onclick: onNewer }, labels[0]),
    h('button', { type: 'button', class: 'secondary', disabled: next === null, onclick: onOlder }, labels[1]),
  );
}

/** A <dl> of label → value rows; a null value shows a dash. */
export function fields(rows) {
  return h(
    'dl',
    { class: 'fields' },
    rows.map(([label, value]) => [h('dt', {}, label), h('dd', {}, value ?? h('span', { class: 'muted' }, '—'))]),
  );
}

/** Preformatted text that may be long (arguments, results, tracebacks). */
export const pre = (text, className = '') =>
  text === null || text === undefined || text === '' ? h('span', { class: 'muted' }, '—') : h('pre', { class: className }, text);

/** JSON values shown as indented JSON; strings as they are. */
export const jsonText = (value) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** Detail rows linking a task sent again from the monitor to the one it retries, and back, within `view`. */
export function retryLinks(detail, view) {
  const link = (id) => h('a', { class: 'mono', href: hashLink([view, id]) }, id);
  return [
    detail.retryOf === null ? null : ['Retry of', link(detail.retryOf)],
    detail.retriedAs.length === 0 ? null : ['Sent again as', h('span', { class: 'retried-as' }, detail.retriedAs.map((id, i) => [i === 0 ? null : ', ', link(id)]))],
  ].filter((row) => row !== null);
}
