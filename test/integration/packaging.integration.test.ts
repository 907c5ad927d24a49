/**
 * The packed package as users install it: into a fresh Yarn Plug'n'Play
 * project with Jest 30 and into a pnpm project (strict peers) with Jest
 * 29.7, each driven the way that package manager's users do it. Also runs
 * the packaging linters on the package.
 *
 * Installs go through the registry; Yarn's cache and pnpm's store live under
 * the repository's .tmp/, so a second run reuses them.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type OrchestratorServer } from '../../src/server';
import { REPO, cleanEnv, fixture, until } from '../helpers/jestNodes';

const KEY = 'packaging-secret-5d1e';
const CACHE = path.join(REPO, '.tmp');
const YARN = path.join(REPO, 'node_modules/@yarnpkg/cli-dist/bin/yarn.js');
const PNPM = path.join(REPO, 'node_modules/pnpm/bin/pnpm.cjs');
const FILES = ['test/four.test.js', 'test/one.test.js', 'test/three.test.js', 'test/two.test.js'];

const SETUP_TIMEOUT = 400_000;
const INSTALL_KILL = 300_000;
const TEST_TIMEOUT = 150_000;
const CHILD_KILL = 120_000;

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

interface Child {
  readonly done: Promise<Outcome>;
  output(): string;
  /** Signals the child's whole process group (the package manager and what it started). */
  signal(name: NodeJS.Signals): void;
}

const alive = new Set<number>();

/** Each child leads its own process group, so a package manager is killed with what it started. */
function start(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}, killAfterMs = CHILD_KILL): Child {
  const child = spawn(command, args, { cwd, env: userEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid!;
  alive.add(pid);
  let output = '';
  child.stdout.on('data', chunk => (output += chunk));
  child.stderr.on('data', chunk => (output += chunk));
  const signal = (name: NodeJS.Signals): void => {
    if (alive.has(pid)) process.kill(-pid, name);
  };
  const timer = setTimeout(() => signal('SIGKILL'), killAfterMs);
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signalName) => {
      clearTimeout(timer);
      alive.delete(pid);
      resolve({ code, signal: signalName, output: `$ ${[path.basename(command), ...args].join(' ')}\n${output}` });
    });
  });
  return { done, output: () => output, signal };
}

function killAll(): void {
  for (const pid of alive) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  alive.clear();
}

/**
 * The environment a user's shell would have: none of this suite's CI
 * variables, and none of the npm_config_* and package manager variables
 * that `npm test` sets, which Yarn and pnpm would read as their own config.
 */
function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = cleanEnv(extra);
  for (const name of Object.keys(env)) {
    if (/^(npm_|yarn_|pnpm_|corepack_)|^(node_options|init_cwd)$/i.test(name)) delete env[name];
  }
  return env;
}

/** Fails with the child's output, so a failure shows what the package manager or Jest said. */
function expectExit(outcome: Outcome, code: number): void {
  if (outcome.code !== code) {
    throw new Error(`expected exit code ${code}, got ${outcome.code ?? outcome.signal}; output:\n${outcome.output}`);
  }
}

interface Project {
  readonly install: Outcome;
  /** A bin of an installed package, as this package manager's users run it (`yarn jest`, `pnpm exec jest`). */
  bin(args: readonly string[], env?: Record<string, string>): Child;
  /** `node <script>`, as this package manager's users run it. */
  node(args: readonly string[], env?: Record<string, string>): Child;
}

