'use strict';
/**
 * Command-line options of the demo. Kept apart from demo.js so the usage
 * text and the defaults live in one place.
 */
const path = require('node:path');

const REPO = path.resolve(__dirname, '../..');

const USAGE = `Usage: npm run demo -- [options]
       node examples/demo/demo.js [options]

Runs examples/basic as N concurrent jest processes ("nodes") through an
orchestrator started in this process, then compares with one plain jest run.

Options:
  --nodes N        number of concurrent jest processes (default 3, 1 to 16)
  --no-baseline    skip the single-node run used for the speed-up
  --project DIR    the Jest project to run (default examples/basic)
  --json FILE      also write the table and the server's record of the run to FILE
  --keep-server    keep the orchestrator and its dashboard up after the run, even
                   without a terminal, until Ctrl-C (on a terminal the demo
                   already waits for Enter)
  -h, --help       show this help
`;

class UsageError extends Error {}

/** @returns {{ nodes: number, baseline: boolean, project: string, json?: string, keepServer: boolean, help: boolean }} */
function parseArgs(argv) {
  const options = { nodes: 3, baseline: true, project: path.join(REPO, 'examples/basic'), json: undefined, keepServer: false, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => {
      const next = inline ?? argv[++i];
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a value.`);
      return next;
    };
    switch (flag) {
      case '--nodes': {
        const raw = value();
        const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!(n >= 1 && n <= 16)) throw new UsageError(`--nodes must be a whole number from 1 to 16, got "${raw}".`);
        options.nodes = n;
        break;
      }
      case '--no-baseline':
        options.baseline = false;
        break;
      case '--project':
        options.project = path.resolve(value());
        break;
      case '--json':
        options.json = path.resolve(value());
        break;
      case '--keep-server':
        options.keepServer = true;
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new UsageError(`Unknown option "${flag}".`);
    }
  }
  return options;
}

module.exports = { parseArgs, UsageError, USAGE, REPO };
