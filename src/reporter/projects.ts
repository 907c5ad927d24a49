/**
 * Which of the run's projects use the jest-fast-ci runner. `runner` is a
 * per-project option that Jest ignores at the root of a `projects` config:
 * set there, no project is orchestrated and every shard runs every file.
 */
import { realpathSync } from 'node:fs';
import * as path from 'node:path';

/** A project as Jest hands it to reporters (the config of a TestContext). */
export interface ProjectLike {
  readonly config: { readonly runner?: string; readonly displayName?: string | { readonly name: string }; readonly rootDir?: string };
}

export interface ProjectUse {
  readonly total: number;
  /** Names of the projects that do not use the runner. */
  readonly without: readonly string[];
}

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * This package's runners as Jest resolves them: `runner: 'jest-fast-ci'`
 * (dist/index.js), and the one `jest-fast-ci merge` passes (dist/runner/MergeRunner.js).
 */
const OUR_RUNNERS = new Set([path.join(__dirname, '..'), path.join(__dirname, '..', 'runner', 'MergeRunner')].map(entry => real(require.resolve(entry))));

export function usesOurRunner(project: ProjectLike): boolean {
  return project.config.runner !== undefined && OUR_RUNNERS.has(real(project.config.runner));
}

function nameOf(project: ProjectLike, i: number): string {
  const { displayName, rootDir } = project.config;
  const name = typeof displayName === 'string' ? displayName : displayName?.name;
  return name || (rootDir ? path.basename(rootDir) : `project ${i + 1}`);
}

export function projectUse(projects: Iterable<ProjectLike>): ProjectUse {
  const all = [...projects];
  return { total: all.length, without: all.flatMap((p, i) => (usesOurRunner(p) ? [] : [nameOf(p, i)])) };
}
