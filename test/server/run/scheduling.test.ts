import { pickBatch, batchSize, decideDeq, expectedDurations, longestFirst, nodeSpeeds, planParts } from '../../../src/server/run/scheduling';
import { summarize } from '../../../src/server/run/summary';
import { pendingTests, passed } from '../helpers';

describe('expectedDurations', () => {
  it('uses the history, then the enq run_time, then the median of the known ones', () => {
    const tests = pendingTests(5, i => [2, undefined, 6, undefined, 3][i]);
    // The history (every node's last run, normalised) wins over the enqueuing node's own cache.
    const history = (id: string) => ({ 'file-1.test.ts': 10, 'file-4.test.ts': 8 })[id];
    expect(Object.fromEntries(expectedDurations(tests, history))).toEqual({
      'file-0.test.ts': 2,
      'file-1.test.ts': 10,
      'file-2.test.ts': 6,
      'file-3.test.ts': 7,
      'file-4.test.ts': 8,
    });
  });

  it('is 0 for every file when nothing is known', () => {
    expect([...expectedDurations(pendingTests(2)).values()]).toEqual([0, 0]);
  });
});

describe('longestFirst', () => {
  it('orders by expected duration, ties by id', () => {
    const durations = new Map([
      ['b', 1],
      ['a', 1],
      ['c', 5],
    ]);
    expect(longestFirst(['a', 'b', 'c'], durations)).toEqual(['c', 'a', 'b']);
  });
});

describe('batchSize', () => {
  it.each([
    [100, 2, 8, 8],
    // A node that does not say its workers (the reference clients) gets 4 at most.
    [100, 2, undefined, 4],
    [12, 2, 8, 3],
    [3, 2, 8, 1],
    [1, 5, 8, 1],
    [100, 0, 2, 2],
  ])('remaining %d, %d nodes, %s workers -> %d', (remaining, nodes, workers, size) => {
    expect(batchSize(remaining, nodes, workers)).toBe(size);
  });

  it('shrinks to single files as the queue drains', () => {
    const sizes: number[] = [];
    for (let remaining = 40; remaining > 0; ) {
      const size = batchSize(remaining, 2, 8);
      sizes.push(size);
      remaining -= size;
    }
    expect(sizes[0]).toBe(8);
    expect(sizes.slice(-3)).toEqual([1, 1, 1]);
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
  });
});

describe('decideDeq', () => {
  it.each([
    [{ finished: true, queued: 0, holdsLeases: false }, 'done'],
    [{ finished: false, queued: 3, holdsLeases: true }, 'batch'],
    [{ finished: false, queued: 0, holdsLeases: true }, 'drain'],
    [{ finished: false, queued: 0, holdsLeases: false }, 'hold'],
  ] as const)('%j -> %s', (state, decision) => {
    expect(decideDeq(state)).toBe(decision);
  });
});

describe('summarize', () => {
  it('counts files by status, tests and files per node', () => {
    const failed = { ...passed(), file_status: 'failed' as const, test_count: 2 };
    const summary = summarize(
      [
        ['a', { entry: passed(), nodeIndex: 0 }],
        ['b', { entry: failed, nodeIndex: 1 }],
        ['c', { entry: passed(), nodeIndex: 1 }],
      ],
      3,
    );
    expect(summary).toEqual({ files: 3, passed: 2, failed: 1, pending: 0, tests: 4, nodes: 3, files_by_node: { '0': 1, '1': 2 } });
  });

  it('lists as flaky the files that failed before a passing result, not those that failed every time', () => {
    const failed = { ...passed(), file_status: 'failed' as const };
    const summary = summarize(
      [
        ['a', { entry: passed(), nodeIndex: 1 }],
        ['b', { entry: failed, nodeIndex: 0 }],
      ],
      2,
      new Map([['a', [0]], ['b', [1]]]),
    );
    expect(summary).toMatchObject({ passed: 1, failed: 1, flaky: ['a'] });
  });
});

describe('planParts', () => {
  const known = new Map([['heavy', Array.from({ length: 8 }, (_, i) => [`t${i}`, 1] as const)]]);

  it('splits a file over one slot\'s share into parts of about a share, at most one per slot', () => {
    const durations = new Map([['heavy', 8], ['a', 1], ['b', 1], ['c', 2]]);
    const plan = planParts(durations, known, { slots: 4, minSeconds: 1, noSplit: new Set() });
    // 12 s over 4 slots: a share is 3 s; the 8 s file becomes 3 parts.
    expect(Object.keys(plan.parts)).toEqual(['heavy#part-1-of-3', 'heavy#part-2-of-3', 'heavy#part-3-of-3']);
    const seconds = [...plan.durations.values()];
    expect(seconds.reduce((a, b) => a + b, 0)).toBeCloseTo(8);
    expect(Math.max(...seconds)).toBeLessThanOrEqual(3);
  });

  it('leaves whole a file under the share or the minimum, with unknown tests, one slot, or named in no_split', () => {
    const durations = new Map([['heavy', 8], ['a', 1]]);
    expect(planParts(durations, known, { slots: 1, minSeconds: 1, noSplit: new Set() }).parts).toEqual({});
    expect(planParts(durations, known, { slots: 4, minSeconds: 10, noSplit: new Set() }).parts).toEqual({});
    expect(planParts(durations, new Map(), { slots: 4, minSeconds: 1, noSplit: new Set() }).parts).toEqual({});
    expect(planParts(durations, known, { slots: 4, minSeconds: 1, noSplit: new Set(['heavy']) }).parts).toEqual({});
    expect(planParts(new Map([['heavy', 8], ['a', 30]]), known, { slots: 4, minSeconds: 1, noSplit: new Set() }).parts).toEqual({});
  });
});

