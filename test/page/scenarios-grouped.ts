// Scenarios for the grouped layers (src/engine/nn/grouped.ts): group g of a grouped layer, fed the g-th input, must
// give what the ungrouped layer of src/engine/nn/transformer.ts gives with the g-th slice of every parameter (the
// ungrouped layers are the reference for the grouped ones; the application uses only the grouped ones).

import type { Module, Tensor } from '../../src/app/all';
import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

interface GroupedArgs {
  G: number;
  B: number;
  Tq: number;
  Tk: number;
  dim: number;
  heads: number;
  dimHead: number;
  mlpDim: number;
  depth: number;
  seed: number;
}

/** Fills every parameter with N(0, 1) values, so that LayerNorm's affine (ones and zeros at init) is tested too. */
async function randomize(w: W, m: Module, seed: number): Promise<void> {
  for (const [i, [, p]] of m.namedParameters().entries()) {
    const r = w.randn(p.shape, { seed: seed + i });
    w.runtime().write(p.buffer, await r.toArray());
    r.dispose();
  }
}

/** Loads group g of `grouped`'s parameters into `plain`, matched by name (each plain parameter is one group's slice). */
async function loadGroup(w: W, grouped: Module, plain: Module, g: number): Promise<void> {
  const byName = new Map(grouped.namedParameters());
  for (const [name, p] of plain.namedParameters()) {
    const src = byName.get(name);
    if (!src) throw new Error(`no grouped parameter named ${name}`);
    const all = await src.toArray();
    w.runtime().write(p.buffer, all.subarray(g * p.size, (g + 1) * p.size));
  }
}

/** The largest |a − b| over group g of `grouped` (G, ...) and `plain` (one group's shape). */
async function groupDiff(grouped: Tensor, plain: Tensor, g: number): Promise<{ diff: number; scale: number }> {
  const a = (await grouped.toArray()).subarray(g * plain.size, (g + 1) * plain.size);
  const b = await plain.toArray();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
}

/** x (G, B, T, dim) and its G slices (B, T, dim). */
function groupedInput(w: W, a: GroupedArgs, T: number, seed: number): { x: Tensor; parts: Tensor[] } {
  const x = w.randn([a.G, a.B, T, a.dim], { seed });
  const parts = Array.from({ length: a.G }, (_, g) => w.reshape(w.slice(x, 0, g, g + 1), [a.B, T, a.dim]));
  return { x, parts };
}

export const SCENARIOS = {
  /**
   * Self- and cross-attention layers, the Transformer (no tokens) and a stack of cross layers: per group, the largest
   * difference between the grouped output and the ungrouped one, with the largest |output| for scale.
   */
  groupedMatchesUngrouped: async (a: GroupedArgs, w: W) => {
    const opts = { heads: a.heads, dimHead: a.dimHead, mlpDim: a.mlpDim, seed: a.seed };
    const out: Record<string, { diff: number; scale: number }[]> = {};
    const compare = async (name: string, grouped: Module, run: (g: number) => Promise<[Tensor, Tensor]>) => {
      await randomize(w, grouped, a.seed + 100);
      out[name] = [];
      for (let g = 0; g < a.G; g++) {
        const [y, ref] = await run(g);
        out[name].push(await groupDiff(y, ref, g));
      }
    };
    await w.tidyAsync(async () => {
      const t = groupedInput(w, a, a.Tq, a.seed + 1);
      const s = groupedInput(w, a, a.Tk, a.seed + 2);

      const layer = new w.GroupedAttentionLayer(a.G, a.dim, opts);
      await compare('self-attention layer', layer, async (g) => {
        const plain = new w.TransformerEncoderLayer(a.dim, opts);
        await loadGroup(w, layer, plain, g);
        return [layer.forward(t.x), plain.forward(t.parts[g])];
      });
      await compare('cross-attention layer', layer, async (g) => {
        const plain = new w.CrossTransformerLayer(a.dim, opts);
        await loadGroup(w, layer, plain, g);
        return [layer.forward(t.x, s.x), plain.forward(t.parts[g], s.parts[g])];
      });

      const tf = new w.GroupedTransformer(a.G, a.Tq, a.dim, a.depth, opts);
      await compare('Transformer', tf, async (g) => {
        const plain = new w.Transformer(a.Tq, a.dim, a.depth, opts);
        await loadGroup(w, tf, plain, g);
        return [tf.forward(t.x), plain.forward(t.parts[g])];
      });

      const cross = new w.GroupedCrossEncoder(a.G, a.dim, a.depth, opts);
      await compare('cross encoder', cross, async (g) => {
        const plain = Array.from({ length: a.depth }, () => new w.CrossTransformerLayer(a.dim, opts));
        const y = cross.forward(t.x, s.x);
        let ref = t.parts[g];
        for (const [l, p] of plain.entries()) {
          await loadGroup(w, cross.layers[l], p, g);
          ref = p.forward(ref, s.parts[g]);
        }
        return [y, ref];
      });
    });
    return out;
  },
} satisfies ScenarioTable;
