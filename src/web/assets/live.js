// Live updates: the server's event stream (api/live) says what changed,
// and the page draws the view showing it again. While the stream is down
// (EventSource reconnects on its own) the page falls back to its timer.

/** What the server names: the view that shows one of these draws itself again. */
const TOPICS = ['results', 'tasks', 'workers', 'periodic'];
/** A burst of events (a worker finishing many tasks) makes one redraw, at most every 250 ms. */
const DEBOUNCE_MS = 250;

/**
 * Calls `onChange(topics)` (a Set) after each burst of events, and
 * `onState(connected)` when the stream opens or breaks. Returns false when
 * the browser has no EventSource: the timer alone refreshes then.
 */
export function followChanges(onChange, onState) {
  if (typeof EventSource !== 'function') return false;
  const source = new EventSource('api/live');
  let pending = new Set();
  let timer = null;
  const changed = (event) => {
    pending.add(event.type);
    timer ??= setTimeout(() => {
      timer = null;
      const topics = pending;
      pending = new Set();
      onChange(topics);
    }, DEBOUNCE_MS);
  };
  for (const topic of TOPICS) source.addEventListener(topic, changed);
  source.addEventListener('open', () => onState(true));
  source.addEventListener('error', () => onState(false));
  return true;
}
