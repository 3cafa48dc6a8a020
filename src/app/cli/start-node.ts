// `npm start -- --runtime node`, the main thread's side: starts the page program in a worker thread on Dawn
// (src/app/cli/start-worker.ts, bundled as dist/start-worker.mjs beside dist/start.mjs) and speaks the same messages a
// browser page does (src/app/cli/start-messages.ts). The worker keeps Dawn's polling off the main thread.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { prepareVulkan } from '../../node/dawn';
import type { StartMessage } from './start-messages';
import type { StartPageOptions, StartPageResult } from './start-page';
import type { FromWorker, StartWorkerData, ToWorker } from './start-worker';

/** The page's messages other than the run's outcome. */
type ProgressOrExpect = Exclude<StartMessage, { kind: 'finished' | 'failed' }>;

export interface WorkerRun {
  /** The run's outcome ('finished' or 'failed' message, or the worker's end). */
  outcome: Promise<StartPageResult>;
  /** Asks the run to stop after its current step (Ctrl-C). */
  interrupt(): void;
  terminate(): Promise<void>;
}

/** Starts the run; `handle` gets every page message but the outcome, and is awaited before the page goes on. */
export function runInWorker(
  baseUrl: string,
  options: StartPageOptions,
  handle: (m: ProgressOrExpect) => void,
): WorkerRun {
  prepareVulkan(); // in this thread: the worker's process.env is a copy the Vulkan loader never reads
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'start-worker.mjs');
  const worker = new Worker(file, { workerData: { baseUrl } satisfies StartWorkerData });
  const send = (m: ToWorker) => worker.postMessage(m);
  const outcome = new Promise<StartPageResult>((resolve, reject) => {
    worker.on('message', (m: FromWorker) => {
      const msg = m.message;
      if (msg.kind === 'finished') resolve(msg.result);
      else if (msg.kind === 'failed') reject(new Error(msg.message));
      else handle(msg);
      send({ kind: 'ack', id: m.id });
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the Node worker exited (code ${code}) during the run`)));
  });
  send({ kind: 'run', options });
  return {
    outcome,
    interrupt: () => send({ kind: 'interrupt' }),
    terminate: async () => void (await worker.terminate()),
  };
}
