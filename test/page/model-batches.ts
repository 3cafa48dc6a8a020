// Batches and parity fixtures for the model scenarios (scenarios-dar.ts, scenarios-derl.ts): random inputs of a
// dataset's shapes, a corrupted view of them, the decoding of a PyTorch parity fixture (batch and weights), and the
// timing of training steps.

import type { Tensor, DatasetDims } from '../../src/app/all';
import type { ModalityInputs, SentimentModel, StepCache, TrainingBatch } from '../../src/app/models/types';
import type { Module } from '../../src/engine/nn/module';
import type * as wgType from '../../src/app/all';

type W = typeof wgType;

/** Random inputs of the dataset's shapes; `zero` lists modalities to zero out (a whole modality missing). */
export function inputs(w: W, dims: DatasetDims, B: number, seed: number, zero: string[] = []): ModalityInputs {
  const make = (f: 'text' | 'audio' | 'vision', k: number) => {
    const shape = [B, dims[f].len, dims[f].dim];
    return (zero.includes(f) ? w.zeros(shape) : w.randn(shape, { seed: seed + k })).keep();
  };
  return { text: make('text', 0), audio: make('audio', 1), vision: make('vision', 2) };
}

export function disposeInputs(x: ModalityInputs): void {
  for (const t of Object.values(x)) (t as Tensor | undefined)?.dispose();
}

export function disposeBatch(b: TrainingBatch): void {
  disposeInputs(b.complete);
  disposeInputs(b.corrupted);
  b.labels.dispose();
}

/** A small deterministic generator (mulberry32) for masks made on the CPU. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A complete batch, and a corrupted view of it with about `rate` of every modality's frames zeroed. */
export function randomBatch(w: W, dims: DatasetDims, B: number, seed: number, rate = 0.3): TrainingBatch {
  const complete = inputs(w, dims, B, seed);
  const r = rng(seed + 1000);
  const dropped = new Float32Array(B * dims.text.len);
  const corrupt = (x: Tensor, isText: boolean) => {
    const T = x.shape[1];
    const keep = new Float32Array(B * T);
    for (let i = 0; i < keep.length; i++) {
      keep[i] = r() > rate ? 1 : 0;
      if (isText) dropped[i] = 1 - keep[i];
    }
    return w.tidy(() => w.mul(x, w.tensor(keep, [B, T, 1]))).keep();
  };
  const corrupted: ModalityInputs = {
    text: corrupt(complete.text, true),
    audio: corrupt(complete.audio, false),
    vision: corrupt(complete.vision, false),
  };
  corrupted.textDropped = w.tensor(dropped, [B, dims.text.len]).keep();
  const labels = w.rand([B, 1], { low: -3, high: 3, seed: seed + 30 }).keep();
  return { complete, corrupted, labels };
}

type FixtureTensors = Map<string, { shape: readonly number[]; data: Float32Array }>;

/** A parity fixture (base64 safetensors) decoded: its tensors, metadata, and its batch (`batch.*`) on the GPU. */
export function decodeFixture(
  w: W,
  b64: string,
): { tensors: FixtureTensors; metadata: Record<string, string>; batch: TrainingBatch } {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const { tensors, metadata } = w.readSafetensors(bytes);
  const gpu = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`fixture has no ${name}`);
    return w.tensor(t.data, [...t.shape]).keep();
  };
  const view = (v: string): ModalityInputs => {
    const x: ModalityInputs = {
      text: gpu(`batch.${v}.text`),
      audio: gpu(`batch.${v}.audio`),
      vision: gpu(`batch.${v}.vision`),
    };
    if (tensors.has(`batch.${v}.textDropped`)) x.textDropped = gpu(`batch.${v}.textDropped`);
    return x;
  };
  const batch: TrainingBatch = {
    complete: view('complete'),
    corrupted: view('corrupted'),
    labels: gpu('batch.labels'),
  };
  return { tensors, metadata, batch };
}

