// Scenarios for DAR's and DERL's BERT text branch (src/app/models/text-encoder.ts): a training step on token ids that
// never reads the text features, fine-tuned or frozen, and predictions that follow the ids. The Node side is
// test/textbert.test.ts.

import type { DatasetDims, Tensor } from '../../src/app/all';
import type { ModalityInputs, SentimentModel, TrainingBatch } from '../../src/app/models/types';
import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';
import { randomBatch } from './model-batches';

type W = typeof wgType;

const DIMS: DatasetDims = { text: { len: 6, dim: 10 }, audio: { len: 5, dim: 3 }, vision: { len: 7, dim: 4 } };
/** A BERT small enough for SwiftShader, over synthetic-mosi's vocabulary (so [UNK] = 100 is a real row). */
const SIZES = {
  vocabSize: 120,
  hidden: 8,
  layers: 1,
  heads: 2,
  intermediate: 12,
  maxPosition: 8,
  typeVocab: 2,
  pooler: false,
};

/** (B, 3, T) ids/mask/segments: [CLS] w… [SEP] then padding; `unk` marks positions turned into [UNK]. */
function textBert(B: number, seed: number, unk: (b: number, j: number) => boolean = () => false): Int32Array {
  const T = DIMS.text.len;
  const out = new Int32Array(B * 3 * T);
  for (let b = 0; b < B; b++) {
    const L = 3 + ((b + seed) % (T - 2)); // 3 … T tokens
    for (let j = 0; j < L; j++) {
      const id = j === 0 ? 101 : j === L - 1 ? 102 : 1 + ((seed * 7 + b * 13 + j * 5) % 99);
      out[b * 3 * T + j] = unk(b, j) && j > 0 && j < L - 1 ? 100 : id;
      out[b * 3 * T + T + j] = 1;
    }
  }
  return out;
}

/** audio and vision of a view (without touching its text getter). */
const noText = (x: ModalityInputs) => ({ audio: x.audio, vision: x.vision });

/** `x` with token ids, and a `text` field that throws: the BERT path must never read the features. */
function withIds(x: ModalityInputs, ids: Int32Array): ModalityInputs {
  const { audio, vision } = x;
  x.text.dispose();
  x.textDropped?.dispose();
  return {
    get text(): Tensor {
      throw new Error('the BERT text path read the text features');
    },
    audio,
    vision,
    textBert: ids,
  };
}

function build(w: W, kind: 'dar' | 'derl', frozen: boolean): SentimentModel {
  const textEncoder = { kind: 'bert' as const, bert: SIZES, frozen };
  return kind === 'dar'
    ? new w.DAR(
        w.darConfig('small', DIMS, {
          seed: 5,
          textEncoder,
          d: 8,
          t: 4,
          mlpHidden: 6,
          encoder: { depth: 1, heads: 2, dimHead: 3, mlpDim: 12 },
          recon: { depth: 1, heads: 2, dimHead: 3, mlpDim: 12 },
          fusionSelf: { depth: 1, heads: 2, dimHead: 3, mlpDim: 12 },
          fusionCross: { depth: 1, heads: 2, dimHead: 3, mlpDim: 12 },
          club: { hidden: 5, lstmHidden: 4, innerSteps: 1, lr: 1e-3 },
        }),
      )
    : new w.DERL(w.derlConfig('tiny', DIMS, { seed: 5, textEncoder }));
}

/** Frees what withIds() left: audio, vision and the labels (the text getter would throw). */
function disposeIdBatch(b: TrainingBatch): void {
  for (const x of [b.complete, b.corrupted]) {
    x.audio.dispose();
    x.vision.dispose();
  }
  b.labels.dispose();
}

function batchWithIds(w: W, B: number): TrainingBatch {
  const b = randomBatch(w, DIMS, B, 11);
  return {
    complete: withIds(b.complete, textBert(B, 3)),
    corrupted: withIds(
      b.corrupted,
      textBert(B, 3, (i, j) => (i + j) % 3 === 0),
    ),
    labels: b.labels,
  };
}

