/**
 * The journal (issue 9): recovery record by record, a torn line cut off
 * before appending, one broken run never stopping the others, and one sync
 * per turn of the event loop however many records it holds. Real servers
 * restarted on one data directory, real phoenix nodes.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanup, Node, passed, pendingTests, resultsFor, startTestServer } from '../helpers';

let dataDir: string;
let warnings: string[];

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(tmpdir(), 'fast-ci-journal-'));
  warnings = [];
});

afterEach(async () => {
  jest.restoreAllMocks();
  await cleanup();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function serve() {
  return startTestServer({ dataDir, warn: message => warnings.push(message) });
}

function journals(): string[] {
  return fs.readdirSync(path.join(dataDir, 'runs')).map(name => path.join(dataDir, 'runs', name));
}

/** A run of `files` files on one node, `reported` of them with a result; the server closed afterwards. */
async function partRun(buildId: string, files: number, reported: number): Promise<string[]> {
  const server = await serve();
  const { node } = await Node.join(server, { buildId, nodeId: `${buildId}-node`, workers: 1 });
  await node.enq(pendingTests(files));
  const done: string[] = [];
  let batch: string[] = (await node.deq()).response.tests;
  while (done.length < reported) {
    done.push(...batch);
    batch = (await node.deq(resultsFor(batch))).response.tests;
  }
  await node.close();
  await server.close();
  return done;
}

it('a torn last line is cut off before appending: results acknowledged after a crash survive the next restart', async () => {
  const before = await partRun('torn', 4, 1);
  // A crash mid-write: half a record, no newline.
  fs.appendFileSync(journals()[0]!, '{"t":"result","node":0,"id":"file-');

  const second = await serve();
  expect(warnings).toEqual([expect.stringMatching(/cut off a torn last line/)]);
  const again = await Node.join(second, { buildId: 'torn', nodeId: 'torn-node', workers: 1 });
  const held: string[] = again.reply.response.leases;
  // Acknowledged now: each reply comes only once its records are on disk.
  let reply = await again.node.deq(resultsFor(held));
  const acknowledged = [...held];
  acknowledged.push(...reply.response.tests);
  reply = await again.node.deq(resultsFor(reply.response.tests));
  await again.node.close();
  await second.close();

  const third = await serve();
  const run = third.run('torn')!;
  for (const id of [...before, ...acknowledged]) expect(run.results[id]).toBeDefined();
});

it('a garbage line mid-journal is skipped and named; every other record is restored', async () => {
  const done = await partRun('garbage', 6, 4);
  const [journal] = journals();
  const lines = fs.readFileSync(journal!, 'utf8').split('\n');
  // Garbage between the enq and the first lease.
  lines.splice(3, 0, 'this is not a record');
  fs.writeFileSync(journal!, lines.join('\n'));

  const server = await serve();
  expect(Object.keys(server.run('garbage')!.results).sort()).toEqual([...done].sort());
  expect(warnings).toEqual([expect.stringMatching(/^runs\/[0-9a-f]+\.jsonl: skipped 1 line \(line 4: not JSON\); restored \d+ records$/)]);
});

it('a record of the wrong shape, a directory where a journal should be, an unreadable run: skipped, and the other runs load', async () => {
  await partRun('good', 3, 2);
  await partRun('wrong-shape', 3, 1);
  await partRun('no-open', 3, 1);
  const [good, wrongShape, noOpen] = ['good', 'wrong-shape', 'no-open'].map(build =>
    journals().find(file => fs.readFileSync(file, 'utf8').includes(`"buildId":"${build}"`)),
  );
  fs.appendFileSync(wrongShape!, '{"t":"result","node":"zero","id":7}\n{"t":"mystery"}\n');
  fs.writeFileSync(noOpen!, fs.readFileSync(noOpen!, 'utf8').split('\n').slice(1).join('\n'));
  fs.mkdirSync(path.join(dataDir, 'runs', 'a-directory.jsonl'));

  const server = await serve();
  expect(Object.keys(server.run('good')!.results)).toHaveLength(2);
  expect(Object.keys(server.run('wrong-shape')!.results)).toHaveLength(1);
  expect(server.run('no-open')).toBeUndefined();
  expect(warnings).toHaveLength(3);
  expect(warnings).toEqual(
    expect.arrayContaining([
      'runs/a-directory.jsonl is not a file; skipped',
      `runs/${path.basename(noOpen!)} does not start with a valid "open" record; skipped`,
      expect.stringMatching(/skipped 2 lines \(line \d+: a "result" record needs a node, an id and a valid entry; line \d+: unknown record type "mystery"\)/),
    ]),
  );
  expect(good).toBeDefined();
});

it('__proto__ and constructor as test ids keep their leases and results across a restart', async () => {
  const first = await serve();
  const { node } = await Node.join(first, { buildId: 'odd', nodeId: 'odd-node', workers: 4 });
  const tests = Object.fromEntries(['__proto__', 'constructor', 'plain'].map(id => [id, pendingTests(1)['file-0.test.ts']!]));
  await node.enq(tests);
  const leased: string[] = [];
  while (leased.length < 3) leased.push(...(await node.deq()).response.tests);
  expect(leased.sort()).toEqual(['__proto__', 'constructor', 'plain']);
  await node.deq({ constructor: passed() });
  await node.close();
  await first.close();

  const second = await serve();
  const run = second.run('odd')!;
  expect(Object.keys(run.results)).toEqual(['constructor']);
  expect(Object.entries(run.leased).sort()).toEqual([
    ['__proto__', 0],
    ['plain', 0],
  ]);
  expect(run.queued).toEqual([]);
});

it('groups the records of one turn of the event loop under one sync: a deq with 30 results costs one fdatasync, not 31', async () => {
  const server = await serve();
  const { node } = await Node.join(server, { buildId: 'burst', nodeId: 'burst-node', workers: 30 });
  await node.enq(pendingTests(60));
  const batch: string[] = (await node.deq()).response.tests;
  expect(batch).toHaveLength(30);
  const before = server.stats();
  // 30 results and the next batch's lease: 31 records, written before the reply that acknowledges them.
  const next = await node.deq(resultsFor(batch));
  expect(next.response.tests).toHaveLength(15);
  const after = server.stats();
  expect(after.journalRecords - before.journalRecords).toBe(31);
  expect(after.journalSyncs - before.journalSyncs).toBe(1);
  await node.close();
});
