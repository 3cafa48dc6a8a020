// Fuzzing both file readers (safetensors, MMSA pickle) with mutations of the committed fixtures, in Node (the readers
// are platform-neutral). Every outcome must be a typed error (CheckpointError, DataError) or a load whose results are
// consistent — never another exception, a case that runs long, or an allocation far beyond the file's size.
//
// Each run mutates for a fixed time budget; case i of a run is derived from the run's seed (WEBGRAD_SEED) and i alone,
// so a failure names the seed and the case to replay it. The counts of outcomes are printed.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CheckpointError, readSafetensors } from '../src/engine/io/safetensors';
import { DataError, parseMmsaPickle, SPLITS, type MmsaDataset } from '../src/app/data/index';
import { RUN_SEED, rngFor, type Rng } from './rng';

const FIX = path.join(__dirname, 'fixtures');
const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(FIX, name)));

/** The most a single case may take (a hang shows as a slow case; a GC pause stays far below it). */
const SLOW_CASE_MS = 2000;
/** External (ArrayBuffer) memory a case may leave allocated beyond the baseline. */
const MAX_EXTRA_BYTES = 256 << 20;

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 1 << 16, 1 << 24];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One random mutation of `src` (a copy); `donors` lend ranges to splice in. */
function mutate(src: Uint8Array, rng: Rng, donors: Uint8Array[]): Uint8Array {
  const n = src.length;
  if (n < 8) return src.slice(); // cut short by an earlier mutation: nothing left worth mutating
  const at = () => rng.int(n);
  switch (rng.int(8)) {
    case 0: {
      // flip a few bits
      const b = src.slice();
      for (let k = 1 + rng.int(4); k > 0; k--) b[at()] ^= 1 << rng.int(8);
      return b;
    }
    case 1: {
      // a few bytes set to boundary values
      const b = src.slice();
      for (let k = 1 + rng.int(4); k > 0; k--) b[at()] = INTERESTING[rng.int(INTERESTING.length)];
      return b;
    }
    case 2: {
      // a little-endian 32-bit word set to a boundary value (lengths, counts, offsets)
      const b = src.slice();
      const i = Math.min(at(), n - 4);
      new DataView(b.buffer).setUint32(i, INTERESTING32[rng.int(INTERESTING32.length)], true);
      return b;
    }
    case 3: // truncated
      return src.slice(0, at());
    case 4: {
      // a range deleted
      const i = at();
      return concat(src.subarray(0, i), src.subarray(i + 1 + rng.int(16)));
    }
    case 5: {
      // a range duplicated in place
      const i = at();
      const len = 1 + rng.int(16);
      return concat(src.subarray(0, i + len), src.subarray(i, i + len), src.subarray(i + len));
    }
    case 6: {
      // a range of another file (or of this one) spliced in: opcodes and values out of their context
      const donor = donors[rng.int(donors.length)];
      const from = rng.int(donor.length);
      const i = at();
      return concat(src.subarray(0, i), donor.subarray(from, from + 1 + rng.int(64)), src.subarray(i + rng.int(64)));
    }
    default: {
      // a number near the start (where the safetensors JSON header is) replaced by an extreme one
      const head = Math.min(n, 4096);
      const text = String.fromCharCode(...src.subarray(0, head));
      const digits = [...text.matchAll(/\d+/g)];
      if (!digits.length) return src.slice();
      const m = digits[rng.int(digits.length)];
      const repl = ['0', '-1', '1e20', '9007199254740993', '4294967296', String(Number(m[0]) + 1), '0.5'][rng.int(7)];
      const edited = text.slice(0, m.index) + repl + text.slice(m.index! + m[0].length);
      return concat(
        Uint8Array.from(edited, (c) => c.charCodeAt(0)),
        src.subarray(head),
      );
    }
  }
}

interface Tally {
  cases: number;
  outcomes: Record<string, number>;
  failures: string[];
  slowest: number;
}

/**
 * Runs mutated copies of the fixtures through `read` for the time budget. `read` returns normally for a load it
 * checked, or throws; `typed` says which errors are the reader's own.
 */
