/**
 * After each test of the integration project: kill every child process
 * group still alive. Also adds `expect(outcome).toExitWith(code)`, which
 * shows the end of the child's output when the code is not the one expected.
 */
import { killChildren } from '../helpers/processes';

interface Exited {
  code: number | null;
  signal?: NodeJS.Signals | null;
  output: string;
  timedOut?: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** The child exited with `code`; on failure, the message shows its last lines of output. */
      toExitWith(code: number): R;
    }
  }
}

const TAIL_CHARS = 4_000;

expect.extend({
  toExitWith(received: Exited, code: number) {
    const pass = received.code === code;
    const how = received.timedOut ? 'was killed by its timer' : received.signal ? `was killed by ${received.signal}` : `exited with ${received.code}`;
    return {
      pass,
      message: () =>
        `expected the child ${pass ? 'not ' : ''}to exit with ${code}; it ${how}. Its output ended with:\n` +
        received.output.slice(-TAIL_CHARS),
    };
  },
});

afterEach(killChildren);
