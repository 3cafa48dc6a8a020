// Checkpoints: a module's parameters and, optionally, its optimizer's state in one safetensors file.
//
// Keys. Parameter `<name>` (Module.namedParameters(), e.g. `layers.0.weight`), so a PyTorch state_dict with the same
// names loads directly. Optimizer state tensor `<key>` of parameter `<name>` is `optim.<name>.<key>` (AdamW: expAvg,
// expAvgSq). A model may have auxiliary optimizers of its own (DAR's CLUB estimators have their Adam): the state of the
// one named `<aux>` is stored the same way under `optim@<aux>.<name>.<key>`. Metadata (strings, as the format requires):
//   webgrad.format           "webgrad-checkpoint/1"
//   webgrad.optimizer        JSON {kind, hyper: {lr, betas, ...}, steps: {<name>: step count}}   (only with an optimizer)
//   webgrad.optimizer@<aux>  the same for auxiliary optimizer <aux>
//   webgrad.meta             JSON of the caller's `meta` (epoch, config, best loss, ...)
//
// Loading validates everything before it writes anything, so a checkpoint that does not fit leaves the model and the
// optimizer untouched. Values are uploaded into the existing parameter and state buffers, so every reference to them
// (an optimizer's parameter list, a module shared between models) stays valid.

import { runtime } from '../../engine/engine';
import { Tensor } from '../../engine/tensor';
import type { Optimizer, ParamState } from '../../engine/optim/optimizer';
import { isOptimizerKey } from './checkpoint-keys';
import {
  CheckpointError,
  describeNonFinite,
  entryToFloat32,
  parseSafetensors,
  writeSafetensors,
  type F32Tensor,
} from '../../engine/io/safetensors';

export const CHECKPOINT_FORMAT = 'webgrad-checkpoint/1';
const OPTIM_PREFIX = 'optim.';

/** Anything with named parameters (a Module). */
export interface HasNamedParameters {
  namedParameters(): [string, Tensor][];
}

export interface LoadOptions {
  /**
   * Strict (default): every parameter of the module must be in the file and nothing else, and the optimizer's kind
   * and hyperparameters must match. Non-strict: load what matches by name, report the rest. Shape mismatches are an
   * error either way.
   */
  strict?: boolean;
  /** Auxiliary optimizers by name, restored from `optim@<name>.*` (see the top of this file). */
  auxiliary?: Record<string, Optimizer>;
  /**
   * Load NaN / ±Infinity values (default false: a CheckpointError 'nonfinite' naming the tensor and index). A model
   * with one NaN weight still predicts plausible-looking numbers, so such a file is refused unless asked for.
   */
  allowNonFinite?: boolean;
}

export interface SaveOptions {
  /** Auxiliary optimizers by name, saved under `optim@<name>.*`. */
  auxiliary?: Record<string, Optimizer | null>;
}

/** Where one optimizer's state lives in a file: tensor-name prefix and metadata key. */
interface OptimizerSlot {
  optimizer: Optimizer;
  prefix: string;
  mdKey: string;
}

export { isOptimizerKey } from './checkpoint-keys';

function slots(main: Optimizer | null | undefined, auxiliary: Record<string, Optimizer | null> = {}): OptimizerSlot[] {
  const out: OptimizerSlot[] = main ? [{ optimizer: main, prefix: OPTIM_PREFIX, mdKey: 'webgrad.optimizer' }] : [];
  for (const [aux, optimizer] of Object.entries(auxiliary)) {
    if (!/^[A-Za-z0-9_-]+$/.test(aux))
      throw new CheckpointError(
        'tensor',
        `auxiliary optimizer name "${aux}" must be [A-Za-z0-9_-]+`,
        undefined,
        'checkpoint',
      );
    if (optimizer) out.push({ optimizer, prefix: `optim@${aux}.`, mdKey: `webgrad.optimizer@${aux}` });
  }
  return out;
}