function writeProject(dir: string, dependencies: Record<string, string>): void {
  fs.cpSync(fixture('consumer'), dir, { recursive: true });
  const pkg = {
    name: 'consumer',
    private: true,
    devDependencies: dependencies,
    jest: { runner: 'jest-fast-ci', reporters: ['default', 'jest-fast-ci/reporter'], testEnvironment: 'node' },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}

async function yarnProject(dir: string, dependencies: Record<string, string>): Promise<Project> {
  writeProject(dir, dependencies);
  const rc = [
    'nodeLinker: pnp',
    'enableTelemetry: false',
    // One cache under the repository's .tmp/, read in place, so a second run downloads nothing.
    'enableGlobalCache: true',
    `globalFolder: ${JSON.stringify(path.join(CACHE, 'yarn'))}`,
    // CI=true would make the install immutable; this project has no lockfile yet.
    'enableImmutableInstalls: false',
  ];
  fs.writeFileSync(path.join(dir, '.yarnrc.yml'), `${rc.join('\n')}\n`);
  // An empty lockfile makes this folder a project root of its own.
  fs.writeFileSync(path.join(dir, 'yarn.lock'), '');
  const install = await start(process.execPath, [YARN, 'install'], dir, {}, INSTALL_KILL).done;
  return {
    install,
    bin: (args, env) => start(process.execPath, [YARN, ...args], dir, env),
    node: (args, env) => start(process.execPath, [YARN, 'node', ...args], dir, env),
  };
}

async function pnpmProject(dir: string, dependencies: Record<string, string>): Promise<Project> {
  writeProject(dir, dependencies);
  const rc = [
    'strict-peer-dependencies=true',
    `store-dir=${path.join(CACHE, 'pnpm-store')}`,
    `cache-dir=${path.join(CACHE, 'pnpm-cache')}`,
    'update-notifier=false',
  ];
  fs.writeFileSync(path.join(dir, '.npmrc'), `${rc.join('\n')}\n`);
  // CI=true would make pnpm insist on a lockfile this fresh project does not have.
  const install = await start(process.execPath, [PNPM, 'install', '--no-frozen-lockfile', '--reporter=append-only'], dir, {}, INSTALL_KILL).done;
  return {
    install,
    bin: (args, env) => start(process.execPath, [PNPM, 'exec', ...args], dir, env),
    node: (args, env) => start(process.execPath, args, dir, env),
  };
}

function version(pkg: string): string {
  return (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

let root: string;
let server: OrchestratorServer;
const projects: Record<'yarn' | 'pnpm', Project> = {} as Record<'yarn' | 'pnpm', Project>;

beforeAll(async () => {
  const started = Date.now();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-packaging-'));
  server = await startServer({ host: '127.0.0.1', port: 0, secretKeys: [KEY] });
  const pack = await start('npm', ['pack', '--silent', '--pack-destination', root], REPO).done;
  expectExit(pack, 0);
  const tarball = path.join(root, pack.output.trim().split('\n').pop()!);
  const shared = { 'jest-fast-ci': `file:${tarball}`, typescript: version('typescript') };
  fs.mkdirSync(path.join(root, 'yarn'));
  fs.mkdirSync(path.join(root, 'pnpm'));
  [projects.yarn, projects.pnpm] = await Promise.all([
    yarnProject(path.join(root, 'yarn'), { ...shared, jest: version('jest') }),
    pnpmProject(path.join(root, 'pnpm'), { ...shared, jest: '29.7.0' }),
  ]);
  process.stderr.write(`packaging: packed and installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}, SETUP_TIMEOUT);

afterEach(killAll);

afterAll(async () => {
  killAll();
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe.each(['yarn', 'pnpm'] as const)('installed with %s', key => {
  const project = (): Project => projects[key];

  it('installs without a peer dependency warning', () => {
    expectExit(project().install, 0);
    expect(project().install.output).not.toMatch(/peer/i);
  });

  it('runs plain Jest without a key, like Jest', async () => {
    const jest = await project().bin(['jest']).done;
    expectExit(jest, 0);
    expect(jest.output).toContain('jest-fast-ci: FAST_CI_SECRET_KEY is not set; running all 4 test files here, like plain Jest.');
    expect(jest.output).toMatch(/Test Suites: 4 passed, 4 total/);
  }, TEST_TIMEOUT);

  it('runs two nodes on the embedded server: every file once, both exit 0', async () => {
    const buildId = randomUUID();
    const env = { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId };
    const nodes = await Promise.all([project().bin(['jest'], env).done, project().bin(['jest'], env).done]);
    for (const node of nodes) expectExit(node, 0);
    const run = server.run(buildId)!;
    expect(run.state).toBe('finished');
    expect(Object.keys(run.results).sort()).toEqual(FILES);
    expect(run.warnings).toEqual([]);
    // What each node ran is what the server recorded from it: together, each file once.
    const indexes = nodes.map(node => Number(/jest-fast-ci ▸ node (\d+)/.exec(node.output)?.[1]));
    expect(indexes.sort()).toEqual([0, 1]);
    for (const node of nodes) {
      const index = Number(/jest-fast-ci ▸ node (\d+)/.exec(node.output)![1]);
      const recorded = Object.values(run.results).filter(result => result.nodeIndex === index).length;
      expect(node.output).toContain(`ran ${recorded} of 4 files here`);
    }
  }, TEST_TIMEOUT);

  it("runs Jest started from a script with require('jest').run(), orchestrated", async () => {
    const buildId = randomUUID();
    const jest = await project().node(['run-jest.js'], { FAST_CI_SECRET_KEY: KEY, FAST_CI_SERVER: server.url, FAST_CI_BUILD_ID: buildId }).done;
    expectExit(jest, 0);
    expect(Object.keys(server.run(buildId)!.results).sort()).toEqual(FILES);
    expect(jest.output).toContain(`jest-fast-ci ▸ node 0 · build ${buildId} · ran 4 of 4 files here`);
  }, TEST_TIMEOUT);

  it('type-checks the three entry points with skipLibCheck false', async () => {
    const tsc = await project().bin(['tsc', '-p', '.']).done;
    expectExit(tsc, 0);
  }, TEST_TIMEOUT);

  it('imports the entry points from an ES module, with the same classes CommonJS gets', async () => {
    const esm = await project().node(['check-esm.mjs']).done;
    expectExit(esm, 0);
    expect(esm.output).toContain('{"runner":true,"reporter":true,"named":true,"server":true}');
  }, TEST_TIMEOUT);

  it('starts the orchestrator with the jest-fast-ci serve bin, and stops it on SIGTERM', async () => {
    const serve = project().bin(['jest-fast-ci', 'serve', '--port', '0'], { FAST_CI_SECRET_KEY: KEY });
    const url = await until(() => /FAST_CI_SERVER=ws:\/\/(127\.0\.0\.1:\d+)/.exec(serve.output())?.[1], 'the serve bin to listen', 60_000).catch(
      (error: Error) => Promise.reject(new Error(`${error.message}; output:\n${serve.output()}`)),
    );
    expect(await healthStatus(url)).toBe(200);
    serve.signal('SIGTERM');
    const outcome = await serve.done;
    expect(outcome.output).toContain('jest-fast-ci: SIGTERM, closing connections (1012, service restart)');
  }, TEST_TIMEOUT);
});

describe('the packaging linters', () => {
  it('publint and attw find nothing', async () => {
    const lint = await start('npm', ['run', '--silent', 'lint:package'], REPO, { NO_COLOR: '1' }).done;
    expectExit(lint, 0);
  }, TEST_TIMEOUT);
});

function healthStatus(hostPort: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    http.get(`http://${hostPort}/health`, response => {
      response.resume();
      resolve(response.statusCode);
    }).on('error', reject);
  });
}
