// safetensors (src/engine/io/safetensors.ts): the byte format against files written by Python (test/fixtures/
// make_safetensors_fixture.py, read back there by torch), strict validation of broken files; checkpoints
// (src/app/io/checkpoint.ts) round-tripped on the GPU in the browser; atomic file writes (src/app/io/atomic.ts).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  entryToFloat32,
  f16ToNumber,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
  type CheckpointErrorCode,
} from '../src/engine/io/safetensors';
import { writeFileAtomic, type AtomicFs } from '../src/app/io/atomic';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';

const fixture = (name: string) => new Uint8Array(fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const num = (v: number | string) =>
  v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number);

/** A file from a header object (or raw header text) and `dataBytes` bytes of data. */
function makeFile(header: unknown, dataBytes: number, headerLen?: bigint): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, headerLen ?? BigInt(h.length), true);
  out.set(h, 8);
  for (let i = 0; i < dataBytes; i++) out[8 + h.length + i] = i;
  return out;
}

function expectError(f: () => unknown, code: CheckpointErrorCode, re: RegExp): void {
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'should throw').toBeInstanceOf(CheckpointError);
  expect((err as CheckpointError).code).toBe(code);
  expect((err as CheckpointError).name).toBe('CheckpointError');
  expect((err as Error).message).toMatch(re);
}