function fuzz(
  what: string,
  budgetMs: number,
  fixtures: Uint8Array[],
  read: (b: Uint8Array) => void,
  typed: (e: unknown) => boolean,
): Tally {
  const t: Tally = { cases: 0, outcomes: {}, failures: [], slowest: 0 };
  // pickleparser warns on console for each 8-byte length beyond 2^53 that a mutation makes; the outcome is what counts.
  const quiet = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const baseline = process.memoryUsage().arrayBuffers;
  const end = performance.now() + budgetMs;
  for (let i = 0; performance.now() < end; i++) {
    const rng = rngFor(`fuzz ${what} ${i}`);
    let bytes = fixtures[rng.int(fixtures.length)];
    for (let k = 1 + rng.int(3); k > 0; k--) bytes = mutate(bytes, rng, fixtures); // up to three mutations stacked
    const t0 = performance.now();
    let outcome: string;
    try {
      read(bytes);
      outcome = 'loaded';
    } catch (e) {
      outcome = typed(e) ? (e as Error).name : `UNTYPED ${(e as Error)?.name}`;
      if (!typed(e))
        t.failures.push(
          `case ${i}: ${String((e as Error)?.stack ?? e)
            .split('\n')
            .slice(0, 3)
            .join(' | ')}`,
        );
    }
    const ms = performance.now() - t0;
    t.slowest = Math.max(t.slowest, ms);
    if (ms > SLOW_CASE_MS) t.failures.push(`case ${i}: took ${ms.toFixed(0)} ms`);
    const extra = process.memoryUsage().arrayBuffers - baseline;
    if (extra > MAX_EXTRA_BYTES)
      t.failures.push(`case ${i}: ${(extra / 2 ** 20).toFixed(0)} MiB of ArrayBuffers allocated`);
    t.outcomes[outcome] = (t.outcomes[outcome] ?? 0) + 1;
    t.cases++;
    if (t.failures.length >= 5) break;
  }
  quiet.mockRestore();
  console.log(
    `fuzz ${what} (WEBGRAD_SEED=${RUN_SEED}): ${t.cases} cases in ${budgetMs / 1000} s; outcomes ${JSON.stringify(t.outcomes)}; ` +
      `slowest case ${t.slowest.toFixed(1)} ms`,
  );
  return t;
}

/** A loaded safetensors file is consistent: every tensor has as many values as its shape says. */
function checkSafetensors(bytes: Uint8Array): void {
  const { tensors } = readSafetensors(bytes);
  let values = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`${name}: ${t.data.length} values for shape [${t.shape}]`);
    values += n;
  }
  if (values > bytes.length) throw new Error(`${values} values from a ${bytes.length}-byte file`);
}

/** A loaded MMSA dataset is consistent: every array has the length its split's n and dims imply, lengths in range. */
function checkMmsa(bytes: Uint8Array): void {
  const ds: MmsaDataset = parseMmsaPickle(bytes, { name: 'fuzzed.pkl' });
  const { text: t, audio: a, vision: v } = ds.dims;
  for (const d of [t, a, v])
    if (!(Number.isSafeInteger(d.len) && d.len > 0 && Number.isSafeInteger(d.dim) && d.dim > 0))
      throw new Error(`bad dims ${JSON.stringify(ds.dims)}`);
  for (const split of SPLITS) {
    const s = ds.split(split);
    const want: [string, number, number][] = [
      ['text', s.text.length, s.n * t.len * t.dim],
      ['audio', s.audio.length, s.n * a.len * a.dim],
      ['vision', s.vision.length, s.n * v.len * v.dim],
      ['textBert', s.textBert.length, s.n * 3 * t.len],
      ['textMask', s.textMask.length, s.n * t.len],
      ['labels', s.labels.length, s.n],
      ['ids', s.ids.length, s.n],
      ['audioLengths', s.audioLengths.length, s.n],
      ['visionLengths', s.visionLengths.length, s.n],
    ];
    for (const [k, have, n] of want) if (have !== n) throw new Error(`${split}.${k}: ${have} values, expected ${n}`);
    if (!s.labels.every(Number.isFinite)) throw new Error(`${split}: non-finite label`);
    if (!s.audioLengths.every((x) => x >= 0 && x <= a.len) || !s.visionLengths.every((x) => x >= 0 && x <= v.len))
      throw new Error(`${split}: length out of range`);
    if (!s.text.every(Number.isFinite) || !s.audio.every(Number.isFinite) || !s.vision.every(Number.isFinite))
      throw new Error(`${split}: non-finite feature`);
    ds.batch(split, [0, s.n - 1]); // the arrays batch without a RangeError
  }
}

describe('fuzzing the file readers with mutated fixtures', () => {
  it('safetensors: every mutation is a CheckpointError or a consistent load', () => {
    const files = ['f32.safetensors', 'dtypes.safetensors', 'derl_tiny.safetensors'].map(fixture);
    const t = fuzz('safetensors', 3000, files, checkSafetensors, (e) => e instanceof CheckpointError);
    expect(t.failures).toEqual([]);
    expect(t.cases).toBeGreaterThan(300); // about 2000 on a 2-core machine
    expect(Object.keys(t.outcomes).length).toBeGreaterThan(1); // both loads and errors happened
  });

  it('MMSA pickle: every mutation is a DataError or a consistent load', () => {
    const files = ['mmsa_tiny.pkl', 'mmsa_tiny_p2.pkl', 'mmsa_tiny_p5.pkl', 'mmsa_badshape.pkl'].map(fixture);
    const t = fuzz(
      'mmsa',
      6000,
      files,
      checkMmsa,
      (e) => e instanceof DataError && (e as DataError).file === 'fuzzed.pkl',
    );
    expect(t.failures).toEqual([]);
    expect(t.cases).toBeGreaterThan(300); // about 1500 on a 2-core machine (a pickle takes a few ms to read)
    expect(Object.keys(t.outcomes).length).toBeGreaterThan(1);
  });
});
