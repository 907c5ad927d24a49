// One file: its result in this run, how it ended in recent runs of the same
// run key (status, build, date, a link; since when it fails or is flaky),
// and its durations there as a small bar chart (the server's history).
import { getJson } from './api.js';
import { clock, fill, h, secs, shortCommit, svg } from './dom.js';

/** `runHref(buildId)`: the page of another run of this run key. */
export async function showFile(section, model, id, path, runHref) {
  const result = model.results.get(id);
  fill(
    section,
    h('h2', null, 'File'),
    h('div', { class: 'mono' }, id),
    h('p', { class: 'muted small' }, result ? `this run: ${result.status} on ${model.nodeName(result.node)}, ${secs(result.runTime)}, ${result.tests} tests` : 'no result yet in this run'),
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
  section.append(...runsOf(history, model.buildId, runHref));
}

/** Since when it fails or is flaky, then its last runs, newest first. */
function runsOf(history, thisBuild, runHref) {
  const runs = history.runs ?? [];
  if (runs.length === 0) return [h('p', { class: 'muted small', id: 'file-runs' }, 'No finished run of this run key has recorded how it ended yet.')];
  const since = [
    history.failingSince ? h('p', { class: 'since failing' }, 'Failing since ', h('a', { href: runHref(history.failingSince.buildId) }, history.failingSince.buildId), ` (${clock(history.failingSince.at)})`) : null,
    history.flakySince ? h('p', { class: 'since flaky' }, 'Flaky since ', h('a', { href: runHref(history.flakySince.buildId) }, history.flakySince.buildId), ` (${clock(history.flakySince.at)})`) : null,
  ];
  const rows = [...runs].reverse().map(run =>
    h(
      'tr',
      null,
      h('td', null, h('span', { class: `tag ${run.status}` }, run.status)),
      h('td', { class: 'mono' }, run.buildId === thisBuild ? h('b', null, run.buildId) : h('a', { href: runHref(run.buildId) }, run.buildId)),
      h('td', { class: 'mono muted' }, shortCommit(run.commit)),
      h('td', { class: 'muted small' }, clock(run.at)),
    ),
  );
  const head = h('thead', null, h('tr', null, ['Outcome', 'Run', 'Commit', 'Finished'].map(label => h('th', { scope: 'col' }, label))));
  return [...since, h('div', { class: 'table-wrap' }, h('table', { class: 'files', id: 'file-runs' }, head, h('tbody', null, rows)))];
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
