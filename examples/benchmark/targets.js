'use strict';
/**
 * What the benchmark runs Jest on: the generated suite, or an existing
 * project (--project) that it must not edit. A target says which Jest to
 * start, in which directory, and which flags make it plain Jest or
 * jest-fast-ci:
 *
 *   { cwd, jestBin, configArgs, plainArgs, fastciArgs, traceDir? }
 *
 * For a project the runner and reporter come as CLI flags, by absolute path
 * to a copy of this repository's dist/ installed in a node_modules directory
 * (`--runner` and `--reporters` are Jest CLI options in 29 and 30), and plain Jest is the project's own `jest-runner`,
 * so a project whose config already names jest-fast-ci is compared fairly.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { REPO, runJest } = require('./runners');

/** The generated suite: its config names the runner and reporter by package name, as a user's would. */
function suiteTarget(projectDir) {
  return {
    cwd: projectDir,
    jestBin: path.join(REPO, 'node_modules/jest/bin/jest.js'),
    configArgs: ['--config', path.join(projectDir, 'jest.config.js')],
    plainArgs: ['--runner', 'jest-runner', '--reporters', 'default'],
    fastciArgs: [],
    traceDir: path.join(projectDir, '..', 'trace'),
  };
}

/** Jest as the project itself resolves it: its jest, and the jest-runner of that jest's @jest/core. */
function projectJest(dir) {
  let jestPackage;
  try {
    jestPackage = require.resolve('jest/package.json', { paths: [dir] });
  } catch {
    throw new Error(`--project ${dir}: no jest is installed there (or above it); install the project's dependencies first`);
  }
  const core = require.resolve('@jest/core', { paths: [path.dirname(jestPackage)] });
  return {
    jestBin: path.join(path.dirname(jestPackage), 'bin/jest.js'),
    jestRunner: require.resolve('jest-runner', { paths: [path.dirname(core)] }),
    version: JSON.parse(fs.readFileSync(jestPackage, 'utf8')).version,
  };
}

/**
 * This package as a user has it: dist/ and package.json in a node_modules
 * directory (its dependencies linked from this repository's). Named by a
 * path outside node_modules, Jest would compile the runner with the
 * project's own transform (babel-jest down to generators, ts-jest where the
 * pattern matches .js), which no installed package goes through.
 */
let installed;
function installedPackage() {
  if (installed) return installed;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-fast-ci-bench-install-'));
  const dir = path.join(root, 'node_modules', 'jest-fast-ci');
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(REPO, 'dist'), path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  installed = dir;
  return dir;
}

function projectTarget(dir, config) {
  // `npm run bench` runs in this repository; a relative path is meant from where the user typed it.
  const cwd = path.resolve(process.env.INIT_CWD || process.cwd(), dir);
  if (!fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--project ${dir}: not a directory`);
  for (const built of ['dist/index.js', 'dist/reporter/index.js']) {
    if (!fs.existsSync(path.join(REPO, built))) throw new Error(`${built} is missing: run npm run build (npm run bench does)`);
  }
  const jest = projectJest(cwd);
  const pkg = installedPackage();
  return {
    cwd,
    jestBin: jest.jestBin,
    jestVersion: jest.version,
    configArgs: config ? ['--config', path.resolve(process.env.INIT_CWD || process.cwd(), config)] : [],
    plainArgs: [`--runner=${jest.jestRunner}`, '--reporters=default'],
    fastciArgs: [`--runner=${path.join(pkg, 'dist/index.js')}`, '--reporters=default', `--reporters=${path.join(pkg, 'dist/reporter/index.js')}`],
  };
}

/** The project's test files, as Jest finds them with its own config: ids relative to the project directory. */
async function listTests(target) {
  const p = await runJest({ target, args: [...target.plainArgs, '--listTests'], label: 'list' });
  if (p.code !== 0) throw new Error(`jest --listTests failed in ${target.cwd}:\n${p.output.slice(-2000)}`);
  const files = p.output.split('\n').filter(line => path.isAbsolute(line) && fs.existsSync(line));
  if (files.length === 0) throw new Error(`jest --listTests found no test files in ${target.cwd}`);
  return files.map(file => path.relative(target.cwd, file).split(path.sep).join('/')).sort();
}

module.exports = { suiteTarget, projectTarget, listTests };
