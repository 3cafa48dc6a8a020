// The messages between `npm start`'s page (src/app/cli/start-page.ts) and Node (src/app/cli/start.ts), in one union that
// both sides import: a renamed or retyped field is a type error on both ends. Small JSON only; bytes go over HTTP.
//
// Page → Node: `globalThis.webgradReport(message)`, exposed by puppeteer. Node → page: `globalThis.webgradMain(options)`
// starts the run (its outcome comes back as a 'finished' or 'failed' message), `globalThis.webgradInterrupt()` asks
// it to stop after the current step.

import type { HostRuntime } from '../host';
import type { AdapterSummary } from '../../engine/gpu';
import type { DatasetDims, Split } from '../data/types';
import type { RegressionMetrics } from '../eval/metrics';
import type { EpochSummary, TrainProgress } from '../train/trainer';
import type { ExpectedCheckpoint } from './start-server';
import type { StartPageOptions, StartPageResult } from './start-page';

/** Where the page is in the run of seed `seedIndex` (0-based in the options' seeds). */
interface OfSeed {
  seedIndex: number;
}

export type StartMessage =
  /** The device the run trains on, and where the trainer runs ('browser' or 'node'). */
  | { kind: 'adapter'; adapter: AdapterSummary; runtime: HostRuntime }
  | {
      kind: 'dataset';
      name: string;
      sizes: Readonly<Record<Split, number>>;
      dims: DatasetDims;
      warnings: readonly string[];
      knownAs: string | null;
      seconds: number;
    }
  /** The test samples evaluated per rate, and the constant predictor's scores. */
  | { kind: 'plan'; testN: number; constant: { value: number; metrics: RegressionMetrics } }
  /** What the next checkpoint upload must hold: the server refuses any other. */
  | { kind: 'expect'; expected: ExpectedCheckpoint }
  /** The tiny BERT's masked-LM pre-training, once per run before any seed: steps done of `steps`, mean loss of late. */
  | { kind: 'pretraining'; step: number; steps: number; loss: number; seconds: number }
  | ({ kind: 'progress' } & OfSeed & TrainProgress)
  | ({ kind: 'epoch' } & OfSeed & EpochSummary)
  /** Kernels of the first training step compiled so far, of `total` (before that step; none once all are cached). */
  | ({ kind: 'compiling'; seed: number; done: number; total: number } & OfSeed)
  | ({ kind: 'evaluating'; seed: number; rates: number; testN: number; trainSeconds: number } & OfSeed)
  | ({ kind: 'evalProgress'; done: number; total: number; elapsedSec: number } & OfSeed)
  | ({ kind: 'seedDone'; seed: number; trainSeconds: number; evalSeconds: number; bestEpoch: number } & OfSeed)
  | { kind: 'finished'; result: StartPageResult }
  | { kind: 'failed'; message: string };

/** The page's side of the channel: each message is awaited, so Node has it before the page goes on. */
export type Report = (message: StartMessage) => Promise<void>;

/** The page's globals that Node calls. */
export interface StartPageGlobals {
  webgradReport: Report;
  webgradMain(o: StartPageOptions): Promise<StartPageResult>;
  webgradInterrupt(): void;
}

/**
 * The expression Node evaluates in the page to start a run: it returns at once, and the outcome arrives as a
 * 'finished' or 'failed' message (a run takes far longer than any DevTools-protocol call may).
 */
export function startRunExpression(o: StartPageOptions): string {
  return (
    `globalThis.webgradMain(${JSON.stringify(o)}).then(` +
    `(result) => globalThis.webgradReport({ kind: 'finished', result }), ` +
    `(e) => globalThis.webgradReport({ kind: 'failed', message: e && e.stack ? String(e.stack) : String(e) })); 0`
  );
}
