// Ctrl-C for long runs (`npm start`): the first SIGINT asks the run to finish cleanly (keep the best checkpoint, write
// what there is to report, close the browser); a second one means "now", and exits at once with 130 (128 + SIGINT).

export interface InterruptHandlers {
  /** The first Ctrl-C: ask the work to stop at its next safe point. */
  stop(): void;
  /** The second Ctrl-C, just before exiting: release what must not outlive the process (the browser). */
  abort(): void;
  say(text: string): void;
}

/** Installs the SIGINT handler; returns its removal. */
export function onInterrupt(h: InterruptHandlers): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      h.say(
        'Ctrl-C: stopping after this step; the best epoch so far is kept and evaluated, and a partial report written (Ctrl-C again quits at once)',
      );
      h.stop();
      return;
    }
    h.say('Ctrl-C again: quitting now');
    h.abort();
    process.exit(130);
  };
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGINT', handler);
  };
}

/** The exit code of a run ended by Ctrl-C (the shell's convention: 128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;
