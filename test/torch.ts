// The PyTorch fixtures (test/fixtures/torch/*.json, made by test/fixtures/make_torch_fixtures.py): their format, a
// loader, and the error measure test/torch-parity.test.ts applies to them. Reading them needs no torch.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { OpName } from './ops/pages';

export interface TorchCase {
  name: string;
  /** The op's name in the test page's tables (test/ops/*.page.ts, test/page/ops-nn.ts). */
  op: OpName;
  /** The op's attrs, as JSON: the file's author checked them against the op, the compiler cannot. */
  attrs?: Record<string, unknown>;
  inputs: { shape: number[]; data: number[]; grad?: boolean }[];
  /** w in L = Σ w ⊙ op(x). */
  weights: number[];
  /** torch's float64 forward output. */
  out: { shape: number[]; data: number[] };
  /** torch's float64 dL/dx per input (null where the input takes no gradient). */
  grads: (number[] | null)[];
}

export interface TorchFamily {
  generator: string;
  torch: string;
  family: string;
  cases: TorchCase[];
}

export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/torch/', import.meta.url));

/** Every fixture file, sorted by family name. */
export function loadTorchFixtures(): TorchFamily[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(FIXTURE_DIR, f), 'utf8')) as TorchFamily);
}

/**
 * The error measure of the parity checks: max |got − want| over the tensor, divided by max(max |want|, 1e-6).
 * Per tensor rather than per element, so an element that is small only because of cancellation (a gradient summed
 * over many outputs, a near-zero output) is judged on the tensor's scale and not on its own.
 */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): { err: number; at: number } {
  if (got.length !== want.length) return { err: Infinity, at: -1 };
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= worst)) {
      // also catches NaN, which no comparison with a number passes
      worst = Number.isNaN(d) ? Infinity : d;
      at = i;
      if (worst === Infinity) break;
    }
  }
  return { err: worst / Math.max(scale, 1e-6), at };
}

/**
 * The engine-side variants each case runs under: the same maths must hold on every code path the page can select.
 * Shape ops also run with their fast paths (vec4, buffer copies, views) off; matmul runs on every kernel rung.
 */
export function variants(c: TorchCase): { label: string; attrs: Record<string, unknown> | undefined }[] {
  const base = [{ label: '', attrs: c.attrs }];
  if (['transpose', 'permute', 'slice', 'concat', 'stack', 'gatherRows'].includes(c.op)) {
    return [...base, { label: ' (fast paths off)', attrs: { ...c.attrs, fast: false } }];
  }
  if (c.op === 'matmul') {
    return ['tiled', 'naive'].map((kernel) => ({ label: ` (${kernel})`, attrs: { ...c.attrs, kernel } }));
  }
  return base;
}
