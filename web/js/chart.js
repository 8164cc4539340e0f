// The events-per-minute chart: one inline SVG line per series, redrawn on every overview (no library).
import { s } from './dom.js';

export const SERIES = [
  { key: 'started', label: 'started', color: '#0072b2' },
  { key: 'transferred', label: 'transferred', color: '#e69f00' },
  { key: 'wrapup', label: 'wrapped up', color: '#009e73' },
  { key: 'ended', label: 'ended', color: '#d55e00' },
];

const HEIGHT = 190;
const PAD = { left: 38, right: 12, top: 10, bottom: 24 };
const MIN_SPAN_MS = 2 * 60_000;

/** The smallest 1, 2 or 5 × 10^k at or above `value` (at least 4). */
function niceMax(value) {
  const target = Math.max(4, value);
  const power = 10 ** Math.floor(Math.log10(target));
  for (const step of [1, 2, 5, 10]) if (step * power >= target) return step * power;
  return 10 * power;
}

function tickEvery(spanMs) {
  if (spanMs <= 3 * 60_000) return 30_000;
  if (spanMs <= 8 * 60_000) return 60_000;
  return 5 * 60_000;
}

function hhmm(ms, withSeconds) {
  return new Date(ms).toLocaleTimeString([], {
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  });
}

/**
 * Draws `rates` ({bucketMs, points: [{t, started, ...}]}) into `container`. The window starts when the service
 * started (at least two minutes wide) and is at most the series' length.
 */
export function renderChart(container, rates, startedAtMs) {
  const points = rates?.points ?? [];
  if (points.length === 0) return;
  const width = Math.max(320, Math.round(container.clientWidth || 640));
  const end = points[points.length - 1].t;
  const start = Math.min(end - MIN_SPAN_MS, Math.max(points[0].t, startedAtMs));
  // Nothing is drawn for the time before the service ran: it was not counting then.
  const shown = points.filter((p) => p.t >= Math.max(start, startedAtMs));
  let top = 0;
  for (const p of shown) for (const { key } of SERIES) top = Math.max(top, p[key]);
  const yMax = niceMax(top);
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (t) => PAD.left + ((t - start) / (end - start)) * plotW;
  const y = (v) => PAD.top + plotH - (v / yMax) * plotH;

  const svg = s('svg', {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: 'img',
    'aria-label': `Events per minute. Last minute: ${SERIES.map(({ key, label }) => `${label} ${shown.at(-1)?.[key] ?? 0}`).join(', ')}.`,
  });
  for (let i = 0; i <= 4; i++) {
    const value = (yMax / 4) * i;
    svg.append(
      s('line', { class: 'grid-line', x1: PAD.left, x2: width - PAD.right, y1: y(value), y2: y(value) }),
    );
    svg.append(
      s('text', {
        class: 'axis',
        x: PAD.left - 6,
        y: y(value) + 4,
        'text-anchor': 'end',
        text: Number(value.toFixed(1)),
      }),
    );
  }
  const every = tickEvery(end - start);
  for (let t = Math.ceil(start / every) * every; t <= end; t += every) {
    // Labels too close to an edge are anchored inside the plot rather than cut off.
    const anchor = x(t) > width - 40 ? 'end' : x(t) < PAD.left + 30 ? 'start' : 'middle';
    svg.append(
      s('text', {
        class: 'axis',
        x: x(t),
        y: HEIGHT - 6,
        'text-anchor': anchor,
        text: hhmm(t, every < 60_000),
      }),
    );
  }
  for (const { key, color } of SERIES) {
    const path = shown.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
    svg.append(s('polyline', { class: 'series', points: path, stroke: color, 'data-series': key }));
  }
  container.replaceChildren(svg);
}
