// One run: progress, nodes, timeline, failures, slowest and retried files,
// the summary, other attempts of the build, and a file's recent durations.
// Follows the run's stream: a snapshot, then deltas applied to the model;
// the page redraws at most once per frame, and every second while running.
import { follow } from './api.js';
import { ago, authorName, clock, duration, fill, firstLine, h, runBadge, runHref, secs, shortCommit } from './dom.js';
import { showFile } from './filePanel.js';
import { RunModel } from './runModel.js';
import { COLOURS, draw, hit } from './timeline.js';

const SLOWEST = 10;
const MAX_FAILURES = 50;

export function showRun(main, { runKey, buildId, key }) {
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
  const canvas = h('canvas', { id: 'timeline-canvas', role: 'img', 'aria-label': 'files per node over time' });
  fill(
    main,
    el.head,
    el.progress,
    el.summary,
    h('div', { class: 'grid' }, el.nodes, el.file),
    el.timeline,
    el.failures,
    h('div', { class: 'grid' }, el.slowest, el.retried),
    el.attempts,
    el.warnings,
  );
  fill(el.head, h('p', { class: 'muted' }, 'Loading…'));
  fill(el.file, h('h2', null, 'File'), h('p', { class: 'muted' }, 'Pick a file (in the timeline or a list) to see its duration over recent runs.'));
  const live = h('span', { class: 'live off' }, 'connecting');

  let model;
  let selected;
  let boxes = [];
  let frame = 0;
  const select = id => {
    selected = id;
    showFile(el.file, model, id, `${base}/files/${encodeURIComponent(id)}${query}`);
    later();
  };
  const fileLink = id => h('a', { href: '#', onclick: event => (event.preventDefault(), select(id)) }, id);

  const render = () => {
    frame = 0;
    if (!model) return;
    renderHead(el.head, model, live);
    renderProgress(el.progress, model);
    renderSummary(el.summary, model);
    renderNodes(el.nodes, model);
    renderTimeline(el.timeline, canvas, model);
    boxes = draw(canvas, model, selected);
    renderFailures(el.failures, model, fileLink);
    renderSlowest(el.slowest, model, fileLink);
    renderRetried(el.retried, model, fileLink);
    renderAttempts(el.attempts, model);
    renderWarnings(el.warnings, model);
  };
  const later = () => {
    if (frame === 0) frame = requestAnimationFrame(render);
  };

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
        model = new RunModel(view);
        if (selected) showFile(el.file, model, selected, `${base}/files/${encodeURIComponent(selected)}${query}`);
        later();
      },
      deltas: deltas => {
        if (!model) return;
        for (const delta of deltas) model.apply(delta);
        later();
      },
      gone: () => {
        fill(main, h('p', { class: 'banner' }, `Run ${buildId} is no longer held by the server (finished runs are kept for an hour).`), h('a', { href: '#/' }, 'All runs'));
        stopStream();
      },
    },
    isLive => {
      live.className = `live ${isLive ? 'on' : 'off'}`;
      live.textContent = isLive ? 'live' : 'reconnecting';
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
        h('h1', null, model.buildId, h('span', { class: `badge ${badge}`, id: 'run-state' }, badge), h('span', { class: 'muted small' }, model.runKey, model.keyIndex === undefined ? '' : ` · key #${model.keyIndex}`)),
        h(
          'div',
          { class: 'meta' },
          meta.branch ? h('span', null, 'branch ', h('b', null, meta.branch)) : null,
          meta.commit ? h('span', { class: 'mono' }, shortCommit(meta.commit)) : null,
          meta.commit_msg ? h('span', { class: 'ellipsis' }, firstLine(meta.commit_msg)) : null,
          author ? h('span', null, author) : null,
          live,
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
  const passed = [...model.results.values()].filter(r => r.status !== 'failed').length;
  const share = n => (model.total > 0 ? `${(100 * n) / model.total}%` : '0');
  const bar = h('div', { class: 'bar big' }, h('span', { class: 'passed' }), h('span', { class: 'failed' }), h('span', { class: 'running' }));
  bar.children[0].style.width = share(passed);
  bar.children[1].style.width = share(model.failed);
  bar.children[2].style.width = share(model.inHand);
  const text = model.total === 0 ? 'waiting for node 0 to enqueue the files' : `${model.done} of ${model.total} files`;
  fill(
    section,
    h('h2', null, 'Progress'),
    bar,
    h(
      'div',
      { class: 'progress-line' },
      h('span', { id: 'progress-text' }, h('b', null, text)),
      h('span', null, h('i', { class: 'dot passed' }), h('b', null, String(passed)), ' passed'),
      h('span', { id: 'failed-count' }, h('i', { class: 'dot failed' }), h('b', null, String(model.failed)), ' failed'),
      h('span', null, h('i', { class: 'dot running' }), h('b', null, String(model.inHand)), ' in hand'),
      h('span', null, h('i', { class: 'dot queued' }), h('b', null, String(model.queued)), ' queued'),
      h('span', null, h('b', null, String(model.nodes.size)), ` node${model.nodes.size === 1 ? '' : 's'}`),
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
        h('td', null, `node ${node.index}`),
        h('td', null, h('span', { class: `state ${state}` }, state)),
        h('td', { class: 'num' }, String(node.filesReported)),
        h('td', { class: 'num' }, String(model.inHandOf(node.index))),
        h('td', { class: 'num' }, node.workers === null ? '—' : String(node.workers)),
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
          h('thead', null, h('tr', null, h('th', null, 'Node'), h('th', null, 'State'), h('th', { class: 'num' }, 'Files done'), h('th', { class: 'num' }, 'In hand'), h('th', { class: 'num' }, 'Workers'))),
          h('tbody', null, rows),
        ),
  );
}

function renderTimeline(section, canvas, model) {
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
    h('p', { class: 'hint' }, model.timed ? 'Files per node over time; a node runs as many side by side as it has workers. Hover for the file, click for its history.' : 'This run was restored from the journal, where times are not kept: files per node in the order their results were recorded, each as long as it ran.'),
  );
}

