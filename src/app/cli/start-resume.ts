// `npm start`'s output directory and --resume: which checkpoint files continue which seed (checked before the browser
// starts), the directory prepared for the run, and the file of a diverged seed's last good epoch.

import fs from 'node:fs';
import path from 'node:path';
import { removeStaleTemps, writeFileAtomic } from '../io/atomic';
import { modelFileFromCheckpoint } from '../io/model-file';
import { describeNonFinite, entryToFloat32, parseSafetensors } from '../../engine/io/safetensors';
import { OutDirError, prepareOutDir } from '../node/out-dir';
import { canonicalKind, modelSpec } from '../models/catalog';
import { UsageError, type StartOptions } from './start-options';

/** The name of a seed's checkpoint file in the output directory. */
export const ckptName = (kind: CheckpointKind, seed: number) => `${kind}-seed${seed}.safetensors`;
/** best/last: training checkpoints (weights + optimizer state); model: the best one's weights and config only. */
export type CheckpointKind = 'best' | 'last' | 'model';

function readMeta(file: string): Record<string, unknown> {
  let parsed: ReturnType<typeof parseSafetensors>;
  try {
    parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)));
  } catch (e) {
    throw new UsageError(`--resume: ${file} is not a readable checkpoint: ${(e as Error).message}`);
  }
  // Training on from NaN/Inf weights only produces more of them: refuse before the browser starts.
  for (const [name, e] of parsed.tensors) {
    const bad = describeNonFinite(name, entryToFloat32(e, name));
    if (bad)
      throw new UsageError(`--resume: ${file} holds non-finite values: ${bad}; resume from an earlier checkpoint`);
  }
  const md = parsed.metadata;
  try {
    return JSON.parse(md['webgrad.meta'] ?? '{}');
  } catch {
    throw new UsageError(`--resume: ${file} has no valid training metadata`);
  }
}

export interface ResumeEntry {
  /** The checkpoint training continues from. */
  from: string;
  /** The run's best checkpoint so far, when it is another file. */
  best: string | null;
  meta: Record<string, unknown>;
}

/** Options of the command line that a resumed run must share with the checkpoint (the trainer checks them all). */
function resumeMismatches(meta: Record<string, unknown>, o: StartOptions): string[] {
  const saved = (meta.options ?? {}) as Record<string, unknown>;
  const kind = modelSpec(o.model).name;
  const out: string[] = [];
  if (canonicalKind(String(meta.model)) !== kind) out.push(`model: checkpoint ${String(meta.model)}, now ${kind}`);
  const want: Record<string, unknown> = {
    batchSize: o.batchSize,
    lr: o.lr,
    weightDecay: o.weightDecay,
    halfComplete: o.halfComplete,
    missingField: o.missingField,
    trainSubset: o.trainSubset ?? undefined,
  };
  if (o.trainMissingRate !== null) want.trainMissingRate = o.trainMissingRate;
  for (const [k, v] of Object.entries(want)) {
    if (JSON.stringify(saved[k]) !== JSON.stringify(v))
      out.push(`${k}: checkpoint ${JSON.stringify(saved[k])}, now ${JSON.stringify(v)}`);
  }
  return out;
}

/** Which checkpoint files resume which seed: `from` (continue from) and `best` (its best epoch so far). */
export function planResume(resume: string, seeds: number[], opts?: StartOptions): Map<number, ResumeEntry> {
  const plan = new Map<number, ResumeEntry>();
  const add = (seed: number, from: string, best: string | null) => {
    const meta = readMeta(from);
    if (meta.format !== 'webgrad-train/1' || meta.seed !== seed)
      throw new UsageError(`--resume: ${from} is not a training checkpoint of seed ${seed}`);
    const bad = opts ? resumeMismatches(meta, opts) : [];
    if (bad.length) throw new UsageError(`--resume: ${from} was trained with other options (${bad.join('; ')})`);
    plan.set(seed, { from, best, meta });
  };
  const sibling = (dir: string, seed: number, from: string) => {
    const b = path.join(dir, ckptName('best', seed));
    return fs.existsSync(b) && path.resolve(b) !== path.resolve(from) ? b : null;
  };
  if (fs.statSync(resume).isDirectory()) {
    for (const seed of seeds) {
      const last = path.join(resume, ckptName('last', seed));
      if (fs.existsSync(last)) add(seed, last, sibling(resume, seed, last));
    }
    if (!plan.size)
      throw new UsageError(`--resume: ${resume} has no last-seed<seed>.safetensors for seeds ${seeds.join(', ')}`);
    return plan;
  }
  const meta = readMeta(resume);
  const seed = meta.seed as number;
  if (meta.format !== 'webgrad-train/1' || !Number.isInteger(seed))
    throw new UsageError(`--resume: ${resume} is not a training checkpoint of npm start`);
  if (!seeds.includes(seed))
    throw new UsageError(`--resume: ${resume} is seed ${seed}, which is not in --seeds ${seeds.join(',')}`);
  add(seed, resume, sibling(path.dirname(resume), seed, resume));
  return plan;
}

/** The epoch saved in a checkpoint's meta, or null when the file is missing or unreadable. */
function savedEpoch(file: string): number | null {
  try {
    const epoch: unknown = JSON.parse(
      parseSafetensors(new Uint8Array(fs.readFileSync(file))).metadata['webgrad.meta'] ?? '{}',
    ).epoch;
    return typeof epoch === 'number' ? epoch : null;
  } catch {
    return null;
  }
}

/**
 * The file holding a diverged seed's last good epoch: this run's last-seed<seed> checkpoint, or the one it resumed
 * from (a run that diverges before its first checkpoint has written none). Null when neither exists with that epoch.
 */
export function lastGoodFile(
  out: string,
  seed: number,
  epoch: number,
  resume: ReadonlyMap<number, ResumeEntry>,
): string | null {
  const candidates = [path.join(out, ckptName('last', seed)), resume.get(seed)?.from];
  return candidates.find((f): f is string => f !== undefined && savedEpoch(f) === epoch) ?? null;
}

/** --out is checked and created before anything else starts, so a path that cannot hold files fails at once. */
function makeOutDir(out: string): void {
  try {
    prepareOutDir(out);
  } catch (e) {
    if (e instanceof OutDirError) throw new UsageError(`--out ${e.message}`);
    throw e;
  }
}

/**
 * Makes the output directory: a resumed seed's best checkpoint so far is copied in (it is replaced on improvement),
 * and temporary files a killed run left behind are removed (see removeStaleTemps).
 */
export async function prepareOutput(out: string, resumePlan: ReadonlyMap<number, ResumeEntry>): Promise<void> {
  makeOutDir(out);
  for (const [seed, r] of resumePlan) {
    const best = r.best ?? (r.meta.epoch === r.meta.bestEpoch ? r.from : null);
    const dest = path.join(out, ckptName('best', seed));
    if (best && path.resolve(best) !== path.resolve(dest)) {
      const bytes = new Uint8Array(fs.readFileSync(best));
      await writeFileAtomic(dest, bytes);
      await writeFileAtomic(path.join(out, ckptName('model', seed)), modelFileFromCheckpoint(bytes));
    }
  }
  const stale = await removeStaleTemps(out, (n) =>
    /^(best|last|model)-seed-?\d+\.safetensors$|^results\.json$|^report\.html$/.test(n),
  );
  if (stale.length)
    console.log(`removed ${stale.length} temporary file${stale.length > 1 ? 's' : ''} left by a killed run in ${out}`);
}
