import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes, FastCiError } from '../../src/errors';
import { jestSearchStarts, loadJestPeers } from '../../src/runner/jestPeers';

const REPO = path.resolve(__dirname, '../..');

describe('loadJestPeers', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-peers-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reaches jest-runner and jest-worker through jest's own dependencies", () => {
    const peers = loadJestPeers([{ place: 'this repository', from: path.join(REPO, 'noop.js'), first: 'jest' }]);
    expect(typeof peers.jestRunner.EmittingTestRunner).toBe('function');
    expect(typeof peers.jestWorker.Worker).toBe('function');
    expect(fs.existsSync(peers.testWorkerPath)).toBe(true);
  });

  it('takes the first place whose chain resolves', () => {
    const peers = loadJestPeers([
      { place: 'an empty folder', from: path.join(dir, 'noop.js'), first: 'jest' },
      { place: 'this repository', from: path.join(REPO, 'noop.js'), first: 'jest' },
    ]);
    expect(peers.testWorkerPath).toBe(path.join(path.dirname(require.resolve('jest-runner')), 'testWorker.js'));
  });

  it('lists every place tried and why each failed', () => {
    // A "jest" without @jest/core beside it: the chain breaks at its second link.
    fs.mkdirSync(path.join(dir, 'node_modules/jest'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'node_modules/jest/package.json'), '{"name":"jest","main":"index.js"}');
    fs.writeFileSync(path.join(dir, 'node_modules/jest/index.js'), '');
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-peers-empty-'));
    let error: unknown;
    try {
      loadJestPeers([
        { place: 'the Jest running in this process', absent: 'no @jest/core module is loaded' },
        { place: `the working directory (${empty})`, from: path.join(empty, 'noop.js'), first: 'jest' },
        { place: `a project with a broken jest (${dir})`, from: path.join(dir, 'noop.js'), first: 'jest' },
      ]);
    } catch (caught) {
      error = caught;
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
    expect(error).toBeInstanceOf(FastCiError);
    expect((error as FastCiError).code).toBe(ErrorCodes.JEST_NOT_FOUND);
    // Node says "Cannot find module 'jest'"; inside a Jest test, Jest's resolver adds "from '<file>'".
    expect((error as FastCiError).message.split('\n')).toEqual([
      "jest-fast-ci could not find Jest's test runner. It resolves jest → @jest/core → jest-runner → jest-worker, each from the one before, starting from each of these places:",
      '  - the Jest running in this process: no @jest/core module is loaded',
      expect.stringMatching(new RegExp(`^  - the working directory \\(${empty}\\): jest: Cannot find module 'jest'`)),
      expect.stringMatching(
        new RegExp(`^  - a project with a broken jest \\(${dir}\\): found jest at ${fs.realpathSync(dir)}/node_modules/jest/index.js; @jest/core: Cannot find module '@jest/core'`),
      ),
      'Install jest (29.7 or 30) in the project that runs the tests (npm install --save-dev jest, pnpm add --save-dev jest, yarn add --dev jest), and start Jest from that project.',
    ]);
  });
});

describe('jestSearchStarts', () => {
  it('starts from the running Jest, the script that started the process, the working directory, then this package', () => {
    const places = jestSearchStarts('/some/project').map(start => start.place);
    expect(places).toHaveLength(4);
    expect(places[0]).toMatch(/^the Jest running in this process/);
    expect(places[1]).toMatch(/^the script that started this process/);
    expect(places[2]).toBe('the working directory (/some/project)');
    expect(places[3]).toMatch(/^jest-fast-ci's own folder/);
  });
});