describe('safetensors format vs files written by Python', () => {
  it('reads the F32 fixture: names, shapes, and every value bit-exact (incl. -0, inf, a subnormal, empty tensors)', () => {
    const { tensors, metadata } = readSafetensors(fixture('f32.safetensors'));
    const values = JSON.parse(metadata.values);
    expect(metadata.format).toBe('pt');
    expect([...tensors.keys()].sort()).toEqual(Object.keys(values).sort());
    expect(tensors.get('layers.0.weight')!.shape).toEqual([3, 5]);
    expect(tensors.get('scalar')!.shape).toEqual([]);
    expect(tensors.get('empty')!.shape).toEqual([0, 4]);
    for (const [name, t] of tensors) {
      expect(t.dtype).toBe('F32');
      expect(t.data.length, name).toBe(values[name].length);
      values[name].forEach((v: number | string, i: number) =>
        expect(Object.is(t.data[i], num(v)), `${name}[${i}]`).toBe(true),
      );
    }
  });

  it('writes the same tensors and metadata byte for byte as the Python (reference-layout) writer', () => {
    const bytes = fixture('f32.safetensors');
    const { tensors, metadata } = readSafetensors(bytes);
    // Insertion order shuffled: the writer sorts by name like the reference.
    const shuffled = [...tensors].reverse().map(([k, v]) => [k, { shape: v.shape, data: v.data }] as const);
    const mine = writeSafetensors(shuffled, metadata);
    expect(mine.length).toBe(bytes.length);
    expect(Buffer.from(mine).equals(Buffer.from(bytes))).toBe(true);
    // Header padded with spaces to 8 bytes, data 8-byte aligned.
    const n = Number(new DataView(mine.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(String.fromCharCode(mine[8 + n - 1])).toMatch(/[ }]/);
  });

  it('converts F16, BF16, F64 and I64 (bytes from torch) to float32', () => {
    const { tensors, metadata } = readSafetensors(fixture('dtypes.safetensors'));
    const values = JSON.parse(metadata.values);
    const dtypes = Object.fromEntries([...tensors].map(([k, v]) => [k, v.dtype]));
    expect(dtypes).toEqual({ h: 'F16', bf: 'BF16', d: 'F64', i: 'I64', f: 'F32' });
    for (const [name, t] of tensors) {
      values[name].forEach((v: number | string, i: number) => {
        const want = Math.fround(num(v)); // 1e39 (F64) overflows to inf, as torch's .float() does
        expect(Object.is(t.data[i], want), `${name}[${i}] = ${t.data[i]}, want ${want}`).toBe(true);
      });
    }
    expect(tensors.get('h')!.shape).toEqual([2, 5]);
    expect(f16ToNumber(0x3c00)).toBe(1);
    expect(f16ToNumber(0x0001)).toBe(2 ** -24);
    expect(f16ToNumber(0xfc00)).toBe(-Infinity);
  });

  it('reads from a Uint8Array view at an odd offset, and headers without padding (unaligned data)', () => {
    const bytes = fixture('f32.safetensors');
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 3);
    const a = readSafetensors(bytes);
    const b = readSafetensors(big.subarray(3, 3 + bytes.length));
    for (const [k, t] of a.tensors) expect(Array.from(b.tensors.get(k)!.data)).toEqual(Array.from(t.data));
    // 1-byte-off header: data starts at an address not a multiple of 4.
    const f = makeFile({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 0);
    const data = new Float32Array([1.5, -2.25]);
    const file = new Uint8Array(f.length + 8);
    file.set(f);
    file.set(new Uint8Array(data.buffer), f.length);
    expect((f.length - 8) % 4).not.toBe(0);
    expect(Array.from(readSafetensors(file).tensors.get('x')!.data)).toEqual([1.5, -2.25]);
  });
});

describe('safetensors validation: every broken file is a CheckpointError naming the problem', () => {
  const good = (offs: [number, number], shape = [2]) => ({ dtype: 'F32', shape, data_offsets: offs });

  it('truncated files', () => {
    const bytes = fixture('f32.safetensors');
    expectError(() => parseSafetensors(bytes.subarray(0, 5)), 'truncated', /shorter than the 8-byte header length/);
    expectError(() => parseSafetensors(bytes.subarray(0, 100)), 'truncated', /runs past the end of the 100-byte file/);
    expectError(
      () => parseSafetensors(bytes.subarray(0, bytes.length - 3)),
      'truncated',
      /runs past the end of the data section/,
    );
    expectError(
      () => parseSafetensors(makeFile({ a: good([0, 8]) }, 4)),
      'truncated',
      /tensor "a".*data section \(4 bytes/,
    );
  });

  it('bad headers: huge length, not UTF-8, not JSON, not an object, bad fields', () => {
    expectError(() => parseSafetensors(makeFile({}, 0, 1n << 40n)), 'header', /exceeds/);
    const bad = makeFile('{"a":1}', 0);
    bad[9] = 0xff;
    expectError(() => parseSafetensors(bad), 'header', /not valid UTF-8/);
    expectError(() => parseSafetensors(makeFile('{"a": {"dtype": "F32",', 0)), 'header', /not valid JSON/);
    expectError(() => parseSafetensors(makeFile('[1, 2]', 0)), 'header', /does not start with/);
    expectError(() => parseSafetensors(makeFile({ a: [1] }, 0)), 'header', /tensor "a": entry is not an object/);
    expectError(() => parseSafetensors(makeFile({ a: good([0, 8], [-2]) }, 8)), 'header', /shape \[-2\]/);
    expectError(
      () => parseSafetensors(makeFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, 8)),
      'header',
      /data_offsets \[0\]/,
    );
    expectError(
      () => parseSafetensors(makeFile({ __metadata__: { k: 3 }, a: good([0, 8]) }, 8)),
      'header',
      /"__metadata__" value of "k"/,
    );
  });

  it('unknown dtype, and a known one that cannot become float32', () => {
    expectError(
      () => parseSafetensors(makeFile({ a: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, 8)),
      'dtype',
      /unknown dtype "F33"/,
    );
    const f8 = parseSafetensors(makeFile({ a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2));
    expectError(() => entryToFloat32(f8.tensors.get('a')!, 'a'), 'dtype', /cannot convert F8_E4M3/);
  });

  it('offsets: overlap, gap, wrong size, reversed, trailing bytes', () => {
    expectError(
      () => parseSafetensors(makeFile({ a: good([0, 8]), b: good([4, 12]) }, 12)),
      'offsets',
      /tensor "b".*overlaps/,
    );
    expectError(
      () => parseSafetensors(makeFile({ a: good([0, 8]), b: good([12, 20]) }, 20)),
      'offsets',
      /tensor "b".*gap of 4 bytes/,
    );
    expectError(
      () => parseSafetensors(makeFile({ a: good([0, 8], [3]) }, 8)),
      'offsets',
      /holds 8 bytes, but F32 \[3\] needs 12/,
    );
    expectError(() => parseSafetensors(makeFile({ a: good([8, 0]) }, 8)), 'offsets', /end before begin/);
    expectError(
      () => parseSafetensors(makeFile({ a: good([0, 8]) }, 12)),
      'offsets',
      /cover 8 bytes of data, but the file holds 12/,
    );
    // Listed out of order in the header is fine (the reference sorts by offset too).
    const ok = parseSafetensors(makeFile({ b: good([8, 16]), a: good([0, 8]) }, 16));
    expect([...ok.tensors.keys()]).toEqual(['a', 'b']);
  });

  it('the writer refuses bad tensors', () => {
    const t = { shape: [2, 2], data: new Float32Array(3) };
    expect(() => writeSafetensors({ x: t })).toThrow(/tensor "x": shape \[2, 2\] has 4 elements but data has 3/);
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } })).toThrow(/reserved/);
    expect(() =>
      writeSafetensors([
        ['a', { shape: [1], data: new Float32Array(1) }],
        ['a', { shape: [1], data: new Float32Array(1) }],
      ]),
    ).toThrow(/given twice/);
  });
});

