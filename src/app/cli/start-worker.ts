// `npm start -- --runtime node`: the page program (src/app/cli/start-page.ts) in a Node worker thread on a Dawn device,
// no browser. The worker gives it what a page has: navigator.gpu (Dawn's), fetch with URLs relative to the driver's
// server, and globalThis.webgradReport, here a message to the main thread (src/app/cli/start-node.ts) that resolves
// once the main thread has handled it, so the order the page relies on ('expect' before an upload) holds.

import { parentPort, workerData } from 'node:worker_threads';
import { dawnAdapter } from '../../node/dawn';
import type { StartMessage, StartPageGlobals } from './start-messages';
import type { StartPageOptions } from './start-page';
import './start-page';

/** Main thread → worker. */
export type ToWorker = { kind: 'run'; options: StartPageOptions } | { kind: 'interrupt' } | { kind: 'ack'; id: number };
/** Worker → main thread: a page message, numbered for its acknowledgement. */
export type FromWorker = { kind: 'report'; id: number; message: StartMessage };
/** What the worker is started with. */
export interface StartWorkerData {
  /** The driver server's URL, against which the page's relative URLs (/data, /checkpoint, …) resolve. */
  baseUrl: string;
}

const port = parentPort!;
const { baseUrl } = workerData as StartWorkerData;
const g = globalThis as unknown as StartPageGlobals & { navigator?: { gpu?: GPU }; fetch: typeof fetch };

const nodeFetch = g.fetch;
g.fetch = (input, init) => nodeFetch(typeof input === 'string' ? new URL(input, baseUrl) : input, init);

const pending = new Map<number, () => void>();
let nextId = 0;
g.webgradReport = (message) =>
  new Promise<void>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    port.postMessage({ kind: 'report', id, message } satisfies FromWorker);
  });

const report = (message: StartMessage) => g.webgradReport(message);

port.on('message', (m: ToWorker) => {
  if (m.kind === 'ack') {
    pending.get(m.id)?.();
    pending.delete(m.id);
  } else if (m.kind === 'interrupt') {
    g.webgradInterrupt();
  } else {
    void run(m.options);
  }
});

async function run(options: StartPageOptions): Promise<void> {
  try {
    const { gpu } = await dawnAdapter();
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else g.navigator = { gpu };
    const result = await g.webgradMain(options);
    await report({ kind: 'finished', result });
  } catch (e) {
    await report({ kind: 'failed', message: e instanceof Error && e.stack ? e.stack : String(e) });
  }
}
