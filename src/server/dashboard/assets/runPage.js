// One run: progress, nodes, timeline, failures, slowest and retried files,
// the summary, other attempts of the build, and a file's recent durations.
// A failed run leads with its failures. Follows the run's stream: a
// snapshot, then deltas applied to the model; the page redraws at most once
// per frame (once a second for runs past LARGE_RUN files), and every second
// while running. The selected file is in the address (`file=`), so a reload
// or a shared link shows it.
import { follow, getJson } from './api.js';
import { ago, authorName, clock, duration, fill, firstLine, h, runBadge, runHref, secs, shortCommit } from './dom.js';
import { showFile } from './filePanel.js';
import { RunModel } from './runModel.js';
import { COLOURS, draw, hit } from './timeline.js';

const SLOWEST = 10;
const MAX_FAILURES = 50;
/** Past this many results, the page redraws at most once a second: a frame costs more than the deltas of a frame. */
const LARGE_RUN = 2000;

export function showRun(main, { runKey, buildId, key, file }) {
  const query = key === null ? '' : `?key=${encodeURIComponent(key)}`;
  const base = `api/runs/${encodeURIComponent(runKey)}/${encodeURIComponent(buildId)}`;
  const el = {
    head: h('section', { class: 'card run-head-card' }),
    progress: h('section', { class: 'card', id: 'progress' }),
    summary: h('section', { class: 'card', id: 'summary', hidden: true }),
    nodes: h('section', { class: 'card', id: 'nodes' }),
    file: h('section', { class: 'card file-panel', id: 'file' }),
    timeline: h('section', { class: 'card', id: 'timeline' }),
    failures: h('section', { class: 'card', id: 'failures' }),
    slowest: h('section', { class: 'card', id: 'slowest' }),
    retried: h('section', { class: 'card', id: 'retried' }),
    attempts: h('section', { class: 'card', id: 'attempts', hidden: true }),
    warnings: h('section', { class: 'card', id: 'warnings', hidden: true }),
  };
  const canvas = h('canvas', { id: 'timeline-canvas', role: 'img', 'aria-label': 'files per node over time (the list below the chart has the same, for the keyboard)' });
  const timelineList = h('details', { id: 'timeline-list' }, h('summary', null, 'Timeline as a list'));
  const middle = h('div', { class: 'grid' }, el.nodes, el.file);
  fill(main, el.head, el.progress, el.summary, middle, el.timeline, el.failures, h('div', { class: 'grid' }, el.slowest, el.retried), el.attempts, el.warnings);
  fill(el.head, h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  fill(el.file, h('h2', null, 'File'), h('p', { class: 'muted' }, 'Pick a file (in the timeline or a list) to see its result and its duration over recent runs.'));
  const live = h('span', { class: 'live off' }, 'connecting');

  let model;
  // The run's quarantined tests (from its view) and the run key's flaky ones (read once), file → names: failures of those tests are marked.
  const marks = { quarantined: new Map(), flaky: new Map() };
  const byFile = tests => {
    const map = new Map();
    for (const t of tests) map.set(t.file, (map.get(t.file) ?? new Set()).add(t.name));
    return map;
  };
  getJson(`api/flaky/${encodeURIComponent(runKey)}${query}`).then(
    f => {
      marks.flaky = byFile(f.tests);
      later();
    },
    () => undefined,
  );
  let selected = file ?? undefined;
  let boxes = [];
  let frame = 0;
  let timer = 0;
  let lastRender = 0;
  const otherRun = other => `#/runs/${encodeURIComponent(runKey)}/${encodeURIComponent(other)}${query}`;
  const showSelected = () => showFile(el.file, model, selected, `${base}/files/${encodeURIComponent(selected)}${query}`, otherRun);
  const select = id => {
    selected = id;
    // In the address without a hashchange (which would load the page again): a reload or a shared link shows it.
    const params = new URLSearchParams(key === null ? '' : `key=${key}`);
    params.set('file', id);
    history.replaceState(null, '', `#/runs/${encodeURIComponent(runKey)}/${encodeURIComponent(buildId)}?${params}`);
    showSelected();
    el.file.scrollIntoView({ block: 'nearest' });
    later();
  };
  const fileLink = id => h('a', { href: '#', onclick: event => (event.preventDefault(), select(id)) }, id);

  const render = () => {
    frame = 0;
    timer = 0;
    lastRender = performance.now();
    if (!model) return;
    // A failed run leads with what failed.
    if (model.failed > 0 && el.progress.previousElementSibling !== el.failures) main.insertBefore(el.failures, el.progress);
    renderHead(el.head, model, live);
    renderProgress(el.progress, model);
    renderSummary(el.summary, model);
    renderNodes(el.nodes, model);
    renderTimeline(el.timeline, canvas, timelineList, model);
    boxes = draw(canvas, model, selected);
    if (timelineList.open) renderTimelineList(timelineList, model);
    renderFailures(el.failures, model, fileLink, marks);
    renderSlowest(el.slowest, model, fileLink);
    renderRetried(el.retried, model, fileLink);
    renderAttempts(el.attempts, model);
    renderWarnings(el.warnings, model);
  };
  const later = () => {
    if (frame !== 0 || timer !== 0) return;
    const wait = model && model.results.size > LARGE_RUN ? 1000 - (performance.now() - lastRender) : 0;
    if (wait > 0) timer = setTimeout(() => ((timer = 0), later()), wait);
    else frame = requestAnimationFrame(render);
  };
  timelineList.addEventListener('toggle', () => later());

  canvas.addEventListener('mousemove', event => {
    const bar = hit(boxes, event.offsetX, event.offsetY);
    const result = bar && model.results.get(bar.id);
    canvas.title = bar ? `${bar.id}\nnode ${bar.node} · ${bar.kind}${result?.runTime != null && bar.kind === result.status ? ` · ${secs(result.runTime)}` : ''}` : '';
  });
  canvas.addEventListener('click', event => {
    const bar = hit(boxes, event.offsetX, event.offsetY);
    if (bar) select(bar.id);
  });

  const stopStream = follow(
    `${base}/events${query}`,
    {
      snapshot: view => {
        const first = model === undefined;
        model = new RunModel(view);
        marks.quarantined = byFile((view.quarantine ?? []).map(([file, name]) => ({ file, name })));
        if (selected) showSelected();
        if (selected && first) el.file.scrollIntoView({ block: 'nearest' });
        later();
      },
      deltas: deltas => {
        if (!model) return;
        for (const delta of deltas) model.apply(delta);
        later();
      },
      gone: () => {
        fill(main, h('p', { class: 'banner', role: 'alert' }, `Run ${buildId} is no longer held by the server (finished runs are kept for an hour).`), h('a', { href: '#/' }, 'All runs'));
        stopStream();
      },
    },
    isLive => {
      live.className = `live ${isLive ? 'on' : 'off'}`;
      live.textContent = isLive ? 'live' : 'reconnecting';
    },
    {
      // The stream was refused: a run that does not exist (or expired) is said once, not retried for ever.
      resource: `${base}${query}`,
      missing: () => {
        fill(
          main,
          h('section', { class: 'card', id: 'not-found' }, h('h1', null, 'Run not found'), h('p', { role: 'alert' }, `This server holds no run ${buildId} of run key ${runKey} that you may see. It may have expired (finished runs are kept for an hour), or the address is wrong.`), h('a', { href: '#/' }, 'All runs')),
        );
      },
    },
  );
  const tick = setInterval(() => model?.state !== 'finished' && later(), 1000);
  const resize = () => later();
  addEventListener('resize', resize);
  return () => {
    stopStream();
    clearInterval(tick);
    removeEventListener('resize', resize);
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

function renderHead(section, model, live) {
  const badge = runBadge(model);
  const meta = model.meta;
  const author = authorName(meta.author);
  const now = model.now();
  const elapsed = model.startedAt === null ? null : (model.finishedAt ?? now) - model.startedAt;
  fill(
    section,
    h(
      'div',
      { class: 'run-head' },
      h(
        'div',
        null,
        h(
          'h1',
          null,
          model.buildId,
          h('span', { class: `badge ${badge}`, id: 'run-state' }, badge),
          h('span', { class: 'muted small' }, model.runKey, model.keyIndex === undefined ? '' : ` · key #${model.keyIndex}`, ' · ', h('a', { href: `#/flaky/${encodeURIComponent(model.runKey)}${model.keyIndex === undefined ? '' : `?key=${model.keyIndex}`}`, id: 'flaky-link' }, 'flaky tests')),
        ),
        h(
          'div',
          { class: 'meta' },
          meta.branch ? h('span', null, 'branch ', h('b', null, meta.branch)) : null,
          meta.commit ? h('span', { class: 'mono' }, shortCommit(meta.commit)) : null,
          meta.commit_msg ? h('span', { class: 'ellipsis' }, firstLine(meta.commit_msg)) : null,
          author ? h('span', null, author) : null,
          // A finished run does not change: no live badge.
          model.state === 'finished' ? null : live,
        ),
      ),
      h(
        'div',
        { class: 'times' },
        h('b', { id: 'run-duration' }, duration(elapsed)),
        h('div', { class: 'small', title: clock(model.startedAt) }, model.startedAt === null ? 'restored from the journal' : `started ${ago(model.startedAt, now)}`),
      ),
    ),
  );
}

function renderProgress(section, model) {
  const passed = [...model.results.values()].filter(r => r.status !== 'failed' || r.quarantined).length;
  const share = n => (model.total > 0 ? `${(100 * n) / model.total}%` : '0');
  const bar = h('div', { class: 'bar big' }, h('span', { class: 'passed' }), h('span', { class: 'failed' }), h('span', { class: 'running' }));
  bar.children[0].style.width = share(passed);
  bar.children[1].style.width = share(model.failed);
  bar.children[2].style.width = share(model.inHand);
  const text = model.total === 0 ? 'waiting for node 0 to enqueue the files' : `${model.done} of ${model.total} files`;
  const left = model.estimateLeft();
  fill(
    section,
    h('h2', null, 'Progress'),
    bar,
    h(
      'div',
      { class: 'progress-line' },
      h('span', { id: 'progress-text', 'aria-live': 'polite' }, h('b', null, text)),
      h('span', null, h('i', { class: 'dot passed' }), h('b', null, String(passed)), ' passed'),
      h('span', { id: 'failed-count' }, h('i', { class: 'dot failed' }), h('b', null, String(model.failed)), ' failed'),
      model.quarantined > 0 ? h('span', { id: 'quarantined-count', title: 'failed in quarantined tests only: they do not fail the run' }, h('b', null, String(model.quarantined)), ' quarantined') : null,
      h('span', null, h('i', { class: 'dot running' }), h('b', null, String(model.inHand)), ' in hand'),
      h('span', null, h('i', { class: 'dot queued' }), h('b', null, String(model.queued)), ' queued'),
      h('span', null, h('b', null, String(model.nodes.size)), ` node${model.nodes.size === 1 ? '' : 's'}`),
      left === null ? null : h('span', { id: 'time-left', title: 'at the pace so far' }, 'about ', h('b', null, duration(left)), ' left'),
    ),
  );
}

function renderSummary(section, model) {
  const s = model.summary;
  section.hidden = !s;
  if (!s) return;
  const stat = (label, value, tone = '') => h('div', { class: `stat ${tone}` }, h('b', null, String(value)), h('span', { class: 'muted small' }, label));
  // A run stopped by --bail or cancelled through the API did not run every file: say so first.
  const stopped = s.stopped
    ? h('p', { class: 'stopped', role: 'status' }, s.stopped === 'bail' ? `Stopped by --bail after ${s.failed} failed file${s.failed === 1 ? '' : 's'}: ${s.not_run ?? 0} files not run.` : `Cancelled: ${s.not_run ?? 0} files not run.`)
    : null;
  fill(
    section,
    h('h2', null, 'Summary'),
    stopped,
    h(
      'div',
      { class: 'summary' },
      stat('files', s.files),
      stat('passed', s.passed, 'good'),
      stat('failed', s.failed, s.failed > 0 ? 'bad' : ''),
      stat('pending', s.pending),
      stat('tests', s.tests),
      stat('nodes', s.nodes),
      stat('flaky', s.flaky?.length ?? 0, s.flaky?.length ? 'warn' : ''),
      stat('crashed', s.crashed?.length ?? 0, s.crashed?.length ? 'bad' : ''),
      ...(s.quarantined?.length ? [stat('quarantined', s.quarantined.length, 'warn')] : []),
      ...(s.stopped ? [stat('not run', s.not_run ?? 0, 'bad')] : []),
    ),
  );
}

function nodeState(node) {
  if (node.lost) return 'lost';
  if (node.left) return 'left';
  return node.connected ? 'connected' : 'disconnected';
}

function renderNodes(section, model) {
  const rows = [...model.nodes.values()]
    .sort((a, b) => a.index - b.index)
    .map(node => {
      const state = nodeState(node);
      return h(
        'tr',
        { dataset: { node: node.index } },
        h('th', { scope: 'row' }, model.nodeName(node.index)),
        h('td', null, h('span', { class: `state ${state}` }, state)),
        h('td', { class: 'num' }, String(node.filesReported)),
        h('td', { class: 'num' }, node.workers === null ? '—' : String(node.workers)),
        h('td', { class: 'file ellipsis' }, running(model, node.index)),
      );
    });
  fill(
    section,
    h('h2', null, 'Nodes'),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'No node has joined yet.')
      : h(
          'table',
          null,
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Node'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col', class: 'num' }, 'Files done'), h('th', { scope: 'col', class: 'num' }, 'Workers'), h('th', { scope: 'col' }, 'Running now'))),
          h('tbody', null, rows),
        ),
  );
}

