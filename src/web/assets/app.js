// The monitor page: reads the server's config, draws the view the address
// names (#/workers, #/tasks?state=FAILURE, #/periodic, …), draws it again
// when the server says its data changed (or, without live updates, every
// few seconds while the tab is visible), and unlocks the buttons that
// change things once the token is entered.
import { ApiError, get, post, token } from './api.js';
import { h, replace } from './dom.js';
import { followChanges } from './live.js';
import * as beats from './view-beats.js';
import * as history from './view-history.js';
import * as periodic from './view-periodic.js';
import * as queues from './view-queues.js';
import * as results from './view-results.js';
import * as tasks from './view-tasks.js';
import * as workers from './view-workers.js';
import { message, refreshTimes, syncClock } from './widgets.js';

const VIEWS = { workers, tasks, results, history, periodic, queues, beats };
const REFRESH_MS = 5000;
/** What each view shows, as the live updates name it; a view not listed (beats: heartbeats notify nobody) keeps its timer. */
const SHOWS = {
  workers: ['workers', 'tasks'],
  tasks: ['tasks'],
  results: ['results'],
  // Its refresh is throttled: a chart query every few seconds at most.
  history: ['tasks'],
  periodic: ['periodic'],
  queues: ['results', 'tasks', 'periodic'],
};

const main = document.getElementById('main');
const lock = document.getElementById('lock');
const context = {
  config: null,
  unlocked: false,
  /** Whether the buttons that change things are shown. */
  canChange: () => !context.config.readOnly && context.unlocked,
  flashed: null,
  flash: (text) => {
    context.flashed = text;
  },
};

let current = null;
// Whether the event stream is open: the timer then leaves the views it covers alone.
let live = false;
// A redraw skipped (hidden tab, someone typing): done when the tab shows again, or on the next tick.
let stale = false;
// Bumped on each navigation, so a slow answer for a view left meanwhile is dropped.
let generation = 0;

const viewName = (where) => (VIEWS[where.path[0]] ? where.path[0] : 'workers');

function onTimer() {
  if (!live || stale || SHOWS[viewName(route())] === undefined) void refresh();
}

function onChange(topics) {
  if ((SHOWS[viewName(route())] ?? []).some((topic) => topics.has(topic))) void refresh();
}

function onLive(connected) {
  // A reconnect may have missed changes: draw once more.
  if (connected && !live && current !== null) void refresh();
  live = connected;
  document.documentElement.dataset.live = connected ? 'on' : 'off';
  const badge = document.getElementById('live');
  badge.hidden = !connected;
}

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const segments = path === '' ? [] : path.split('/').map(decodeURIComponent);
  return { path: segments.length === 0 ? ['workers'] : segments, query: new URLSearchParams(query) };
}

async function render() {
  const mine = ++generation;
  const where = route();
  const view = VIEWS[where.path[0]] ?? workers;
  for (const link of document.querySelectorAll('nav.tabs a')) {
    link.toggleAttribute('aria-current', link.dataset.view === viewName(where));
  }
  const target = h('div');
  replace(main, target);
  try {
    const shown = await view.show(target, where, context);
    if (mine !== generation) return;
    current = shown;
    if (context.flashed !== null) {
      target.prepend(message('ok', context.flashed));
      context.flashed = null;
    }
  } catch (error) {
    if (mine === generation) replace(target, message('error', `Could not load this view: ${error.message}`));
  }
}

async function refresh() {
  if (current?.refresh === undefined) return;
  // Not while hidden, nor while someone types: a redraw would throw their input away.
  if (document.hidden || (main.contains(document.activeElement) && document.activeElement.matches('input, select, textarea'))) {
    stale = true;
    return;
  }
  stale = false;
  const mine = generation;
  try {
    await current.refresh();
  } catch (error) {
    if (mine === generation) main.prepend(message('error', `Refresh failed: ${error.message}`));
  }
  refreshTimes(main);
}

function drawLock() {
  if (context.config.readOnly) {
    replace(lock, h('span', { class: 'badge read-only', title: 'Start prisma-celery serve with --token to allow changes' }, 'read-only'));
    return;
  }
  if (context.unlocked) {
    replace(
      lock,
      h('span', { class: 'badge unlocked' }, 'unlocked'),
      h('button', { type: 'button', class: 'secondary', onclick: () => setUnlocked(false) }, 'Lock'),
    );
    return;
  }
  const field = h('input', { type: 'password', id: 'token', name: 'token', placeholder: 'token', autocomplete: 'current-password', 'aria-label': 'token' });
  const problem = h('span', { class: 'lock-error', role: 'alert' });
  replace(
    lock,
    h(
      'form',
      {
        class: 'unlock',
        onsubmit: async (event) => {
          event.preventDefault();
          token.set(field.value.trim());
          try {
            await post(['token']);
            setUnlocked(true);
          } catch (error) {
            token.clear();
            problem.textContent = error instanceof ApiError && error.status === 401 ? 'wrong token' : error.message;
          }
        },
      },
      field,
      h('button', { type: 'submit' }, 'Unlock'),
      problem,
    ),
  );
}

function setUnlocked(unlocked) {
  context.unlocked = unlocked;
  if (!unlocked) token.clear();
  drawLock();
  void render();
}

async function start() {
  context.config = await get(['config']);
  syncClock(context.config.now);
  if (!context.config.readOnly && token.get()) {
    try {
      await post(['token']);
      context.unlocked = true;
    } catch {
      token.clear();
    }
  }
  drawLock();
  addEventListener('hashchange', render);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && stale) void refresh();
  });
  setInterval(onTimer, REFRESH_MS);
  if (context.config.live) followChanges(onChange, onLive);
  await render();
}

start().catch((error) => replace(main, message('error', `The monitor could not start: ${error.message}`)));
