/** Time sources are injected so that logic can be tested without waiting. */
export type Clock = () => number;
export type Sleep = (ms: number) => Promise<void>;

export const systemClock: Clock = () => Date.now();
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A manual clock for tests: time only moves when you advance it. */
export class ManualClock {
  private current: number;
  constructor(start = 0) {
    this.current = start;
  }
  readonly now: Clock = () => this.current;
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('time does not go backwards');
    this.current += ms;
  }
  /** A Sleep that advances this clock instead of waiting. */
  readonly sleep: Sleep = async (ms) => {
    this.advance(ms);
  };
}