/** What a node runs now: its first file in hand, and how many more. */
function running(model, index) {
  if (model.state === 'finished') return '—';
  const ids = model.runningOn(index);
  if (ids.length === 0) return h('span', { class: 'muted' }, 'nothing');
  return [h('span', { class: 'mono', title: ids.join('\n') }, ids[0]), ids.length > 1 ? h('span', { class: 'muted' }, ` +${ids.length - 1}`) : null];
}

function renderTimeline(section, canvas, list, model) {
  if (section.contains(canvas)) return;
  const legend = ['passed', 'failed', 'pending', 'running', 'retried', 'requeued'].map(kind => {
    const dot = h('i', { class: 'dot' });
    dot.style.background = COLOURS[kind];
    return h('span', null, dot, kind === 'running' ? 'in hand' : kind);
  });
  fill(
    section,
    h('h2', null, 'Timeline'),
    h('div', { class: 'legend' }, legend),
    h('div', { class: 'timeline-wrap' }, canvas),
    list,
    h('p', { class: 'hint' }, model.timed ? 'Files per node over time; a node runs as many side by side as it has workers. Hover for the file, click for its history.' : 'This run was restored from the journal, where times are not kept: files per node in the order their results were recorded, each as long as it ran.'),
  );
}

function renderFailures(section, model, fileLink, marks) {
  const failures = model.failures();
  const items = failures.slice(0, MAX_FAILURES).map(([id, result]) =>
    h(
      'article',
      { class: result.quarantined ? 'failure quarantined' : 'failure', dataset: { file: id } },
      h(
        'header',
        null,
        h('h3', null, fileLink(id)),
        result.quarantined ? h('span', { class: 'tag quarantined', title: 'every failure is a quarantined test\'s: this file does not fail the run' }, 'does not fail the run') : null,
        h('span', { class: 'muted small' }, `${model.nodeName(result.node)} · ${result.failedTests || 1} failed · ${secs(result.runTime)}`),
      ),
      result.failures?.length ? result.failures.map(f => failureBlock(f, tagsOf(marks, id, f.test))) : h('pre', null, result.failure ?? 'No message was sent.'),
      result.failedTests > (result.failures?.length ?? 0) && result.failures?.length ? h('p', { class: 'muted small' }, `… and ${result.failedTests - result.failures.length} more failing tests (the API has the entry).`) : null,
    ),
  );
  fill(
    section,
    h('h2', null, `Failures (${model.failed}${model.quarantined > 0 ? `, and ${model.quarantined} in quarantined tests only` : ''})`),
    items.length === 0 ? h('p', { class: 'muted' }, model.state === 'finished' ? 'No failures.' : 'No failures so far.') : items,
    failures.length > MAX_FAILURES ? h('p', { class: 'muted' }, `… and ${failures.length - MAX_FAILURES} more (see the API).`) : null,
  );
}