describe('writeFileAtomic', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-atomic-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const strays = (base: string) => fs.readdirSync(dir).filter((f) => f.startsWith(`${base}.tmp-`));

  it('replaces the file, leaving no temporary file', async () => {
    const file = path.join(dir, 'a.bin');
    fs.writeFileSync(file, 'old');
    await writeFileAtomic(file, new TextEncoder().encode('new contents'), { chunkBytes: 3 });
    expect(fs.readFileSync(file, 'utf8')).toBe('new contents');
    expect(strays('a.bin')).toEqual([]);
  });

  it('a failure in the middle of writing leaves the old file intact and removes the temporary file', async () => {
    const file = path.join(dir, 'b.bin');
    fs.writeFileSync(file, 'old checkpoint');
    let writes = 0;
    const real = fs.promises;
    const failing: AtomicFs = {
      open: async (f, flags, mode) => {
        const h = await real.open(f, flags, mode);
        return {
          write: async (buf, off, len, pos) => {
            if (++writes === 2) throw new Error('ENOSPC: no space left on device (injected)');
            return h.write(buf, off, len, pos);
          },
          sync: () => h.sync(),
          close: () => h.close(),
        };
      },
      rename: (a, b) => real.rename(a, b),
      unlink: (f) => real.unlink(f),
    };
    await expect(writeFileAtomic(file, new Uint8Array(100).fill(65), { chunkBytes: 10, fs: failing })).rejects.toThrow(
      /ENOSPC/,
    );
    expect(writes).toBe(2); // it did fail mid-write, after a first chunk had gone to the temporary file
    expect(fs.readFileSync(file, 'utf8')).toBe('old checkpoint');
    expect(strays('b.bin')).toEqual([]);
  });

  it('a failing rename (target is a non-empty directory) leaves the target and no temporary file', async () => {
    const target = path.join(dir, 'c.bin');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, new Uint8Array(8))).rejects.toThrow();
    expect(fs.readFileSync(path.join(target, 'keep'), 'utf8')).toBe('x');
    expect(strays('c.bin')).toEqual([]);
  });

  it('a process killed mid-write leaves the old file intact (only a stray temporary file)', async () => {
    // The writer runs in a child process whose file operations pause after the first chunk; we SIGKILL it there.
    // (The interval keeps the paused child alive: a bare never-settling await would let Node exit on its own.)
    const bundle = path.join(dir, 'atomic.mjs');
    await build({
      entryPoints: [path.resolve('src/app/io/atomic.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'silent',
    });
    const script = path.join(dir, 'child.mjs');
    fs.writeFileSync(
      script,
      `
      import { promises as fsp } from 'node:fs';
      import { writeFileAtomic } from './atomic.mjs';
      let n = 0;
      const pausing = {
        open: async (f, flags, mode) => {
          const h = await fsp.open(f, flags, mode);
          return {
            write: async (b, o, l, p) => {
              if (n++ === 1) { process.stdout.write('mid-write\\n'); setInterval(() => {}, 1 << 30); await new Promise(() => {}); }
              return h.write(b, o, l, p);
            },
            sync: () => h.sync(), close: () => h.close(),
          };
        },
        rename: (a, b) => fsp.rename(a, b), unlink: (f) => fsp.unlink(f),
      };
      await writeFileAtomic(process.argv[2], new Uint8Array(1 << 16).fill(66), { chunkBytes: 4096, fs: pausing });
      process.stdout.write('finished\\n');
    `,
    );
    const file = path.join(dir, 'd.bin');
    fs.writeFileSync(file, 'old checkpoint');
    const child = spawn(process.execPath, [script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const said = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d))));
    expect(said).toMatch(/mid-write/);
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(fs.readFileSync(file, 'utf8')).toBe('old checkpoint');
    const left = strays('d.bin');
    expect(left.length).toBe(1);
    expect(fs.statSync(path.join(dir, left[0])).size).toBe(4096); // the one chunk written before the kill
  });
});