/** Writes `<prefix>param.<name>` into every parameter of `model`; returns the names without a value and the unused values. */
export function loadFixtureWeights(
  w: W,
  model: Module,
  tensors: FixtureTensors,
  prefix = '',
): { missing: string[]; unused: string[] } {
  const missing: string[] = [];
  const names = new Set<string>();
  for (const [name, p] of model.namedParameters()) {
    names.add(name);
    const t = tensors.get(`${prefix}param.${name}`);
    if (!t) {
      missing.push(name);
      continue;
    }
    if (t.shape.join() !== p.shape.join()) throw new Error(`${name}: fixture shape [${t.shape}] vs model [${p.shape}]`);
    w.runtime().write(p.buffer, t.data);
  }
  const unused = [...tensors.keys()].filter(
    (k) => k.startsWith(`${prefix}param.`) && !names.has(k.slice(prefix.length + 6)),
  );
  return { missing, unused };
}

/**
 * Times `steps` full training steps of `model` on one batch (auxiliaryStep when the model has one, losses, backward,
 * AdamW, then predict() when asked), each phase synced and timed. Returns the median of steps 2..n per phase (step 1
 * compiles the pipelines), every step's time, the dispatches per phase, and the first step's terms and shapes.
 */
export async function timeTrainingSteps(
  w: W,
  model: SentimentModel,
  batch: TrainingBatch,
  steps: number,
  opts: { predict?: boolean } = {},
) {
  const rt = w.runtime();
  const opt = new w.AdamW(model.mainParameters(), { lr: 1e-4, weightDecay: 1e-4 });
  const phases: Record<string, number[]> = { forward: [], backward: [], optim: [], step: [] };
  if (model.auxiliaryStep) phases.aux = [];
  if (opts.predict) phases.predict = [];
  const dispatches: Record<string, number> = {};
  let first: { total: number; terms: Record<string, number>; aux: Record<string, number>; predShape: number[] } | null =
    null;
  for (let s = 0; s < steps; s++) {
    const out = await w.tidyAsync(async () => {
      await rt.sync();
      const t0 = performance.now();
      let t = t0;
      let d = rt.stats().dispatches;
      const lap = async (name: string) => {
        await rt.sync();
        const now = performance.now();
        phases[name].push(now - t);
        dispatches[name] = rt.stats().dispatches - d;
        t = now;
        d = rt.stats().dispatches;
      };
      const cache: StepCache = {};
      const aux = model.auxiliaryStep?.(batch, cache) ?? {};
      if (model.auxiliaryStep) await lap('aux');
      opt.zeroGrad();
      const { total, terms, pred } = model.losses(batch, cache);
      await lap('forward');
      total.backward();
      await lap('backward');
      opt.step();
      await lap('optim');
      phases.step.push(performance.now() - t0);
      if (opts.predict) {
        model.predict(batch.corrupted);
        await lap('predict');
      }
      if (s > 0) return null;
      const values = async (xs: Record<string, Tensor>) =>
        Object.fromEntries(await Promise.all(Object.entries(xs).map(async ([k, v]) => [k, await v.item()] as const)));
      return {
        total: await total.item(),
        terms: await values(terms),
        aux: await values(aux),
        predShape: [...pred.shape],
      };
    });
    if (s === 0) first = out;
  }
  opt.dispose();
  const median = (xs: number[]) => {
    const v = xs.slice(1).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  return {
    ...first!,
    dispatches,
    median: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)])),
    steps: phases.step,
  };
}

/** Runs `f` in a tidy() and reports whether it threw, with the error's name and message and the dispatches it made. */
export async function tryBeforeGpu(w: W, f: () => unknown) {
  const rt = w.runtime();
  await rt.sync();
  const d0 = rt.stats().dispatches;
  try {
    w.tidy(() => {
      f();
    });
    return { threw: false };
  } catch (e) {
    const err = e as Error;
    return { threw: true, name: err.name, message: err.message, dispatches: rt.stats().dispatches - d0 };
  }
}

/**
 * The bad inputs every model must refuse with a WebgradError before any GPU work: wrong ranks, widths, lengths and
 * batch sizes, a text mask of the wrong length, a non-tensor, bad labels, a complete view that does not match. Every
 * tensor is made here, before any case runs, so a dispatch counted while one runs is the model's. Also returns the
 * good batch and the bad tensors for model-specific cases, and dispose() for all of it.
 */
