// `npm start`'s server (src/app/cli/start.ts runs it; src/app/cli/start-page.ts is its only client): the page files, the MMSA
// data file, the checkpoints to resume from, and POST /checkpoint, which replaces the run's checkpoint files.
//
// Everything but the page files needs the server's secret (src/app/node/server.ts), which Node hands to its page only.
// A POSTed checkpoint must also be what the run is training: before each checkpoint of a seed, the page tells
// Node (over the DevTools channel, which no other page can use) the names and shapes of that seed's model parameters;
// a body that is larger than such a checkpoint can be, is not a safetensors file, or holds another model, another seed
// or another epoch is refused with 4xx and nothing on disk changes. The page treats any refusal as a failed run.
// With each accepted best checkpoint Node also writes model-seed<seed>.safetensors, the weights and config derived
// from those validated bytes (src/app/io/model-file.ts), so the file an app embeds takes no upload of its own.

import path from 'node:path';
import { writeFileAtomic } from '../io/atomic';
import { modelFileFromCheckpoint } from '../io/model-file';
import { CheckpointError, parseSafetensors, type SafetensorsFile } from '../../engine/io/safetensors';
import { startServer, type LocalServer, type Route, type RouteReply } from '../node/server';

/** What the run trains for one seed: the model's kind and its parameters' names and shapes. */
export interface ExpectedCheckpoint {
  seed: number;
  /** The model's `kind` (the checkpoint meta's `model`): 'dar', 'derl', 'latefusion'. */
  model: string;
  tensors: [name: string, shape: number[]][];
}

export interface StartServerOptions {
  /** The MMSA file served at GET /data, if any. */
  data: string | null;
  /** The BERT folder whose config.json and model.safetensors are served at GET /bert/<name> (--bert), if any. */
  bert?: string | null;
  /** Files served at GET /resume/<seed> and /resume-best/<seed>. */
  resume: Map<number, { from: string; best: string | null }>;
  /** Where POST /checkpoint writes the checkpoint of `kind` for `seed` ('model': the best one's model file). */
  checkpointPath(kind: 'best' | 'last' | 'model', seed: number): string;
}

export interface StartServer extends LocalServer {
  /** Records what the run trains for a seed; POST /checkpoint accepts only checkpoints that fit it. */
  expectCheckpoint(e: ExpectedCheckpoint): void;
}

/** Header and metadata (tensor names and offsets, model config, options) take far less than this. */
const HEADER_ALLOWANCE = 1 << 20;

/**
 * The largest checkpoint of `e`: every parameter, plus at most two state tensors per parameter (Adam/AdamW's moments,
 * SGD's momentum), all float32.
 */
export function maxCheckpointBytes(e: ExpectedCheckpoint): number {
  const values = e.tensors.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
  return 3 * 4 * values + HEADER_ALLOWANCE;
}

const TRAIN_META_FORMAT = 'webgrad-train/1'; // src/app/train/trainer.ts's CHECKPOINT_META_FORMAT
const CHECKPOINT_FORMAT = 'webgrad-checkpoint/1'; // src/app/io/checkpoint.ts's CHECKPOINT_FORMAT

/** The parameter an optimizer-state tensor belongs to (`optim.<param>.<key>` or `optim@<aux>.<param>.<key>`), else null. */
function stateOwner(name: string): string | null {
  let rest: string;
  if (name.startsWith('optim.')) rest = name.slice('optim.'.length);
  else if (name.startsWith('optim@')) rest = name.slice(name.indexOf('.') + 1);
  else return null;
  return rest.slice(0, rest.lastIndexOf('.'));
}

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function trainMeta(file: SafetensorsFile): Record<string, unknown> | null {
  try {
    const meta = JSON.parse(file.metadata['webgrad.meta'] ?? 'null');
    return meta && typeof meta === 'object' ? meta : null;
  } catch {
    return null;
  }
}

