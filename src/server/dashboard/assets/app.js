// The dashboard page: who is signed in, then the runs list (#/), one run
// (#/runs/<run key>/<build id>[?key=<n>][&file=<test id>]) or the flaky
// tests of a run key (#/flaky/<run key>[?key=<n>]). Each view follows its event
// stream and is stopped when the address changes.
import { getJson, SignedOut } from './api.js';
import { fill, h } from './dom.js';
import { showRun } from './runPage.js';
import { showRuns } from './runsPage.js';
import { showFlaky } from './flakyPage.js';

const main = document.getElementById('main');
const crumbs = document.getElementById('crumbs');
let stop = () => {};

function route() {
  stop();
  const hash = location.hash.replace(/^#/, '') || '/';
  const run = /^\/runs\/([^/?]+)\/([^/?]+)(?:\?(.*))?$/.exec(hash);
  const flaky = /^\/flaky\/([^/?]+)(?:\?(.*))?$/.exec(hash);
  if (flaky) {
    const runKey = decodeURIComponent(flaky[1]);
    fill(crumbs, h('span', null, h('a', { href: '#/' }, 'Runs')), h('span', null, `flaky tests of ${runKey}`));
    stop = showFlaky(main, { runKey, key: new URLSearchParams(flaky[2] ?? '').get('key') });
  } else if (run) {
    const runKey = decodeURIComponent(run[1]);
    const buildId = decodeURIComponent(run[2]);
    const params = new URLSearchParams(run[3] ?? '');
    fill(crumbs, h('span', null, h('a', { href: '#/' }, 'Runs')), h('span', null, `${buildId}`));
    stop = showRun(main, { runKey, buildId, key: params.get('key'), file: params.get('file') });
  } else {
    fill(crumbs, h('span', null, 'Runs'));
    stop = showRuns(main);
  }
  window.scrollTo(0, 0);
}

async function start() {
  try {
    const session = await getJson('api/session');
    document.getElementById('who').textContent =
      session.scope === 'all' ? 'view token: every run' : "secret key: this key's runs";
  } catch (error) {
    // The cookie expired between the page and this request: the server now serves the sign-in form.
    if (error instanceof SignedOut) return location.reload();
    fill(main, h('p', { class: 'banner' }, `The dashboard could not load: ${error.message}`));
    return;
  }
  addEventListener('hashchange', route);
  route();
}

start();
