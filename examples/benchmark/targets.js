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
 * to this repository's dist/ (`--runner` and `--reporters` are Jest CLI
 * options in 29 and 30), and plain Jest is the project's own `jest-runner`,
 * so a project whose config already names jest-fast-ci is compared fairly.
 */
const fs = require('node:fs');
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

function projectTarget(dir) {
  // `npm run bench` runs in this repository; a relative path is meant from where the user typed it.
  const cwd = path.resolve(process.env.INIT_CWD || process.cwd(), dir);
  if (!fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--project ${dir}: not a directory`);
  for (const built of ['dist/index.js', 'dist/reporter/index.js']) {
    if (!fs.existsSync(path.join(REPO, built))) throw new Error(`${built} is missing: run npm run build (npm run bench does)`);
  }
  const jest = projectJest(cwd);
  return {
    cwd,
    jestBin: jest.jestBin,
    jestVersion: jest.version,
    configArgs: [],
    plainArgs: [`--runner=${jest.jestRunner}`, '--reporters=default'],
    fastciArgs: [`--runner=${path.join(REPO, 'dist/index.js')}`, '--reporters=default', `--reporters=${path.join(REPO, 'dist/reporter/index.js')}`],
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
