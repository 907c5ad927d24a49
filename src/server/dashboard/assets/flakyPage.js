// The flaky tests of a key and run key (#/flaky/<run key>[?key=<n>]): each
// test that failed and passed on one commit within the test history's
// window, most flakes first, with its rate, first and last flake, branches,
// and its recent outcomes as a strip of squares linking to their runs.
import { getJson } from './api.js';
import { clock, fill, h } from './dom.js';

export function showFlaky(main, { runKey, key }) {
  const canChange = getJson('api/session').then(session => session.scope === 'key', () => false);
  const query = key === null ? '' : `?key=${encodeURIComponent(key)}`;
  const runHref = buildId => `#/runs/${encodeURIComponent(runKey)}/${encodeURIComponent(buildId)}${query}`;
  const section = h('section', { class: 'card', id: 'flaky' }, h('h1', null, `Flaky tests · ${runKey}`), h('p', { class: 'muted', role: 'status' }, 'Loading…'));
  fill(main, section);
  let stopped = false;
  const load = () => getJson(`api/flaky/${encodeURIComponent(runKey)}${query}`).then(
    view => {
      if (stopped) return;
      const window = `the last ${view.window.runs} runs of each test, over ${view.window.days} days`;
      const intro = h(
        'p',
        { class: 'muted' },
        `A test is flaky when it failed and passed on one commit: a retry on another node (FAST_CI_RETRY), a retried CI job, or two runs of one commit. From ${window}.`,
      );
      if (view.tests.length === 0) return fill(section, section.firstChild, intro, h('p', { class: 'empty' }, 'No flaky test.'));
      const rows = view.tests.map(test => {
        const action = h('td', { class: 'action' });
        // Only a secret key changes a quarantine (the view token reads it).
        canChange.then(yes => {
          if (!yes) return;
          const label = test.quarantine ? 'Release' : 'Quarantine';
          fill(action, h('button', { type: 'button', onclick: () => change(test, !test.quarantine) }, label));
        });
        return h(
          'tr',
          { dataset: { file: test.file, test: test.name } },
          h(
            'td',
            { class: 'file' },
            h('div', { class: 'test-name' }, test.name),
            h('div', { class: 'mono muted small' }, test.file),
            test.quarantine
              ? h('div', { class: 'small quarantined', title: test.quarantine.reason }, `quarantined by ${test.quarantine.by}${test.quarantine.expiresAt === null ? '' : ` until ${clock(test.quarantine.expiresAt)}`}: ${test.quarantine.reason}`)
              : null,
          ),
          h('td', { class: 'num' }, h('b', null, String(test.flakes)), ` / ${test.runs}`, h('div', { class: 'muted small' }, `${Math.round(test.rate * 100)} %`)),
          h('td', { class: 'small' }, point(test.last, runHref)),
          h('td', { class: 'small' }, point(test.since, runHref)),
          h('td', { class: 'small' }, test.branches.join(', ') || '—'),
          h('td', null, strip(test.recent, runHref)),
          action,
        );
      });
      const head = h('thead', null, h('tr', null, ['Test', 'Flakes / runs', 'Last flake', 'Flaky since', 'Branches', 'Recent (oldest first)', ''].map(label => h('th', { scope: 'col' }, label))));
      fill(
        section,
        section.firstChild,
        intro,
        view.total > view.tests.length ? h('p', { class: 'muted small' }, `The ${view.tests.length} flakiest of ${view.total}.`) : null,
        h('div', { class: 'table-wrap' }, h('table', { class: 'files flaky' }, head, h('tbody', null, rows))),
      );
    },
    error => {
      if (!stopped) fill(section, section.firstChild, h('p', { class: 'banner', role: 'alert' }, `The flaky tests could not load: ${error.message}`));
    },
  );
  load();
  /** Puts the test in quarantine or takes it out, with a reason for the audit; then shows the list again. */
  async function change(test, add) {
    const reason = prompt(`${add ? 'Quarantine' : 'Release'} "${test.name}": why? (kept in the audit)`);
    if (!reason) return;
    const res = await fetch(`api/quarantine/${encodeURIComponent(runKey)}${query}`, {
      method: add ? 'POST' : 'DELETE',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ file: test.file, name: test.name, reason, by: 'page' }),
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      alert(`Could not change the quarantine: ${body.error ?? res.status}`);
      return;
    }
    if (!stopped) load();
  }

  return () => {
    stopped = true;
  };
}

function point(at, runHref) {
  return at === null ? '—' : [h('a', { href: runHref(at.buildId) }, at.buildId), h('div', { class: 'muted' }, clock(at.at))];
}

/** The recent outcomes: a square each, a retry's next to its run's first attempt. */
function strip(recent, runHref) {
  return h(
    'div',
    { class: 'strip', role: 'list', 'aria-label': 'recent outcomes, oldest first' },
    recent.map(o =>
      h('a', {
        href: runHref(o.buildId),
        role: 'listitem',
        class: `sq ${o.status}`,
        title: `${o.status} · ${o.buildId}${o.attempt > 1 ? ` (retry ${o.attempt - 1})` : ''} · ${o.node} · ${clock(o.at)}`,
        'aria-label': `${o.status} in ${o.buildId}${o.attempt > 1 ? `, retry ${o.attempt - 1}` : ''}`,
      }),
    ),
  );
}
