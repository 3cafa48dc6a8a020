// Pause, resume and stop for work that runs on the page's main thread. The trainer awaits its progress hook after every
// step and the evaluator after every batch, so those hooks call `gate()`: it yields a task (the page repaints and
// handles clicks), waits while paused, and throws StopRequested once stop() was called — the trainer then frees its
// model and rethrows, with no change to the trainer itself.

/** Thrown from a hook to end training or evaluation early at the user's request. */
export class StopRequested extends Error {
  override name = 'StopRequested';
  constructor() {
    super('stopped by the user');
  }
}

/**
 * Lets the event loop run once. A MessageChannel message rather than setTimeout(0): background tabs throttle timers to
 * one per second, which would stall training whenever the tab is hidden.
 */
export function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

export type RunState = 'running' | 'paused' | 'stopping';

export class RunControl {
  private wake: (() => void) | null = null;
  private state_: RunState = 'running';

  constructor(
    private readonly onChange: (s: RunState) => void = () => {},
    /** Told when the work actually holds at a gate (true) and when it goes on (false): a pause takes effect at the next gate. */
    private readonly onHold: (held: boolean) => void = () => {},
  ) {}

  get state(): RunState {
    return this.state_;
  }

  pause(): void {
    if (this.state_ !== 'running') return;
    this.state_ = 'paused';
    this.onChange(this.state_);
  }

  resume(): void {
    if (this.state_ !== 'paused') return;
    this.state_ = 'running';
    this.onChange(this.state_);
    this.wake?.();
  }

  stop(): void {
    if (this.state_ === 'stopping') return;
    this.state_ = 'stopping';
    this.onChange(this.state_);
    this.wake?.();
  }

  /** Yields to the page, waits while paused, throws StopRequested when stopped. */
  async gate(): Promise<void> {
    await yieldToPage();
    if (this.state_ === 'paused') {
      this.onHold(true);
      while (this.state_ === 'paused') await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      this.onHold(false);
    }
    if (this.state_ === 'stopping') throw new StopRequested();
  }
}
