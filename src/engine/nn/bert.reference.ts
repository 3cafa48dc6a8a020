// float64 CPU reference of one BERT encoder layer (src/engine/nn/bert.ts, BertLayer), written as plainly as possible
// from the other references: what the bench row (bench/ops/bert.compare.ts) checks every implementation against.

import { attentionRef, linearRef } from '../ops/attention.reference';
import { refLayerNorm } from '../ops/layernorm.reference';
import { normalCdf } from '../ops/elementwise.reference';

/** A BertLayer's parameters by its names (attention.self.query.weight, …), row-major, Linear weights (out, in). */
export type BertLayerParams = Record<string, ArrayLike<number>>;

/** x (B, T, H) → (B, T, H); keep: B·T flags, nonzero = a real token (padded keys are never attended to). */
export function bertLayerRef(
  x: ArrayLike<number>,
  [B, T, H]: readonly number[],
  heads: number,
  intermediate: number,
  p: BertLayerParams,
  keep: ArrayLike<number> | null = null,
  eps = 1e-12,
): Float64Array {
  const rows = B * T;
  const Dh = H / heads;
  const lin = (a: ArrayLike<number>, inF: number, name: string, outF: number) =>
    linearRef(a, rows, inF, p[`${name}.weight`], outF, p[`${name}.bias`]);
  const addLn = (a: Float64Array, residual: ArrayLike<number>, name: string) => {
    for (let i = 0; i < a.length; i++) a[i] += residual[i];
    return refLayerNorm(a, [rows, H], p[`${name}.weight`], p[`${name}.bias`], eps).data;
  };
  const shape = [B, T, heads, Dh];
  const q = lin(x, H, 'attention.self.query', H);
  const k = lin(x, H, 'attention.self.key', H);
  const v = lin(x, H, 'attention.self.value', H);
  const ctx = attentionRef(q, shape, k, v, shape, { keepMask: keep, layout: 'bthd', scale: 1 / Math.sqrt(Dh) }).data;
  const a = addLn(lin(ctx, H, 'attention.output.dense', H), x, 'attention.output.LayerNorm');
  const h = lin(a, H, 'intermediate.dense', intermediate).map((z) => z * normalCdf(z)); // erf GELU
  return addLn(lin(h, intermediate, 'output.dense', H), a, 'output.LayerNorm');
}