/** A failing test's marks: quarantined (its failure does not fail the build) and flaky (it has failed and passed on one commit). */
function tagsOf(marks, file, test) {
  return [
    marks.quarantined.get(file)?.has(test) ? h('span', { class: 'tag quarantined', title: 'quarantined: its failure does not fail the build (FAST_CI_QUARANTINE=on)' }, 'quarantined') : null,
    marks.flaky.get(file)?.has(test) ? h('span', { class: 'tag flaky', title: 'it has failed and passed on one commit (see the flaky tests)' }, 'flaky') : null,
  ];
}

/** One failing test: its name (and its marks), its message and code frame, the stack and whole text a click away. */
function failureBlock({ test, text }, tags = []) {
  const lines = text.split('\n');
  const stackAt = lines.findIndex(line => /^\s*at /.test(line));
  const head = (stackAt === -1 ? lines : lines.slice(0, stackAt)).join('\n').trimEnd();
  return h(
    'div',
    { class: 'failed-test' },
    h('h4', null, h('span', { class: 'test-name' }, test), ' ', tags),
    h('pre', { class: 'frame' }, head || '(no message)'),
    stackAt === -1 ? null : h('details', null, h('summary', null, 'Stack and whole text'), h('pre', null, text)),
  );
}

function renderSlowest(section, model, fileLink) {
  const slowest = model.slowest(SLOWEST);
  const longest = slowest[0]?.[1].runTime || 1;
  const rows = slowest.map(([id, result]) => {
    const bar = h('div', { class: 'hbar' });
    bar.style.width = `${(100 * result.runTime) / longest}%`;
    return h('tr', null, h('td', { class: 'file' }, fileLink(id), bar), h('td', { class: 'num' }, secs(result.runTime)), h('td', { class: 'num muted' }, model.nodeName(result.node)));
  });
  const head = h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'File'), h('th', { scope: 'col', class: 'num' }, 'Time'), h('th', { scope: 'col', class: 'num' }, 'Node')));
  fill(section, h('h2', null, 'Slowest files'), rows.length === 0 ? h('p', { class: 'muted' }, 'No results yet.') : h('table', { class: 'files' }, head, h('tbody', null, rows)));
}