/** What is wrong with `bytes` as the checkpoint of `expected` at `epoch` ([] when nothing). */
export function checkpointProblems(bytes: Uint8Array, expected: ExpectedCheckpoint, epoch: number): string[] {
  let file: SafetensorsFile;
  try {
    file = parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) return [`not a safetensors file: ${e.message}`];
    throw e;
  }
  const problems: string[] = [];
  const meta = trainMeta(file);
  if (file.metadata['webgrad.format'] !== CHECKPOINT_FORMAT || meta?.format !== TRAIN_META_FORMAT)
    problems.push('not a training checkpoint of npm start');
  else {
    if (meta.model !== expected.model) problems.push(`model ${String(meta.model)}, expected ${expected.model}`);
    if (meta.seed !== expected.seed) problems.push(`seed ${String(meta.seed)}, expected ${expected.seed}`);
    if (meta.epoch !== epoch) problems.push(`epoch ${String(meta.epoch)}, expected ${epoch}`);
  }
  const params = new Map(expected.tensors);
  const seen = new Set<string>();
  for (const [name, t] of file.tensors) {
    const owner = stateOwner(name);
    const shape = params.get(owner ?? name);
    if (!shape) problems.push(`unexpected tensor ${name}`);
    else if (!sameShape(t.shape, shape) || t.dtype !== 'F32')
      problems.push(`${name}: ${t.dtype} [${t.shape}], expected F32 [${shape}]`);
    if (owner === null) seen.add(name);
  }
  for (const name of params.keys()) if (!seen.has(name)) problems.push(`missing tensor ${name}`);
  return problems;
}

const text = (status: number, t: string): RouteReply => ({ status, text: t });

/** Serves `www` (start.html at /) with the routes above on 127.0.0.1. */
export async function serveStart(www: string, opts: StartServerOptions): Promise<StartServer> {
  const expected = new Map<number, ExpectedCheckpoint>();
  const seedOf = (url: URL) => Number(url.searchParams.get('seed'));

  const checkpoint: Route = {
    method: 'POST',
    path: /^\/checkpoint$/,
    // A seed the run has not announced gets no room at all.
    maxBytes: (url) => {
      const e = expected.get(seedOf(url));
      return e ? maxCheckpointBytes(e) : 0;
    },
    async handle({ url, body }) {
      const seed = seedOf(url);
      const epoch = Number(url.searchParams.get('epoch'));
      const kinds = (url.searchParams.get('kinds') ?? '').split(',');
      if (!Number.isInteger(epoch) || epoch < 0 || !kinds.length || !kinds.every((k) => k === 'best' || k === 'last')) {
        return text(400, 'bad checkpoint query: want seed=<n>&kinds=best,last&epoch=<n>');
      }
      const e = expected.get(seed);
      if (!e) return text(400, `this run trains no seed ${url.searchParams.get('seed')}`);
      const problems = checkpointProblems(body, e, epoch);
      if (problems.length)
        return text(
          400,
          `not a checkpoint of this run's seed ${seed}, epoch ${epoch}: ${problems.slice(0, 5).join('; ')}`,
        );
      for (const k of kinds as ('best' | 'last')[]) await writeFileAtomic(opts.checkpointPath(k, seed), body);
      // The model file (weights + config) is derived here from the checkpoint just validated: no upload of its own.
      if (kinds.includes('best'))
        await writeFileAtomic(opts.checkpointPath('model', seed), modelFileFromCheckpoint(body));
      return text(200, 'ok');
    },
  };
  const resume: Route = {
    method: 'GET',
    path: /^\/(resume|resume-best)\/(-?\d+)$/,
    handle({ match }) {
      const r = opts.resume.get(Number(match[2]));
      const file = match[1] === 'resume' ? r?.from : r?.best;
      return file ? { status: 200, file } : text(404, 'no such checkpoint');
    },
  };
  const data: Route = {
    method: 'GET',
    path: /^\/data$/,
    handle: () => (opts.data ? { status: 200, file: path.resolve(opts.data) } : text(404, 'no data file')),
  };

  const bert: Route = {
    method: 'GET',
    path: /^\/bert\/(config\.json|model\.safetensors)$/,
    handle: ({ match }) =>
      opts.bert ? { status: 200, file: path.resolve(opts.bert, match[1]) } : text(404, 'no BERT folder'),
  };

  const server = await startServer(www, { index: 'start.html', routes: [checkpoint, resume, data, bert] });
  return { ...server, expectCheckpoint: (e) => void expected.set(e.seed, e) };
}