export interface LoadResult {
  /** The caller's `meta` as saved. */
  meta: Record<string, unknown>;
  /** The raw "__metadata__" map. */
  metadata: Record<string, string>;
  /** Module parameters the file did not have (non-strict loads only; strict ones throw). */
  missing: string[];
  /** Tensors in the file that the module / optimizer has no place for (non-strict loads only). */
  unexpected: string[];
}

interface OptimizerRecord {
  kind: string;
  hyper: Record<string, unknown>;
  steps: Record<string, number>;
}

/** The optimizer's hyperparameters: its own number, boolean and number-array fields (lr, betas, eps, ...). */
function hyperparameters(opt: Optimizer): Record<string, unknown> {
  const out: Record<string, unknown> = { lr: opt.learningRate };
  for (const [k, v] of Object.entries(opt)) {
    if (k === 'lr' || k === 'kind' || k === 'params' || k === 'state') continue;
    const ok =
      typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'));
    if (ok) out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

/**
 * Serialises the module's parameters (and the optimizer's state and hyperparameters) into safetensors bytes. Reads
 * every tensor back from the GPU, so it waits for all work recorded so far.
 */
export async function saveCheckpoint(
  module: HasNamedParameters,
  optimizer?: Optimizer | null,
  meta: Record<string, unknown> = {},
  opts: SaveOptions = {},
): Promise<Uint8Array> {
  const reads: [string, readonly number[], Tensor][] = [];
  const params = module.namedParameters();
  for (const [name, p] of params) {
    if (isOptimizerKey(name))
      throw new CheckpointError(
        'tensor',
        `parameter name "${name}" collides with the optimizer-state prefix`,
        undefined,
        'saveCheckpoint',
      );
    reads.push([name, p.shape, p]);
  }
  const metadata: Record<string, string> = {
    'webgrad.format': CHECKPOINT_FORMAT,
    'webgrad.meta': JSON.stringify(meta),
  };
  for (const { optimizer: opt, prefix, mdKey } of slots(optimizer, opts.auxiliary)) {
    const rec: OptimizerRecord = { kind: opt.kind, hyper: hyperparameters(opt), steps: {} };
    for (const { name, param } of opt.params) {
      const st = opt.state[name];
      if (!st) continue; // never stepped: no state yet
      rec.steps[name] = st.step;
      for (const [key, v] of Object.entries(st)) {
        if (!(v instanceof Tensor)) continue;
        reads.push([`${prefix}${name}.${key}`, param.shape, v]);
      }
    }
    metadata[mdKey] = JSON.stringify(rec);
  }
  return writeSafetensors(await readAll(reads), metadata);
}

/** Bytes of read back in flight at once: a few round trips for a small model, bounded staging memory for BERT-base. */
const READ_CHUNK_BYTES = 32 << 20;

/**
 * The tensors' values, in order. The read backs of a chunk are all started before any is awaited: one wait per
 * chunk, not one round trip per tensor (hundreds of them in a model with its AdamW state).
 */
async function readAll(reads: [string, readonly number[], Tensor][]): Promise<[string, F32Tensor][]> {
  const out: [string, F32Tensor][] = [];
  for (let i = 0; i < reads.length;) {
    let bytes = 0;
    let j = i;
    while (j < reads.length && (j === i || bytes + 4 * reads[j][2].size <= READ_CHUNK_BYTES))
      bytes += 4 * reads[j++][2].size;
    const chunk = reads.slice(i, j);
    const data = await Promise.all(chunk.map(([, , t]) => t.toArray()));
    chunk.forEach(([name, shape], k) => out.push([name, { shape, data: data[k] }]));
    i = j;
  }
  return out;
}

/**
 * Loads a checkpoint into `module` (and `optimizer`'s state, learning rate and step counts). Throws CheckpointError
 * listing every missing, unexpected or mis-shaped tensor before changing anything.
 */
export function loadCheckpoint(
  bytes: Uint8Array | ArrayBuffer,
  module: HasNamedParameters,
  optimizer?: Optimizer | null,
  opts: LoadOptions = {},
): LoadResult {
  const strict = opts.strict ?? true;
  const file = parseSafetensors(bytes);
  const md = file.metadata;
  const problems: string[] = [];
  const fail = (msg: string, list = problems) => new CheckpointError('mismatch', msg, list, 'loadCheckpoint');
  const parseJson = (key: string): unknown => {
    try {
      return JSON.parse(md[key]);
    } catch {
      throw fail(`metadata "${key}" is not valid JSON`, [`metadata "${key}" is not valid JSON`]);
    }
  };
  const meta = (md['webgrad.meta'] !== undefined ? parseJson('webgrad.meta') : {}) as Record<string, unknown>;

  // 1. Parameters.
  const writes: { name: string; target: Tensor; data: Float32Array }[] = [];
  const missing: string[] = [];
  const unexpected: string[] = [];
  const paramNames = new Set<string>();
  for (const [name, p] of module.namedParameters()) {
    paramNames.add(name);
    const e = file.tensors.get(name);
    if (!e) {
      missing.push(name);
      continue;
    }
    if (!sameShape(e.shape, p.shape)) {
      problems.push(
        `shape mismatch for "${name}": file has [${e.shape.join(', ')}], module has [${p.shape.join(', ')}]`,
      );
      continue;
    }
    writes.push({ name, target: p, data: entryToFloat32(e, name) });
  }
  for (const name of file.tensors.keys()) {
    if (!isOptimizerKey(name) && !paramNames.has(name)) unexpected.push(name);
  }

  // 2. Optimizer state, per optimizer (the main one and any auxiliary ones): group the file's tensors under the
  //    optimizer's prefix by parameter, check them against what the optimizer keeps.
  interface SlotLoad {
    slot: OptimizerSlot;
    rec: OptimizerRecord | null;
    stateFromFile: Map<string, Map<string, Float32Array>>;
  }
  const loads: SlotLoad[] = [];
  const claimed = new Set<string>();
  for (const slot of slots(optimizer, opts.auxiliary)) {
    const { optimizer: opt, prefix, mdKey } = slot;
    const which = prefix === OPTIM_PREFIX ? '' : ` (${prefix.slice(0, -1)})`;
    const load: SlotLoad = { slot, rec: null, stateFromFile: new Map() };
    loads.push(load);
    if (md[mdKey] === undefined) {
      if (strict) problems.push(`the file has no optimizer state ("${mdKey}" metadata), but an optimizer was given`);
      continue;
    }
    const rec = (load.rec = parseJson(mdKey) as OptimizerRecord);
    if (strict) {
      if (rec.kind !== opt.kind)
        problems.push(`optimizer kind${which}: file has ${rec.kind}, optimizer is ${opt.kind}`);
      const mine = hyperparameters(opt);
      for (const k of new Set([...Object.keys(mine), ...Object.keys(rec.hyper)])) {
        if (k === 'lr') continue; // restored from the file, not required to match
        if (JSON.stringify(mine[k]) !== JSON.stringify(rec.hyper[k])) {
          problems.push(
            `optimizer hyperparameter ${k}${which}: file has ${JSON.stringify(rec.hyper[k])}, optimizer has ${JSON.stringify(mine[k])}`,
          );
        }
      }
    }
    const byName = new Map(opt.params.map((x) => [x.name, x.param] as const));
    for (const [pname, step] of Object.entries(rec.steps)) {
      const param = byName.get(pname);
      if (!param) {
        unexpected.push(`${prefix}${pname}.* (optimizer state of a parameter the optimizer does not have)`);
        continue;
      }
      if (!Number.isSafeInteger(step) || step < 0) {
        problems.push(`optimizer step count of "${prefix}${pname}" is ${JSON.stringify(step)}`);
        continue;
      }
      // Collect this parameter's state tensors from the file; whether they are the ones the optimizer keeps is
      // checked in step 3, which may need to allocate.
      const pre = `${prefix}${pname}.`;
      const found = new Map<string, Float32Array>();
      for (const [key, e] of file.tensors) {
        if (!key.startsWith(pre) || key.slice(pre.length).includes('.')) continue;
        claimed.add(key);
        if (!sameShape(e.shape, param.shape)) {
          problems.push(
            `shape mismatch for "${key}": file has [${e.shape.join(', ')}], parameter has [${param.shape.join(', ')}]`,
          );
          continue;
        }
        found.set(key.slice(pre.length), entryToFloat32(e, key));
      }
      load.stateFromFile.set(pname, found);
    }
  }
  for (const name of file.tensors.keys()) {
    if (isOptimizerKey(name) && !claimed.has(name)) unexpected.push(name);
  }

  if (strict) {
    for (const m of missing) problems.push(`missing from the file: "${m}"`);
    for (const u of unexpected) problems.push(`unexpected in the file: "${u}"`);
  }
  if (problems.length)
    throw fail(
      `checkpoint does not fit (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems.join('; ')}`,
    );
  if (!opts.allowNonFinite) {
    // Every tensor about to be written, by its name in the file: the parameters, then each optimizer's state.
    const named: [string, Float32Array][] = writes.map((w) => [w.name, w.data]);
    for (const { slot, stateFromFile } of loads) {
      for (const [pname, found] of stateFromFile)
        for (const [key, data] of found) named.push([`${slot.prefix}${pname}.${key}`, data]);
    }
    const bad = named.map(([name, data]) => describeNonFinite(name, data)).filter((d): d is string => d !== null);
    if (bad.length) {
      throw new CheckpointError(
        'nonfinite',
        `the checkpoint holds non-finite values: ${bad.join('; ')} (pass allowNonFinite to load them anyway)`,
        bad,
        'loadCheckpoint',
      );
    }
  }

  // 3. Which state tensors each optimizer expects for each parameter: the keys of its current state, else those a
  //    fresh state would have. initState() allocates, so it is only called once everything else has passed.
  const newStates: [Optimizer, string, ParamState][] = [];
  const disposeNew = () => {
    for (const [opt, name, st] of newStates)
      if (opt.state[name] !== st) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
  };
  for (const {
    slot: { optimizer: opt },
    rec,
    stateFromFile,
  } of loads) {
    if (!rec) continue;
    const init = (p: Tensor) => (opt as unknown as { initState(p: Tensor): Record<string, Tensor> }).initState(p);
    for (const { name, param } of opt.params) {
      const found = stateFromFile.get(name);
      if (!found) continue;
      const existing = opt.state[name];
      const st: ParamState = existing ?? { step: 0, ...init(param) };
      const want = Object.keys(st).filter((k) => st[k] instanceof Tensor);
      const have = [...found.keys()];
      const lacking = want.filter((k) => !found.has(k));
      const extra = have.filter((k) => !want.includes(k));
      if (lacking.length || extra.length) {
        if (!existing) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
        disposeNew();
        const msg = `optimizer state of "${name}": ${opt.kind} keeps [${want.join(', ')}], the file has [${have.join(', ')}]`;
        throw fail(`checkpoint does not fit: ${msg}`, [msg]);
      }
      newStates.push([opt, name, st]);
      st.step = rec.steps[name];
      for (const k of want) writes.push({ name: `${k} of ${name}`, target: st[k] as Tensor, data: found.get(k)! });
    }
  }

  // 4. Everything fits: write.
  const rt = runtime();
  for (const { target, data } of writes) rt.write(target.buffer, data);
  for (const {
    slot: { optimizer: opt },
    rec,
    stateFromFile,
  } of loads) {
    if (!rec) continue;
    // Parameters without state in the file had never been stepped when it was saved: they start fresh again.
    for (const { name } of opt.params) {
      if (stateFromFile.has(name)) continue;
      const st = opt.state[name];
      if (st) {
        for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
        delete opt.state[name];
      }
    }
    const lr = rec.hyper.lr;
    if (typeof lr === 'number') opt.setLr(lr);
  }
  for (const [opt, name, st] of newStates) opt.state[name] = st;
  return { meta, metadata: md, missing, unexpected };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
