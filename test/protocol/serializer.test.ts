import { v1, v2, serializerFor } from '../../src/protocol/serializer';
import { ErrorCodes } from '../../src/errors';

describe('serializerFor', () => {
  it('falls back to V1 when no vsn is sent, as a Phoenix server does', () => {
    expect(serializerFor(undefined)).toBe(v1);
    expect(serializerFor('1.0.0')).toBe(v1);
    expect(serializerFor('2.0.0')).toBe(v2);
    expect(serializerFor('3.0.0')).toBeUndefined();
  });
});

describe('v1', () => {
  it('decodes the reference clients frames, integer refs included', () => {
    const raw = '{"ref":0,"payload":{},"event":"heartbeat","topic":"phoenix"}';
    expect(v1.decode(raw)).toEqual({ join_ref: null, ref: 0, topic: 'phoenix', event: 'heartbeat', payload: {} });
  });

  it('encodes an object without a join_ref slot when there is none', () => {
    const raw = v1.encode({ join_ref: null, ref: '1', topic: 't', event: 'phx_reply', payload: { status: 'ok', response: {} } });
    expect(JSON.parse(raw)).toEqual({ topic: 't', event: 'phx_reply', payload: { status: 'ok', response: {} }, ref: '1' });
  });

  it.each([
    ['not json', 'frame is not valid JSON'],
    ['[1,2,3,4,5]', 'must be a JSON object'],
    ['{"topic":"t","event":"e","payload":null,"ref":"1"}', 'payload must be a JSON object'],
    ['{"topic":"","event":"e","payload":{},"ref":"1"}', 'topic must be a non-empty string'],
    ['{"topic":"t","event":7,"payload":{},"ref":"1"}', 'event must be a non-empty string'],
    ['{"topic":"t","event":"e","payload":{},"ref":{}}', 'ref must be'],
  ])('rejects %s with a protocol error naming the problem', (raw, message) => {
    expect(() => v1.decode(raw)).toThrow(expect.objectContaining({ code: ErrorCodes.PROTOCOL, message: expect.stringContaining(message) }));
  });
});

describe('v2', () => {
  it('round-trips the array form', () => {
    const message = { join_ref: '1', ref: '2', topic: 'test_orchestrator:jest-1', event: 'deq', payload: {} };
    const raw = v2.encode(message);
    expect(raw).toBe('["1","2","test_orchestrator:jest-1","deq",{}]');
    expect(v2.decode(raw)).toEqual(message);
  });

  it('rejects arrays of the wrong length', () => {
    expect(() => v2.decode('["1","2","t","e"]')).toThrow(/must be a JSON array/);
  });
});
