// Masked-language-model pre-training of a from-scratch BERT on a dataset's own token ids (issue 16): the analogue, for
// the small presets' tiny BERT, of how bert-base-uncased was made before LNLN fine-tunes it. Self-supervised (the ids
// only, never a label), on the training split only, and run once per `npm start` run so that every seed starts from
// the same pretrained weights, as every LNLN seed starts from the same bert-base.
//
//   per step:  32 training sentences (complete ids); each content token (not [CLS]/[SEP]/padding) is chosen with
//              probability 0.15; a chosen one becomes [UNK] (80 %), a random content id (10 %) or stays (10 %), as
//              BERT's recipe — [UNK], not [MASK], because synthetic-mosi's vocabulary has no [MASK] and [UNK] is the
//              token the missing-data protocol writes where a word is dropped
//   head:      HF's BertLMPredictionHead: Linear(H, H) + GELU + LayerNorm, then logits against the word embeddings
//              (tied, as HF) plus a bias; cross-entropy at the chosen positions only
//   optimizer: AdamW (weight decay 0.01, as BERT) on BERT and the head, linear warm-up over 10 % then linear decay
// The head is thrown away afterwards (as `cls.*` is when bert-base loads into BertModel).

import { Bert } from '../../engine/nn/bert';
import { LayerNorm } from '../../engine/nn/transformer';
import { Linear, linear, parameter } from '../../engine/nn/module';
import { AdamW } from '../../engine/optim/adam';
import { gelu } from '../../engine/ops/elementwise';
import { crossEntropy } from '../../engine/ops/loss';
import { reshape } from '../../engine/ops/shape';
import { tensor, zeros } from '../../engine/creation';
import { tidy } from '../../engine/tensor';
import { check } from '../../engine/errors';
import { hashWords } from '../../engine/seed';
import { maskForMlm } from '../data/mlm';
import type { Dataset } from '../data/types';

const OP = 'pretrainBertMlm';

export interface MlmOptions {
  /** Optimizer steps (batches of `batchSize` training sentences). */
  steps: number;
  /** Peak learning rate (default 1e-2: at 1e-3, 200 steps of the 1-layer width-32 BERT left the loss at 4.69). */
  lr?: number;
  batchSize?: number;
  /** Share of content tokens predicted per sentence (default 0.15, BERT's). */
  maskProb?: number;
  /** Seed of the head's weights, the batches and the masks. */
  seed: number;
  /** Called every `every` steps (default 10) with the mean loss over them. */
  onProgress?(step: number, steps: number, loss: number): void | Promise<void>;
  every?: number;
}

/** Masked-LM loss of one step's head: HF's `cls.predictions`, its decoder tied to BERT's word embeddings. */
class MlmHead {
  readonly dense: Linear;
  readonly norm: LayerNorm;
  readonly bias;
  constructor(
    readonly bert: Bert,
    seed: number,
  ) {
    const H = bert.config.hidden;
    this.dense = new Linear(H, H, { seed });
    this.norm = new LayerNorm(H, bert.config.layerNormEps);
    this.bias = parameter(zeros([bert.config.vocabSize]));
  }
  parameters() {
    return [this.dense.weight, this.dense.bias!, this.norm.weight, this.norm.bias, this.bias];
  }
  /** hidden (N, H) → logits (N, V). */
  logits(hidden: ReturnType<typeof reshape>) {
    const h = this.norm.forward(gelu(this.dense.forward(hidden)));
    return linear(h, this.bert.embeddings.word_embeddings.weight, this.bias);
  }
}

/** A small deterministic generator (xorshift32) seeded through the engine's integer hash. */
function generator(seed: number): () => number {
  let s = hashWords([seed, 0x6d6c6d]) || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/**
 * Pre-trains `bert` in place by masked-language modelling on `dataset`'s training ids (`textBert`); returns the mean
 * loss of each reporting window and the time taken. Throws a WebgradError before any GPU work when the dataset has no
 * token ids, an id is outside BERT's vocabulary or an option is out of range.
 */
export async function pretrainBertMlm(
  bert: Bert,
  dataset: Dataset,
  o: MlmOptions,
): Promise<{ losses: number[]; seconds: number }> {
  const { steps, lr = 1e-2, batchSize = 32, maskProb = 0.15, every = 10 } = o;
  check(Number.isInteger(steps) && steps >= 1, OP, `steps must be a positive integer, got ${steps}`);
  check(Number.isFinite(lr) && lr > 0, OP, `lr must be a finite number > 0, got ${lr}`);
  check(Number.isInteger(batchSize) && batchSize >= 1, OP, `batchSize must be a positive integer, got ${batchSize}`);
  check(maskProb > 0 && maskProb <= 1, OP, `maskProb must be in (0, 1], got ${maskProb}`);
  check(Number.isInteger(every) && every >= 1, OP, `every must be a positive integer, got ${every}`);
  const T = dataset.dims.text.len;
  const N = dataset.sizes.train;
  const probe = dataset.batch('train', [0]).textBert;
  check(probe !== undefined, OP, `dataset ${dataset.name} has no token ids (text_bert) to pre-train on`);
  check(T <= bert.config.maxPosition, OP, `text length ${T} exceeds BERT's maxPosition ${bert.config.maxPosition}`);

  const t0 = performance.now();
  const rand = generator(o.seed);
  const head = new MlmHead(bert, hashWords([o.seed, 1]));
  const opt = new AdamW([...bert.namedParameters(), ...head.parameters().map((p, i) => [`cls.${i}`, p] as const)], {
    lr,
    weightDecay: 0.01,
  });
  const warm = Math.max(1, Math.ceil(0.1 * steps));
  const wasTraining = bert.training;
  bert.train();
  const losses: number[] = [];
  let window: Promise<number>[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const ix = Array.from({ length: Math.min(batchSize, N) }, () => Math.floor(rand() * N));
      const b = maskForMlm(dataset.batch('train', ix).textBert!, T, bert.config.vocabSize, maskProb, rand);
      opt.setLr(lr * (step < warm ? (step + 1) / warm : Math.max(0.01, (steps - step) / (steps - warm + 1))));
      const loss = tidy(() => {
        const shape = [ix.length, T] as const;
        const hidden = bert.forward({ data: b.ids, shape }, { data: b.types, shape }, { data: b.mask, shape }).hidden;
        const l = crossEntropy(head.logits(reshape(hidden, [ix.length * T, bert.config.hidden])), tensor(b.targets));
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l.keep();
      });
      window.push(loss.toArray().then((v) => (loss.dispose(), v[0])));
      if (window.length === every || step === steps - 1) {
        const vs = await Promise.all(window);
        window = [];
        losses.push(vs.reduce((a, v) => a + v, 0) / vs.length);
        await o.onProgress?.(step + 1, steps, losses.at(-1)!);
      }
    }
  } finally {
    bert.train(wasTraining);
    opt.dispose();
    for (const p of head.parameters()) p.dispose();
  }
  return { losses, seconds: (performance.now() - t0) / 1000 };
}
