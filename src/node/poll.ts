// Dawn for Node (the `webgpu` package) learns that GPU work finished by polling: while any promise of its (mapAsync,
// onSubmittedWorkDone, popErrorScope, …) is pending, it re-schedules itself with `setImmediate` on every turn of the
// event loop, which keeps one core at 100 % for the whole wait. On a 2-core machine running SwiftShader (a CPU-emulated
// GPU whose worker threads need those cores) that spinning slows the GPU work itself 2–4× (docs/node.md).
//
// The backoff below keeps the first millisecond of a wait at full speed (short readbacks are as fast as before), then
// lets Dawn poll once per timer tick (~1 ms) instead: a wait costs up to one extra millisecond and almost no CPU.
// Dawn looks `setImmediate` up on the global object each time it polls, so wrapping the global reaches it; Dawn's poll
// callback is recognised as a nameless native function scheduled without arguments, and every other caller is passed
// through untouched.

/** How Dawn waits for the GPU: 'backoff' (default) polls on a 1 ms timer after the first millisecond; 'spin' as Dawn does. */
export type PollMode = 'backoff' | 'spin';

/** Polls stay on setImmediate for the first SPIN_MS of a wait. */
const SPIN_MS = 1;

const INSTALLED = Symbol.for('webgrad.dawnPollBackoff');

type Immediate = (callback: (...args: unknown[]) => void, ...args: unknown[]) => unknown;

function isDawnPoll(callback: unknown, args: unknown[]): boolean {
  return (
    typeof callback === 'function' &&
    callback.name === '' &&
    args.length === 0 &&
    Function.prototype.toString.call(callback) === 'function () { [native code] }'
  );
}

/** Wraps this thread's global setImmediate so Dawn's polling backs off (idempotent). */
export function installPollBackoff(): void {
  const g = globalThis as unknown as { setImmediate: Immediate & { [INSTALLED]?: true } };
  if (g.setImmediate[INSTALLED]) return;
  const original = g.setImmediate;
  // A wait lasts from Dawn's first poll until a poll that does not schedule another (nothing left pending).
  let waitStart: number | null = null;
  let rescheduled = false;
  const wrapped: Immediate = (callback, ...args) => {
    if (!isDawnPoll(callback, args)) return original(callback, ...args);
    rescheduled = true;
    const now = performance.now();
    waitStart ??= now;
    const poll = () => {
      rescheduled = false;
      callback();
      if (!rescheduled) waitStart = null;
    };
    return now - waitStart > SPIN_MS ? setTimeout(poll, 1) : original(poll);
  };
  // Keep the original's own properties (util.promisify.custom among them) so promisify(setImmediate) still works.
  Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
  g.setImmediate = Object.assign(wrapped, { [INSTALLED]: true as const });
}
