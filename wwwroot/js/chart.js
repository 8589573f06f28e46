// A small SVG area chart of events per second, hand-written: one path, a baseline, the peak and the time span.
import { svg } from './dom.js';

const PAD = { top: 12, right: 8, bottom: 22, left: 44 };

/** Draws values (one per second, oldest first) into an SVG with a text description, drawn at the pixel width it
 *  will have so that its labels keep their size. */
export function rateChart(values, width = 600) {
  const WIDTH = Math.max(280, Math.round(width));
  const HEIGHT = 180;
  const peak = Math.max(1, ...values);
  const scale = niceCeiling(peak);
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (values.length <= 1 ? 0 : (i / (values.length - 1)) * innerWidth);
  const y = (v) => PAD.top + innerHeight - (v / scale) * innerHeight;
  const line = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const area = `${line}L${x(values.length - 1).toFixed(1)},${y(0)}L${x(0).toFixed(1)},${y(0)}Z`;
  const minutes = Math.round(values.length / 60);
  const lastMinute = values.slice(-60);
  const average = lastMinute.reduce((sum, v) => sum + v, 0) / Math.max(1, lastMinute.length);
  const label = `Events per second over the last ${minutes} minutes: peak ${Math.max(0, ...values)}, `
    + `average ${average.toFixed(1)} over the last minute, ${values.at(-1) ?? 0} in the current second.`;

  return svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': label, class: 'chart' },
    svg('title', {}, label),
    [0, 0.5, 1].map((f) => svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(scale * f), y2: y(scale * f), class: 'chart-grid' })),
    [0, 0.5, 1].map((f) => svg('text', { x: PAD.left - 6, y: y(scale * f) + 4, class: 'chart-label', 'text-anchor': 'end' }, formatRate(scale * f))),
    svg('path', { d: area, class: 'chart-area' }),
    svg('path', { d: line, class: 'chart-line' }),
    svg('text', { x: PAD.left, y: HEIGHT - 6, class: 'chart-label' }, `${minutes} min ago`),
    svg('text', { x: WIDTH - PAD.right, y: HEIGHT - 6, class: 'chart-label', 'text-anchor': 'end' }, 'now'));
}

function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((s) => s * power >= value);
  return step * power;
}

function formatRate(value) {
  return value >= 1000 ? `${(value / 1000).toFixed(value >= 10000 ? 0 : 1)}k` : String(Math.round(value * 10) / 10);
}
