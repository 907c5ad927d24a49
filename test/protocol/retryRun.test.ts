import { parseRetryRunReply, parseRetryRunRequest } from '../../src/protocol/retryRun';

describe('retry_run in the join payload', () => {
  it('takes the mode, the CI signals and earlier build ids', () => {
    expect(parseRetryRunRequest({ mode: 'failed', again: true, earlier: ['42-2', '42'], attempt: 3 })).toEqual({
      ok: true,
      value: { mode: 'failed', again: true, earlier: ['42-2', '42'], attempt: 3 },
    });
    expect(parseRetryRunRequest({ mode: 'all', again: null })).toEqual({ ok: true, value: { mode: 'all' } });
  });

  it('refuses what it cannot use, with a reason that names the field', () => {
    expect(parseRetryRunRequest('failed')).toMatchObject({ ok: false, reason: expect.stringMatching(/^retry_run must be an object/) });
    expect(parseRetryRunRequest({ mode: 'some' })).toMatchObject({ ok: false, reason: 'retry_run mode must be "failed" or "all"' });
    expect(parseRetryRunRequest({ mode: 'failed', again: 'yes' })).toMatchObject({ ok: false, reason: expect.stringMatching(/again/) });
    expect(parseRetryRunRequest({ mode: 'failed', earlier: Array.from({ length: 21 }, (_, i) => String(i)) })).toMatchObject({ ok: false, reason: expect.stringMatching(/at most 20/) });
    expect(parseRetryRunRequest({ mode: 'failed', earlier: ['bad id with spaces'] })).toMatchObject({ ok: false, reason: expect.stringMatching(/^retry_run earlier: /) });
    expect(parseRetryRunRequest({ mode: 'failed', attempt: 0 })).toMatchObject({ ok: false, reason: expect.stringMatching(/attempt/) });
  });
});

describe('retry_run in the join reply', () => {
  it('reads each status, and nothing it does not understand', () => {
    expect(parseRetryRunReply({ status: 'retry', of: '42', attempt: 2, rerun: 1, kept: 12, files: 13 })).toEqual({ status: 'retry', of: '42', attempt: 2, rerun: 1, kept: 12, files: 13 });
    expect(parseRetryRunReply({ status: 'unknown', of: '42', reason: 'evicted' })).toEqual({ status: 'unknown', of: '42', reason: 'evicted' });
    expect(parseRetryRunReply({ status: 'all', of: '42', attempt: 2 })).toEqual({ status: 'all', of: '42', attempt: 2 });
    expect(parseRetryRunReply({ status: 'retry', of: '42', rerun: -1 })).toBeUndefined();
    expect(parseRetryRunReply({ status: 'later', of: '42' })).toBeUndefined();
    expect(parseRetryRunReply(null)).toBeUndefined();
  });
});
