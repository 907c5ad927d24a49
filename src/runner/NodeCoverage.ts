/**
 * One node's coverage, merged as its files finish, so the whole-run report
 * and blob files carry it once per node, never once per test file: a file's
 * result holds the coverage of every source module it loaded, megabytes per
 * file on a project of hundreds of modules. Merged as Jest's own
 * CoverageReporter merges it: istanbul maps with istanbul-lib-coverage
 * (babel), raw V8 script coverage with @bcoe/v8-coverage (v8), each
 * script's transform (code, source map) kept once.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeProcessCovs, type ScriptCov } from '@bcoe/v8-coverage';
import { createCoverageMap, createFileCoverage, type CoverageMap, type CoverageMapData, type FileCoverage, type FileCoverageData } from 'istanbul-lib-coverage';
import type { TestResult } from '@jest/test-result';

/** How a script was transformed, as Jest's v8 coverage names it; the source map travels inline. */
export interface V8Transform {
  readonly code: string;
  /** Left out when it is the file on disk, which every machine of the run has. */
  originalCode?: string;
  sourceMapPath?: string | null;
  sourceMapContent?: string;
  readonly wrapperLength?: number;
}

export interface V8Entry {
  readonly result: ScriptCov;
  codeTransformResult?: V8Transform;
}

/** What a coverage record holds: one of the two, by the project's coverageProvider. */
export interface CoverageBody {
  readonly babel?: CoverageMapData;
  readonly v8?: V8Entry[];
}

type WithCoverage = Omit<TestResult, 'coverage' | 'v8Coverage'> & { coverage?: CoverageMapData; v8Coverage?: V8Entry[] };

export class NodeCoverage {
  #map: CoverageMap | undefined;
  #scripts: ScriptCov[] = [];
  readonly #transforms = new Map<string, V8Transform>();

  /**
   * Adds a result's coverage. Never changes the result: Jest's own
   * CoverageReporter holds its objects and merges into them later.
   */
  add(result: TestResult): void {
    const { coverage, v8Coverage } = result as WithCoverage;
    if (coverage != null) this.#addBabel(coverage);
    if (v8Coverage != null && v8Coverage.length > 0) this.#addV8(v8Coverage);
  }

  get isEmpty(): boolean {
    return this.#map === undefined && this.#scripts.length === 0;
  }

  /** The node's coverage so far, for its record (nothing in it with coverage off). */
  body(): CoverageBody {
    if (this.#scripts.length > 0) {
      return { v8: this.#scripts.map(result => ({ result, codeTransformResult: this.#transforms.get(result.url) })) };
    }
    return this.#map === undefined ? {} : { babel: plainData(this.#map) };
  }

  #addBabel(coverage: CoverageMapData): void {
    const map = (this.#map ??= createCoverageMap({}));
    for (const [file, data] of Object.entries(coverage)) {
      // A file seen first is copied: the map merges into what it holds.
      if (!hasFile(map, file)) map.addFileCoverage(createFileCoverage(structuredClone(data as FileCoverageData)));
      else mergeFile(map.fileCoverageFor(file), data as FileCoverageData);
    }
  }

  #addV8(entries: V8Entry[]): void {
    for (const entry of entries) {
      const transform = entry.codeTransformResult;
      if (transform === undefined || this.#transforms.has(entry.result.url)) continue;
      this.#transforms.set(entry.result.url, compactTransform(entry.result.url, transform));
    }
    // mergeProcessCovs may change its input: the result's scripts are cloned.
    const incoming = structuredClone(entries.map(entry => entry.result));
    this.#scripts = mergeProcessCovs([{ result: this.#scripts }, { result: incoming }]).result;
  }
}

function plainData(map: CoverageMap): CoverageMapData {
  return Object.fromEntries(map.files().map(file => [file, map.fileCoverageFor(file).toJSON() as FileCoverageData]));
}

/**
 * Adds `data`'s hits into `into`. Two maps of one file instrumented from
 * the same source (istanbul's per-file hash) have the same keys: their
 * counts are added key by key, 8x faster than istanbul's merge, which maps
 * every location to a key first (measured on 100 modules of 220 lines);
 * otherwise istanbul's merge.
 */
function mergeFile(into: FileCoverage, data: FileCoverageData): void {
  const mine = into.data as FileCoverageData & { hash?: string; all?: boolean; bT?: Record<string, number[]> };
  const theirs = data as FileCoverageData & { hash?: string; all?: boolean; bT?: Record<string, number[]> };
  if (mine.hash === undefined || mine.hash !== theirs.hash || mine.all === true || theirs.all === true || (mine.bT === undefined) !== (theirs.bT === undefined)) {
    into.merge(createFileCoverage(data));
    return;
  }
  addCounts(mine.s, theirs.s);
  addCounts(mine.f, theirs.f);
  addBranchCounts(mine.b, theirs.b);
  if (mine.bT !== undefined && theirs.bT !== undefined) addBranchCounts(mine.bT, theirs.bT);
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const key in from) into[key] = (into[key] ?? 0) + from[key]!;
}