export function badInputCases(w: W, model: SentimentModel, dims: DatasetDims, B: number, seed: number) {
  const T = dims.text.len;
  const made: Tensor[] = [];
  const z = (shape: number[]) => {
    const t = w.zeros(shape).keep();
    made.push(t);
    return t;
  };
  const x = inputs(w, dims, B, seed);
  const good = randomBatch(w, dims, B, seed);
  const bigger = inputs(w, dims, B + 1, seed);
  const bad = {
    textRank2: z([B, T * dims.text.dim]),
    textWide: z([B, T, dims.text.dim + 1]),
    textNarrow: z([B, T, 2]),
    audioShort: z([B, dims.audio.len - 1, dims.audio.dim]),
    vision4: z([B, 1, dims.vision.len, dims.vision.dim]),
    audioBatch: z([B + 1, dims.audio.len, dims.audio.dim]),
    dropped: z([B, T + 1]),
    labels1: z([B]),
    labelsB: z([B + 1, 1]),
  };
  const cases: Record<string, () => unknown> = {
    textRank2: () => model.predict({ ...x, text: bad.textRank2 }),
    textWrongDim: () => model.predict({ ...x, text: bad.textWide }),
    audioWrongLen: () => model.predict({ ...x, audio: bad.audioShort }),
    visionRank4: () => model.predict({ ...x, vision: bad.vision4 }),
    batchMismatch: () => model.predict({ ...x, audio: bad.audioBatch }),
    textDroppedShape: () => model.predict({ ...x, textDropped: bad.dropped }),
    notATensor: () => model.predict({ ...x, vision: [1, 2, 3] as unknown as Tensor }),
    labelsShape: () => model.losses({ ...good, labels: bad.labels1 }),
    labelsBatch: () => model.losses({ ...good, labels: bad.labelsB }),
    completeBatch: () => model.losses({ ...good, complete: bigger }),
    completeDims: () => model.losses({ ...good, complete: { ...good.complete, text: bad.textNarrow } }),
  };
  const dispose = () => {
    for (const t of made) t.dispose();
    disposeInputs(x);
    disposeInputs(bigger);
    disposeBatch(good);
  };
  return { cases, good, bad, dispose };
}

/**
 * `steps` training steps in tidy() on one random batch (auxiliaryStep when the model has one, losses, backward, AdamW,
 * then predict() when asked): the loss and memory counters after every step, and the live buffers left once model,
 * optimizer and batch are disposed, counted from before the model was made.
 */
export async function memoryOverSteps(
  w: W,
  make: () => SentimentModel,
  dims: DatasetDims,
  { B, steps, seed, lr, predict = false }: { B: number; steps: number; seed: number; lr: number; predict?: boolean },
) {
  const rt = w.runtime();
  await rt.sync();
  const live0 = rt.stats().liveBuffers;
  const model = make();
  const opt = new w.AdamW(model.mainParameters(), { lr, weightDecay: 1e-4 });
  const batch = randomBatch(w, dims, B, seed);
  const samples: {
    step: number;
    loss: number;
    liveBuffers: number;
    liveBytes: number;
    allocatedBuffers: number;
    allocatedBytes: number;
  }[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = await w.tidyAsync(async () => {
      const cache: StepCache = {};
      model.auxiliaryStep?.(batch, cache);
      opt.zeroGrad();
      const { total } = model.losses(batch, cache);
      total.backward();
      opt.step();
      return total.item();
    });
    if (predict) model.predict(batch.corrupted).dispose();
    await rt.sync();
    const st = rt.stats();
    samples.push({
      step: s,
      loss,
      liveBuffers: st.liveBuffers,
      liveBytes: st.liveBytes,
      allocatedBuffers: st.allocatedBuffers,
      allocatedBytes: st.allocatedBytes,
    });
  }
  opt.dispose();
  model.dispose();
  disposeBatch(batch);
  await rt.sync();
  return { samples, leftover: rt.stats().liveBuffers - live0 };
}

/** losses() and backward() on `batch` (inside the caller's tidy): the total, the terms, ŷ and every main gradient. */
export async function lossesAndGrads(model: SentimentModel, batch: TrainingBatch) {
  const { total, terms, pred } = model.losses(batch);
  total.backward();
  const termVals: Record<string, number> = {};
  for (const [k, v] of Object.entries(terms)) termVals[k] = await v.item();
  const grads: Record<string, number[] | null> = {};
  for (const [n, p] of model.mainParameters()) grads[n] = p.grad ? Array.from(await p.grad.toArray()) : null;
  return { total: await total.item(), terms: termVals, pred: Array.from(await pred.toArray()), grads };
}
