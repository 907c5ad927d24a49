// The runs list: recent runs of the signed-in key (every key's with the view
// token), kept live from the list stream: a snapshot, then changed rows.
import { follow } from './api.js';
import { ago, authorName, duration, fill, firstLine, h, runBadge, runHref, shortCommit } from './dom.js';

const keyOf = run => `${run.keyIndex ?? ''}\u0000${run.runKey}\u0000${run.buildId}`;

export function showRuns(main) {
  const runs = new Map();
  const live = h('span', { class: 'live off' }, 'connecting');
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'runs' },
    h(
      'thead',
      null,
      h('tr', null, h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Build'), h('th', { scope: 'col' }, 'Branch · commit'), h('th', { scope: 'col' }, 'Files'),
        h('th', { scope: 'col', class: 'num' }, 'Failures'), h('th', { scope: 'col', class: 'num' }, 'Nodes'), h('th', { scope: 'col', class: 'num' }, 'Duration'), h('th', { scope: 'col' }, 'Started')),
    ),
    body,
  );
  const empty = h('p', { class: 'empty' });
  fill(main, h('section', { class: 'card' }, h('div', { class: 'run-head' }, h('h1', null, 'Recent runs'), live), h('div', { class: 'table-wrap' }, table), empty));

  let frame = 0;
  const render = () => {
    frame = 0;
    const now = Date.now() + skew;
    const sorted = [...runs.values()].sort((a, b) => (b.startedAt ?? -1) - (a.startedAt ?? -1));
    fill(body, sorted.map(run => row(run, now)));
    table.hidden = sorted.length === 0;
    empty.hidden = sorted.length > 0;
    empty.textContent = `No runs yet. Point the nodes at this server (FAST_CI_SERVER=${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}) with your key, and they show up here as they join.`;
  };
  const later = () => {
    if (frame === 0) frame = requestAnimationFrame(render);
  };

  // Server time minus page time, from the snapshot: durations of running runs count from the server's clock.
  let skew = 0;
  const stopStream = follow(
    'api/runs/events',
    {
      snapshot: ({ runs: list, now }) => {
        skew = (now ?? Date.now()) - Date.now();
        runs.clear();
        for (const run of list) runs.set(keyOf(run), run);
        later();
      },
      runs: changed => {
        for (const run of changed) runs.set(keyOf(run), run);
        later();
      },
      removed: gone => {
        for (const run of gone) runs.delete(keyOf(run));
        later();
      },
    },
    isLive => {
      live.className = `live ${isLive ? 'on' : 'off'}`;
      live.textContent = isLive ? 'live' : 'reconnecting';
    },
  );
  // Durations of running runs and "5 min ago" move on their own.
  const tick = setInterval(later, 1000);
  return () => {
    stopStream();
    clearInterval(tick);
    cancelAnimationFrame(frame);
  };
}

function row(run, now) {
  const badge = runBadge(run);
  const elapsed = run.startedAt === null ? null : (run.finishedAt ?? now) - run.startedAt;
  const share = n => (run.total > 0 ? `${(100 * n) / run.total}%` : '0');
  const bar = h('div', { class: 'bar' }, h('span', { class: 'passed' }), h('span', { class: 'failed' }));
  bar.children[0].style.width = share(run.done - run.failed);
  bar.children[1].style.width = share(run.failed);
  const author = authorName(run.meta.author);
  return h(
    'tr',
    { dataset: { build: run.buildId, state: badge } },
    h('td', null, h('span', { class: `badge ${badge}` }, badge)),
    h('td', { class: 'build' }, h('a', { href: runHref(run) }, run.buildId), h('div', { class: 'muted small' }, run.runKey, run.keyIndex === undefined ? '' : ` · key #${run.keyIndex}`)),
    h(
      'td',
      { class: 'ellipsis' },
      h('div', null, run.meta.branch ?? '', run.meta.commit ? h('span', { class: 'mono muted' }, ` ${shortCommit(run.meta.commit)}`) : ''),
      h('div', { class: 'muted small ellipsis' }, [firstLine(run.meta.commit_msg), author].filter(Boolean).join(' · ')),
    ),
    h('td', { class: 'files' }, bar, h('div', { class: 'small progress' }, `${run.done} / ${run.total}`)),
    h('td', { class: `num ${run.failed > 0 ? 'failed-count' : ''}` }, run.failed > 0 ? h('b', { class: 'state lost' }, String(run.failed)) : '0'),
    h('td', { class: 'num' }, String(run.nodeCount)),
    h('td', { class: 'num' }, duration(elapsed)),
    h('td', { title: run.startedAt === null ? 'restored from the journal: start not known' : new Date(run.startedAt).toLocaleString() }, ago(run.startedAt, now)),
  );
}
