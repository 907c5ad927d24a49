/**
 * What a jest process (a node, a plain run, a merge) wrote when told to
 * write under one directory: coverage, JUnit (jest-junit) and `--json`.
 * Whole-run reporting tests compare a node's with a plain run's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ReportOutputs {
  readonly coverage: Record<string, unknown>;
  readonly junitCases: string[];
  readonly json: { numTotalTests: number; numPassedTests: number; numFailedTests: number; numTotalTestSuites: number; success: boolean };
}

/** Env and arguments that make a jest process write its outputs under `dir` (the fixture's config reads COVERAGE_DIR and JUNIT_DIR). */
export function writingTo(dir: string, env: Record<string, string> = {}): { env: Record<string, string>; args: string[] } {
  return {
    env: { COVERAGE_DIR: path.join(dir, 'coverage'), JUNIT_DIR: path.join(dir, 'junit'), ...env },
    args: ['--coverage', '--json', `--outputFile=${path.join(dir, 'results.json')}`],
  };
}

/** What it wrote under `dir`. */
export function readOutputs(dir: string): ReportOutputs {
  const junit = fs.readFileSync(path.join(dir, 'junit', 'junit.xml'), 'utf8');
  return {
    coverage: JSON.parse(fs.readFileSync(path.join(dir, 'coverage', 'coverage-final.json'), 'utf8')),
    junitCases: [...junit.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map(m => `${m[1]} › ${m[2]}`).sort(),
    json: JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')),
  };
}