function renderRetried(section, model, fileLink) {
  const retried = model.retried();
  const rows = retried.map(({ id, nodes, result, verdict }) => {
    const attempts = model.failedAttempts.get(id) ?? [];
    return h(
      'tr',
      { dataset: { file: id } },
      h(
        'td',
        { class: 'file' },
        fileLink(id),
        attempts.map(attempt =>
          h('details', { class: 'attempt' }, h('summary', null, `the failed attempt on ${model.nodeName(attempt.node)}`), attempt.failures.map(failureBlock)),
        ),
      ),
      h('td', { class: 'muted small' }, `failed on ${nodes.map(n => model.nodeName(n)).join(', ')}${result ? `, then ${result.status} on ${model.nodeName(result.node)}` : ''}`),
      h('td', null, h('span', { class: `tag ${verdict}` }, verdict)),
    );
  });
  const head = h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'File'), h('th', { scope: 'col' }, 'Where'), h('th', { scope: 'col' }, 'Verdict')));
  fill(
    section,
    h('h2', null, 'Retried and flaky files'),
    rows.length === 0 ? h('p', { class: 'muted' }, 'None. With FAST_CI_RETRY on the nodes, a failed file runs again on another node; a pass there makes it flaky.') : h('table', { class: 'files' }, head, h('tbody', null, rows)),
  );
}