function renderFailures(section, model, fileLink) {
  const failures = model.failures();
  const items = failures.slice(0, MAX_FAILURES).map(([id, result]) =>
    h(
      'div',
      { class: 'failure', dataset: { file: id } },
      h('header', null, fileLink(id), h('span', { class: 'muted small' }, `node ${result.node} · ${result.failedTests || 1} failed · ${secs(result.runTime)}`)),
      h('pre', null, result.failure ?? 'No message was sent.'),
    ),
  );
  fill(
    section,
    h('h2', null, `Failures (${failures.length})`),
    items.length === 0 ? h('p', { class: 'muted' }, model.state === 'finished' ? 'No failures.' : 'No failures so far.') : items,
    failures.length > MAX_FAILURES ? h('p', { class: 'muted' }, `… and ${failures.length - MAX_FAILURES} more (see the API).`) : null,
  );
}

function renderSlowest(section, model, fileLink) {
  const slowest = model.slowest(SLOWEST);
  const longest = slowest[0]?.[1].runTime || 1;
  const rows = slowest.map(([id, result]) => {
    const bar = h('div', { class: 'hbar' });
    bar.style.width = `${(100 * result.runTime) / longest}%`;
    return h('tr', null, h('td', { class: 'file' }, fileLink(id), bar), h('td', { class: 'num' }, secs(result.runTime)), h('td', { class: 'num muted' }, `node ${result.node}`));
  });
  fill(section, h('h2', null, 'Slowest files'), rows.length === 0 ? h('p', { class: 'muted' }, 'No results yet.') : h('table', { class: 'files' }, h('tbody', null, rows)));
}

function renderRetried(section, model, fileLink) {
  const retried = model.retried();
  const rows = retried.map(({ id, nodes, result, verdict }) =>
    h(
      'tr',
      null,
      h('td', { class: 'file' }, fileLink(id)),
      h('td', { class: 'muted small' }, `failed on node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}${result ? `, then ${result.status} on node ${result.node}` : ''}`),
      h('td', null, h('span', { class: `tag ${verdict}` }, verdict)),
    ),
  );
  fill(
    section,
    h('h2', null, 'Retried and flaky files'),
    rows.length === 0 ? h('p', { class: 'muted' }, 'None. With FAST_CI_RETRY on the nodes, a failed file runs again on another node; a pass there makes it flaky.') : h('table', { class: 'files' }, h('tbody', null, rows)),
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
  fill(section, h('h2', null, 'Other attempts of this build'), h('table', null, h('tbody', null, rows)));
}

function renderWarnings(section, model) {
  section.hidden = model.warnings.length === 0;
  if (model.warnings.length === 0) return;
  fill(section, h('details', { class: 'warnings' }, h('summary', null, `Server notes (${model.warnings.length}): requeues, retries, ignored results`), h('ul', null, model.warnings.map(w => h('li', null, w)))));
}