describe('checkpoints on the GPU (browser)', () => {
  let page: TestPage;
  beforeAll(async () => {
    page = await openPage();
  });
  afterAll(() => page?.close());
  const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);

  it('Linear + AdamW: save after 4 steps, load into a fresh pair → identical outputs, state and next step', async () => {
    const steps = 4;
    const r = await run('checkpointRoundTrip', { inF: 17, outF: 3, rows: 9, steps, seed: 5 });
    const L = r.afterLoad;
    expect(r.names).toEqual(['layers.0.weight', 'layers.0.bias']);
    expect(r.paramsBeforeLoad).not.toEqual(L.paramsA); // the load did change B
    expect(L.paramsB).toEqual(L.paramsA);
    expect(L.outB).toEqual(L.outA);
    expect(L.stateB).toEqual(L.stateA);
    expect(L.stateA['layers.0.weight'].step).toBe(steps);
    expect(L.lrB).toBe(0.03);
    expect(r.sameBuffers).toBe(true); // uploaded into the existing buffers, references stay valid
    expect(L.resaved).toEqual(r.bytes); // saving the loaded pair gives the same file
    expect(r.meta).toEqual({ epoch: 7, note: 'round trip' });
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.leaked).toBe(0);
    // One more step on each: still identical, and different from before the step.
    expect(r.afterStep.paramsB).toEqual(r.afterStep.paramsA);
    expect(r.afterStep.stateB).toEqual(r.afterStep.stateA);
    expect(r.afterStep.paramsC).toEqual(r.afterStep.paramsA); // loaded into an optimizer that had no state yet
    expect(r.afterStep.stateC).toEqual(r.afterStep.stateA);
    expect(r.afterStep.paramsA).not.toEqual(L.paramsA);
    expect(r.afterStep.stateA['layers.0.bias'].step).toBe(steps + 1);

    // The file itself, read in Node: parameter names, optimizer keys, metadata.
    const file = readSafetensors(new Uint8Array(r.bytes));
    expect([...file.tensors.keys()].sort()).toEqual([
      'layers.0.bias',
      'layers.0.weight',
      'optim.layers.0.bias.expAvg',
      'optim.layers.0.bias.expAvgSq',
      'optim.layers.0.weight.expAvg',
      'optim.layers.0.weight.expAvgSq',
    ]);
    expect(file.tensors.get('layers.0.weight')!.shape).toEqual([3, 17]);
    expect(Array.from(file.tensors.get('layers.0.weight')!.data)).toEqual(L.paramsA[0]);
    expect(Array.from(file.tensors.get('optim.layers.0.weight.expAvgSq')!.data)).toEqual(
      L.stateA['layers.0.weight'].expAvgSq,
    );
    expect(file.metadata['webgrad.format']).toBe('webgrad-checkpoint/1');
    const optRec = JSON.parse(file.metadata['webgrad.optimizer']);
    expect(optRec.kind).toBe('AdamW');
    expect(optRec.hyper).toMatchObject({ lr: 0.03, betas: [0.8, 0.95], weightDecay: 0.02, eps: 1e-8 });
    expect(optRec.steps).toEqual({ 'layers.0.weight': steps, 'layers.0.bias': steps });
  });

  it('loads that do not fit throw CheckpointError listing every problem and change nothing', async () => {
    const r = await run('checkpointMismatch', { seed: 11 });
    const problems = (x: { problems?: string[] } | null) => x?.problems?.join('\n');
    expect(r.shape).toMatchObject({ name: 'CheckpointError', code: 'mismatch' });
    expect(problems(r.shape)).toMatch(/shape mismatch for "layers.2.weight": file has \[2, 4\], module has \[3, 4\]/);
    expect(problems(r.shape)).toMatch(/shape mismatch for "layers.2.bias"/);
    expect(r.shapeNonStrict?.code).toBe('mismatch'); // shapes must match even when not strict
    expect(r.untouched).toBe(true);

    expect(r.keys?.problems).toEqual(
      expect.arrayContaining([
        'missing from the file: "layers.1.weight"',
        'missing from the file: "layers.1.bias"',
        'shape mismatch for "layers.2.weight": file has [2, 4], module has [2, 2]',
      ]),
    );
    expect(r.keys?.problems?.length).toBe(3);
    expect(r.otherUntouched).toBe(true);

    expect(r.nonStrict).toEqual({
      missing: ['layers.3.weight', 'layers.3.bias'],
      unexpected: ['layers.2.bias', 'layers.2.weight'],
    });
    expect(r.partialLoaded).toBe(true);

    expect(problems(r.kind)).toMatch(/optimizer kind: file has AdamW, optimizer is SGD/);
    expect(problems(r.kindNonStrict)).toMatch(
      /optimizer state of "layers.0.weight": SGD keeps \[momentumBuffer\], the file has \[expAvg, expAvgSq\]/,
    );
    expect(r.m7Untouched).toBe(true);
    expect(problems(r.hyper)).toMatch(/hyperparameter weightDecay: file has 0.01, optimizer has 0.5/);
    expect(problems(r.noOptState)).toMatch(/no optimizer state/);
    expect(problems(r.optWithoutOptimizer)).toMatch(/unexpected in the file: "optim.layers.0.weight.expAvg"/);
    expect(r.truncated).toMatchObject({ name: 'CheckpointError', code: 'truncated' });
    expect(r.clearedState).toEqual({ hadState: 4, after: 0 });
    expect(r.leaked).toBe(0); // failed loads free whatever state they had begun to build
  });
});
