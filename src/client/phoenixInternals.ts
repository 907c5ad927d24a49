/**
 * What the client needs of phoenix.js objects that phoenix.js has but
 * @types/phoenix does not declare: whether a channel can push now, and the
 * timers of pushes and channels, which outlive `socket.disconnect()` and
 * would keep the Jest process alive.
 */
import type { Channel, Push } from 'phoenix';

/** The channel is joined and its socket connected: a push made now is sent now, not buffered. */
export function canPush(channel: Channel): boolean {
  return (channel as unknown as { canPush(): boolean }).canPush();
}

/** Stops a push's timeout timer and its reply handler. */
export function cancelPush(push: Push): void {
  const p = push as unknown as { cancelTimeout?: () => void; cancelRefEvent?: () => void };
  p.cancelTimeout?.();
  p.cancelRefEvent?.();
}

/** Stops a channel's rejoin schedule and its join push's timer. */
export function cancelChannelTimers(channel: Channel): void {
  const c = channel as unknown as { joinPush?: Push; rejoinTimer?: { reset(): void } };
  c.rejoinTimer?.reset();
  if (c.joinPush) cancelPush(c.joinPush);
}