function addBranchCounts(into: Record<string, number[]>, from: Record<string, number[]>): void {
  for (const key in from) {
    const counts = (into[key] ??= []);
    const more = from[key]!;
    for (let i = 0; i < more.length; i += 1) counts[i] = (counts[i] ?? 0) + more[i]!;
  }
}

function hasFile(map: CoverageMap, file: string): boolean {
  return Object.prototype.hasOwnProperty.call(map.data, file);
}

/** The transform with its source map read in (it sits in this machine's Jest cache) and the original code left out when it is the file on disk. */
function compactTransform(url: string, transform: V8Transform): V8Transform {
  const compact: V8Transform = { ...transform };
  const mapPath = transform.sourceMapPath;
  if (mapPath != null && existsSync(mapPath)) {
    compact.sourceMapContent = readFileSync(mapPath, 'utf8');
    compact.sourceMapPath = null;
  }
  const file = scriptPath(url);
  if (transform.originalCode !== undefined && file !== undefined) {
    try {
      if (readFileSync(file, 'utf8') === transform.originalCode) delete compact.originalCode;
    } catch {
      // Not readable here: it travels.
    }
  }
  return compact;
}

/**
 * The file a V8 script coverage names: Jest gives paths (it turns
 * `file://` URLs into them), undefined for Node's own scripts.
 */
export function scriptPath(url: string): string | undefined {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return path.isAbsolute(url) ? url : undefined;
}

/** The result without its coverage: what a per-file record carries. */
export function withoutCoverage(result: TestResult): TestResult {
  const { coverage, v8Coverage, ...rest } = result as WithCoverage;
  void coverage;
  void v8Coverage;
  return rest as TestResult;
}

/**
 * Gives `result` (another node's file, handed to this node's Jest) the
 * coverage of other nodes, so Jest's CoverageReporter merges it once, as it
 * merges any file's: istanbul maps merged into one, V8 scripts side by side
 * (Jest merges them by script).
 */
export function carryCoverage(result: TestResult, bodies: readonly CoverageBody[]): void {
  const target = result as WithCoverage;
  const babel = bodies.filter(body => body.babel !== undefined);
  if (babel.length > 0) {
    const map = createCoverageMap(target.coverage ?? {});
    for (const body of babel) {
      for (const [file, data] of Object.entries(body.babel!)) {
        if (hasFile(map, file)) mergeFile(map.fileCoverageFor(file), data as FileCoverageData);
        else map.addFileCoverage(createFileCoverage(data as FileCoverageData));
      }
    }
    // Plain data: another copy of istanbul-lib-coverage (Jest 29's) would take this one's objects for data.
    target.coverage = plainData(map);
  }
  const v8 = bodies.flatMap(body => body.v8 ?? []);
  if (v8.length > 0) target.v8Coverage = [...(target.v8Coverage ?? []), ...v8];
}