export const SCENARIOS = {
  /**
   * One training step of DAR or DERL with a BERT text encoder, fine-tuned and frozen (same weights): the total, which
   * BERT parameters got a gradient, whether they are in mainParameters(), and the largest gradient among them.
   */
  textBertStep: async ({ kind }: { kind: 'dar' | 'derl' }, w) => {
    const out: Record<
      string,
      { total: number; inMain: number; withGrad: number; bertParams: number; maxGrad: number }
    > = {};
    for (const frozen of [false, true]) {
      const model = build(w, kind, frozen);
      const batch = batchWithIds(w, 4);
      const r = await w.tidyAsync(async () => {
        const aux = model.auxiliaryStep?.(batch);
        void aux;
        const { total } = model.losses(batch);
        total.backward();
        const bert = model.namedParameters().filter(([n]) => n.startsWith('bert.'));
        let maxGrad = 0;
        for (const [, p] of bert) {
          if (p.grad) for (const v of await p.grad.toArray()) maxGrad = Math.max(maxGrad, Math.abs(v));
        }
        return {
          total: await total.item(),
          inMain: model.mainParameters().filter(([n]) => n.startsWith('bert.')).length,
          withGrad: bert.filter(([, p]) => p.grad !== null).length,
          bertParams: bert.length,
          maxGrad,
        };
      });
      out[frozen ? 'frozen' : 'finetuned'] = r;
      model.zeroGrad();
      disposeIdBatch(batch);
      model.dispose();
    }
    return out;
  },

  /** predict() on token ids: the same ids give the same output; turning one real token into [UNK] changes it. */
  textBertPredict: async ({ kind }: { kind: 'dar' | 'derl' }, w) => {
    const model = build(w, kind, false);
    model.eval();
    const b = batchWithIds(w, 3);
    const x = b.corrupted;
    const view = (ids: Int32Array): ModalityInputs => withIds({ ...noText(x), text: w.zeros([1]) }, ids);
    const ids = x.textBert!;
    const changed = ids.slice();
    changed[1] = 100; // sample 0, the first word → [UNK]
    const pred = async (v: ModalityInputs) => Array.from(await model.predict(v).toArray());
    const a = await pred(view(ids));
    const again = await pred(view(ids.slice()));
    const c = await pred(view(changed));
    let missing = '';
    try {
      model.predict({ ...noText(x), text: w.zeros([3, DIMS.text.len, DIMS.text.dim]) }); // features but no ids
    } catch (e) {
      missing = `${(e as Error).name}: ${(e as Error).message}`;
    }
    disposeIdBatch(b);
    model.dispose();
    return { a, again, c, missing };
  },

  /**
   * The tiny BERT's masked-LM pre-training on synthetic-mosi-tiny's training ids: the loss per window of 10 steps, how
   * far the weights moved, that the same seed gives the same weights, that nothing is left on the GPU but BERT's
   * weights, and the errors raised (before any GPU work) for bad options and a dataset without token ids.
   */
  pretrainMlm: async ({ steps }: { steps: number }, w) => {
    const ds = w.syntheticMosi({ seed: 0, size: 'tiny' });
    const sizes = { ...SIZES, hidden: 16, intermediate: 32, maxPosition: 64 };
    const rt = w.runtime();
    const run = async () => {
      const bert = new w.Bert({ ...sizes, seed: 3 });
      const before = await bert.embeddings.word_embeddings.weight.toArray();
      const live0 = rt.stats().liveBuffers;
      const r = await w.pretrainBertMlm(bert, ds, { steps, lr: 1e-2, batchSize: 16, seed: 1 });
      await rt.sync();
      const leaked = rt.stats().liveBuffers - live0;
      const after = await bert.embeddings.word_embeddings.weight.toArray();
      const moved = after.reduce((m, v, i) => Math.max(m, Math.abs(v - before[i])), 0);
      const layer = Array.from(await bert.encoder.layer[0].output.dense.weight.toArray());
      bert.dispose();
      return { losses: r.losses, moved, leaked, layer };
    };
    const a = await run();
    const b = await run();
    const errors: string[] = [];
    const bert = new w.Bert({ ...sizes, seed: 3 });
    const noIds = {
      ...ds,
      name: ds.name,
      dims: ds.dims,
      sizes: ds.sizes,
      batch: (s: 'train', ix: number[]) => {
        const { textBert: _, ...rest } = ds.batch(s, ix);
        return rest;
      },
    } as unknown as typeof ds;
    const d0 = rt.stats().dispatches;
    for (const [data, opts] of [
      [ds, { steps: 0, seed: 1 }],
      [ds, { steps: 2, seed: 1, maskProb: 0 }],
      [noIds, { steps: 2, seed: 1 }],
    ] as const) {
      try {
        await w.pretrainBertMlm(bert, data, opts);
        errors.push('no error');
      } catch (e) {
        errors.push(`${(e as Error).name}: ${(e as Error).message}`);
      }
    }
    const dispatchesOnError = rt.stats().dispatches - d0;
    bert.dispose();
    return { a, same: JSON.stringify(a.layer) === JSON.stringify(b.layer), errors, dispatchesOnError };
  },
} satisfies ScenarioTable;
