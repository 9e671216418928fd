// Time charts drawn as SVG: one line per series over equal time buckets,
// with a time axis in this browser's zone (the buckets' edges are the
// server's whole UTC minutes or hours), a count axis, a legend with each
// series' total, and each bucket's counts on hover. The drawn numbers stay
// on the elements (data-values), so what is shown can be read back.

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 200;
const PAD = { left: 40, right: 22, top: 10, bottom: 24 };

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

/** The top of the count axis: 1, 2 or 5 times a power of ten, at least `max` (and at least 1). */
export function niceCeiling(max) {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * power).find((top) => top >= max);
}

const pad2 = (n) => String(n).padStart(2, '0');
const clock = (date) => `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
const day = (date) => date.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

/**
 * Which buckets get a time label: every 10 minutes for minute buckets, and
 * the first bucket of each local day for hour buckets.
 */
function ticks(since, stepSeconds, count) {
  const out = [];
  const at = (i) => new Date(since + i * stepSeconds * 1000);
  for (let i = 0; i < count; i++) {
    const date = at(i);
    if (stepSeconds < 3600) {
      if (date.getMinutes() % 10 === 0) out.push({ index: i, text: clock(date) });
    } else if (i > 0 && at(i - 1).getDate() !== date.getDate()) {
      out.push({ index: i, text: day(date) });
    }
  }
  return out;
}

/**
 * A figure with the chart and its legend. `series`: [{ key, label, values }],
 * each drawn in the colour of class `series-<key>`; `since` is an ISO
 * instant, `step` the bucket's seconds.
 */
export function timeChart({ id, title, since, step, series }) {
  const start = Date.parse(since);
  const count = series[0]?.values.length ?? 0;
  const top = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (count <= 1 ? 0 : (i / (count - 1)) * plotWidth);
  const y = (value) => PAD.top + plotHeight - (value / top) * plotHeight;

  const chart = svg('svg', {
    class: 'chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: 'img',
    'aria-label': title,
    'data-since': since,
    'data-step': step,
    'data-count': count,
  });
  // Count axis: 0, half and top, with grid lines.
  for (const value of [0, top / 2, top]) {
    chart.append(
      svg('line', { class: 'grid', x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      svg('text', { class: 'axis', x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, Number.isInteger(value) ? value : value.toFixed(1)),
    );
  }
  for (const tick of ticks(start, step, count)) {
    chart.append(
      svg('line', { class: 'tick', x1: x(tick.index), x2: x(tick.index), y1: PAD.top + plotHeight, y2: PAD.top + plotHeight + 4 }),
      svg('text', { class: 'axis', x: x(tick.index), y: HEIGHT - 6, 'text-anchor': 'middle' }, tick.text),
    );
  }
  for (const s of series) {
    const points = s.values.map((value, i) => `${x(i).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { class: `line series-${s.key}`, points, 'data-series': s.key, 'data-values': s.values.join(',') }));
  }
  // One hover target per bucket, saying when it starts and what it counted.
  const slot = count <= 1 ? plotWidth : plotWidth / (count - 1);
  for (let i = 0; i < count; i++) {
    const date = new Date(start + i * step * 1000);
    const when = step < 3600 ? `${day(date)} ${clock(date)}` : `${day(date)} ${clock(date)}–${clock(new Date(date.getTime() + step * 1000))}`;
    const counts = series.map((s) => `${s.label} ${s.values[i]}`).join(', ');
    chart.append(svg('rect', { class: 'hover', x: x(i) - slot / 2, y: PAD.top, width: slot, height: plotHeight }, svg('title', {}, `${when}: ${counts}`)));
  }

  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const s of series) {
    const item = document.createElement('li');
    item.dataset.series = s.key;
    const swatch = document.createElement('span');
    swatch.className = `swatch series-${s.key}`;
    item.append(swatch, `${s.label} ${s.values.reduce((a, b) => a + b, 0)}`);
    legend.append(item);
  }
  const figure = document.createElement('figure');
  figure.className = 'chart-figure';
  if (id) figure.id = id;
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption, chart, legend);
  return figure;
}

/**
 * `load` at most once per `ms`: a call within that time runs once when it
 * is up (one waiting call at most), so a busy live feed cannot make a query
 * per event.
 */
export function throttle(load, ms) {
  let last = -Infinity;
  let waiting = null;
  return function throttled() {
    const wait = last + ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      return load();
    }
    waiting ??= new Promise((resolve, reject) => {
      setTimeout(() => {
        waiting = null;
        last = Date.now();
        load().then(resolve, reject);
      }, wait);
    });
    return waiting;
  };
}