describe('pickBatch (nodes said which files their Jest caches are warm for)', () => {
  /** Files f0..f9 of 10..1 s, longest first; `warm` per node index; this node is node 0. */
  function run(warm: Record<number, string[]>, options: { slots?: number; accept?: (id: string) => boolean } = {}) {
    const queue = Array.from({ length: 10 }, (_, i) => `f${i}`);
    const seconds = new Map(queue.map((id, i) => [id, 10 - i]));
    const sets = new Map(Object.entries(warm).map(([n, ids]) => [Number(n), new Set(ids)]));
    return {
      queue,
      accept: options.accept ?? (() => true),
      seconds: (id: string) => seconds.get(id) ?? 0,
      warmHere: (id: string) => sets.get(0)?.has(id) ?? false,
      warmOn: (id: string) => [...sets].filter(([n, set]) => n !== 0 && set.has(id)).map(([n]) => n),
      slots: options.slots ?? 4,
    };
  }

  it('takes its own warm files first, longest first, before the longer files warm elsewhere or nowhere', () => {
    expect(pickBatch(run({ 0: ['f5', 'f3', 'f8'], 1: ['f1', 'f2'] }), 2)).toEqual(['f3', 'f5']);
  });

  it('then files warm nowhere, longest first, before stealing another node\'s', () => {
    expect(pickBatch(run({ 0: ['f9'], 1: ['f1', 'f2', 'f3'] }), 3)).toEqual(['f9', 'f0', 'f4']);
  });

  it('steals from the node with the most queued warm work, its longest file first', () => {
    const warm = { 0: [], 1: ['f1'], 2: ['f2', 'f3', 'f4'] };
    const all = Object.values(warm).flat();
    const onlyWarm = run(warm, { accept: id => all.includes(id) });
    // Node 2 holds 8+7+6 s of queued warm work, node 1 holds 9 s.
    expect(pickBatch(onlyWarm, 2)).toEqual(['f2', 'f3']);
  });

  it('starts at once a file longer than the queued work per slot, wherever it is warm', () => {
    // 55 s queued over 7 slots: 7.9 s a slot, so f0 (10 s), f1 (9 s) and f2 (8 s) cannot wait; f3 (7 s) can.
    expect(pickBatch(run({ 0: ['f9'], 1: ['f0', 'f1', 'f2', 'f3'] }, { slots: 7 }), 4)).toEqual(['f0', 'f1', 'f2', 'f9']);
  });

  it('leaves out what the node may not run', () => {
    expect(pickBatch(run({ 0: ['f5', 'f6'] }, { accept: id => id !== 'f5' }), 2)).toEqual(['f6', 'f0']);
  });

  it('is the queue\'s front for a node no cache information is known for, when nobody else said any', () => {
    expect(pickBatch(run({}), 3)).toEqual(['f0', 'f1', 'f2']);
  });
});

describe('nodeSpeeds (durations that mean the file, not the machine)', () => {
  const files = (node: number, expected: number[], slowdown: number) => expected.map(e => ({ node, expected: e, actual: e * slowdown }));

  it('is each node\'s measured over expected time, against the run\'s median node', () => {
    const speeds = nodeSpeeds([...files(0, [1, 2, 3], 1), ...files(1, [2, 2, 2], 1.1), ...files(2, [4, 1, 1], 3)]);
    expect(speeds.get(0)).toBeCloseTo(1 / 1.1);
    expect(speeds.get(1)).toBeCloseTo(1);
    expect(speeds.get(2)).toBeCloseTo(3 / 1.1);
  });

  it('takes a node with too few timed files, or a one-node run, as the median', () => {
    expect(nodeSpeeds([...files(0, [1, 2, 3], 1), ...files(1, [1, 1], 5)])).toEqual(new Map());
    expect(nodeSpeeds(files(0, [1, 2, 3, 4], 2))).toEqual(new Map());
  });

  it('ignores files without an expected or a measured time, and bounds the factor', () => {
    const speeds = nodeSpeeds([...files(0, [1, 1, 1], 1), ...files(1, [1, 1, 1], 1), ...files(2, [1, 1, 1], 100), { node: 0, expected: 0, actual: 50 }]);
    expect(speeds.get(0)).toBe(1);
    expect(speeds.get(2)).toBe(4);
  });
});
