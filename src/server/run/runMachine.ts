/**
 * A run's transitions, one module each: what a join, an enq, a deq, a
 * leave, a socket that went away or the passing of time (the sweep) does to
 * a run, as the events it causes and the answer it gets. Each transition
 * reads the state and applies every event it decides through
 * `Transition.emit`; the host persists the events and only then answers.
 * Decisions depend only on the state, the request and the context (the
 * time, this server, which servers are alive), so a transition that lost a
 * race with another server is simply decided again. No I/O, no timers.
 *
 * Answers are the run's (protocol/replies.ts `Answer`); the connection puts
 * them into wire shape.
 */
export { Transition, type EnqHistory, type MachineContext, type MachineSettings, type Member } from './Transition';
export { current, isAvailable, isConnected, mayStillReport } from './liveness';
export { join, refuseJoin } from './join';
export { retryReply, type EarlierAttempt } from './retryAttempt';
export { afterEnq, enq } from './enq';
export { deq, hasWorkFor, serveHeld } from './deq';
export { hasBackupWork } from './backups';
export { checkFiles, detach, leave, MAX_RUNNING, running } from './leave';
export { isSweepDue, sweep } from './sweep';
export { stopRun } from './steps';
