// One file: its result in this run and its duration over recent runs of the
// same run key (the server's duration history), as a small bar chart.
import { getJson } from './api.js';
import { fill, h, secs, svg } from './dom.js';

export async function showFile(section, model, id, path) {
  const result = model.results.get(id);
  fill(
    section,
    h('h2', null, 'File'),
    h('div', { class: 'mono' }, id),
    h('p', { class: 'muted small' }, result ? `this run: ${result.status} on node ${result.node}, ${secs(result.runTime)}, ${result.tests} tests` : 'no result yet in this run'),
    h('p', { class: 'muted small' }, 'Loading its history…'),
  );
  let history;
  try {
    history = await getJson(path);
  } catch (error) {
    section.lastChild.textContent = `Could not load its history: ${error.message}`;
    return;
  }
  const durations = history.durations;
  const caption = h(
    'p',
    { class: 'muted small', id: 'file-history' },
    durations.length === 0
      ? 'No duration recorded yet: the history keeps the last 10 of each file, from runs of this run key that finished.'
      : `Last ${durations.length} recorded duration${durations.length === 1 ? '' : 's'}, oldest first (from finished runs of this run key, this one included once it finished).`,
  );
  section.lastChild.replaceWith(caption);
  if (durations.length > 0) section.append(chart(durations));
}

function chart(durations) {
  const width = 400;
  const height = 120;
  const top = 14;
  const bottom = 16;
  const max = Math.max(...durations);
  const slot = width / durations.length;
  const bars = durations.map((s, i) => {
    const barHeight = Math.max(1, ((height - top - bottom) * s) / max);
    const x = i * slot + slot * 0.15;
    const y = height - bottom - barHeight;
    return [
      svg('rect', { class: i === durations.length - 1 ? 'now' : 'past', x, y, width: slot * 0.7, height: barHeight, rx: 2 }),
      svg('text', { x: x + slot * 0.35, y: y - 3, 'text-anchor': 'middle' }, secs(s)),
    ];
  });
  return svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'recent durations' }, bars, svg('line', { x1: 0, x2: width, y1: height - bottom + 0.5, y2: height - bottom + 0.5, stroke: '#d1d9e0' }));
}