function renderAttempts(section, model) {
  section.hidden = model.attempts.length === 0;
  if (model.attempts.length === 0) return;
  const rows = model.attempts.map(run => {
    const badge = runBadge(run);
    return h(
      'tr',
      null,
      h('td', null, h('a', { href: runHref(run) }, run.buildId)),
      h('td', null, h('span', { class: `badge ${badge}` }, badge)),
      h('td', { class: 'num' }, `${run.done} / ${run.total}`),
      h('td', { class: 'num' }, `${run.failed} failed`),
      h('td', { class: 'muted' }, clock(run.startedAt)),
    );
  });
  const head = h('thead', null, h('tr', null, ['Build', 'State', 'Files', 'Failed', 'Started'].map(label => h('th', { scope: 'col' }, label))));
  fill(section, h('h2', null, 'Other attempts of this build'), h('div', { class: 'table-wrap' }, h('table', null, head, h('tbody', null, rows))));
}

function renderWarnings(section, model) {
  section.hidden = model.warnings.length === 0;
  if (model.warnings.length === 0) return;
  fill(section, h('details', { class: 'warnings' }, h('summary', null, `Server notes (${model.warnings.length}): requeues, retries, ignored results`), h('ul', null, model.warnings.map(w => h('li', null, w)))));
}

/** The timeline as a table, for the keyboard and screen readers: each file's time on each node (drawn only while open). */
function renderTimelineList(details, model) {
  const start = model.startedAt ?? 0;
  const at = ms => (ms === null ? 'now' : `+${duration(ms - start)}`);
  const spans = model.spans.slice(-500);
  const rows = spans.map(span =>
    h('tr', null, h('td', null, model.nodeName(span.node)), h('td', { class: 'file' }, span.id), h('td', { class: 'num' }, at(model.startOf(span))), h('td', { class: 'num' }, at(span.to)), h('td', null, span.outcome ?? 'in hand')),
  );
  fill(
    details,
    h('summary', null, 'Timeline as a list'),
    model.spans.length > spans.length ? h('p', { class: 'muted small' }, `The last ${spans.length} of ${model.spans.length} spans.`) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'files' }, h('thead', null, h('tr', null, ['Node', 'File', 'From', 'To', 'Outcome'].map(label => h('th', { scope: 'col' }, label)))), h('tbody', null, rows))),
  );
}
