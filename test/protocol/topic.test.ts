import { buildIdFromTopic, topicFor } from '../../src/protocol/topic';

describe('topicFor', () => {
  it('is test_orchestrator:<run_key>-<build_id>, as the reference clients join', () => {
    expect(topicFor('jest', '4242')).toBe('test_orchestrator:jest-4242');
    expect(topicFor('ex_unit', '0891fba')).toBe('test_orchestrator:ex_unit-0891fba');
  });
});

describe('buildIdFromTopic', () => {
  it('reads the build id back, dashes included', () => {
    expect(buildIdFromTopic('test_orchestrator:jest-4242', 'jest')).toBe('4242');
    expect(buildIdFromTopic('test_orchestrator:jest-run-12-attempt-2', 'jest')).toBe('run-12-attempt-2');
  });

  it.each([
    ['another run key', 'test_orchestrator:rspec-4242'],
    ['an empty build id', 'test_orchestrator:jest-'],
    ['the plural path name', 'test_orchestrators:jest-4242'],
    ['no prefix', 'jest-4242'],
  ])('is undefined for %s', (_what, topic) => {
    expect(buildIdFromTopic(topic, 'jest')).toBeUndefined();
  });
});
