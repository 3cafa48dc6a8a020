// DERL (Disentangled Expert Representation Learning for robust multimodal sentiment analysis) on webgrad, as sketched
// in docs/models.md §7 (the paper's full text is unavailable: every choice is in config.ts). Tilde = from the corrupted
// input; m ∈ {l, v, a} in that order everywhere.
//
//   X̃_m  = embed_m(align_m(x̃_m))                           (B, t, d)   DAR's alignment, then a Transformer
//   z_m   = mean_t X̃_m;  g^p_m = gate(router_p_m(z_m)) (K_p);  g^s_m = gate(router_s_m(z_m)) (K_s)   soft or top-k
//   P_m   = Σ_k g^p_{m,k} E^p_{m,k}(X̃_m),  S_m = Σ_k g^s_{m,k} E^s_k(X̃_m)     experts: MLPs d → h_e → d per step
//   e     = [mean_t P_l, mean_t P_v, mean_t P_a, mean_m mean_t S_m]          (B, 4, d)   the four fusion experts
//   a     = softmax_i(vᵀ tanh(W e_i));  ŷ = head(Σ_i a_i e_i)                 importance-aware fusion
//   L_total = MSE(ŷ, y) + λ_bal·L_balance + λ_orth·L_orth + λ_cons·L_consist + λ_rf·L_recon_feat
//           + λ_ri·L_recon_input + λ_aux·L_aux                                   (docs/models.md §7.6)
//   L_orth's gradient stops at X̃ by default (orthGradient 'experts'): it is computed from a second pass of the
//   routers and experts over X̃ detached, which costs one more expert forward and backward per training step.
//
// Layout. Networks of one shape run grouped (DAR's blocks): features are stacked (G, B, t, d). Parameter names
// (checkpoint keys; test/torch-reference/derl.py uses the same), group order in brackets:
//   text_unk (d_l)                      only with textUnk 'learned'
//   align.<m>.conv.*, align.<m>.proj.*  Alignment per modality (input shapes differ)
//   embed.*          GroupedTransformer, 3 groups [l, v, a]
//   router_p.*       GroupedLinear d → K_p, 3 groups [l, v, a]
//   router_s.*       GroupedLinear d → K_s, 3 groups [l, v, a]
//   private_experts.*  GroupedMLP d → h_e → d (GELU), 3·K_p groups [l₀ … l_{K_p−1}, v₀ …, a₀ …]
//   shared_experts.*   GroupedMLP d → h_e → d (GELU), K_s groups (every modality runs through every one)
//   importance.fc, importance.score     ImportanceScorer d → h_a → 1
//   head.fc1/fc2     MLP d → h → 1 (ReLU)
//   aux_heads.*      GroupedMLP d → h → 1 (ReLU), 4 groups [P_l, P_v, P_a, S̄]          only with λ_aux > 0
//   dec_feat.*       GroupedMLP d → h → d (GELU), 3 groups [l, v, a]                  only with λ_rf > 0
//   dec_input.<m>.mlp.fc1/fc2, dec_input.<m>.conv   InputDecoder per modality            only with λ_ri > 0
//   bert.*           with textEncoder 'bert': HF BertModel's names (../text-encoder.ts); x_l = BERT(ids), and the
//                    input-level reconstruction of text aims at BERT(complete ids), detached (a live target through
//                    BERT could be met by flattening BERT's output instead of by reconstructing)
//
// Router statistics. predict() (the evaluation forward) adds each batch's routing to running sums on the GPU (no
// read-back, no tape); expertUsage() reads them back as plain numbers, resetUsage() clears them. losses() does not
// count (it is the training and validation forward).

import { zeros } from '../../../engine/creation';
import { accumulateInto } from '../../../engine/autograd';
import { noGrad, tidy, Tensor } from '../../../engine/tensor';
import { add, addScalar, expand, gelu, log, mul, mulScalar, neg, sub } from '../../../engine/ops/elementwise';
import { max, mean, sum } from '../../../engine/ops/reduce';
import { softmax } from '../../../engine/ops/softmax';
import { concat, gatherRows, permute, reshape, slice, stack } from '../../../engine/ops/shape';
import { matmul } from '../../../engine/ops/matmul';
import { mseLoss } from '../../../engine/ops/loss';
import { infoNCE } from '../../../engine/ops/infonce';
import { Module, parameter } from '../../../engine/nn/module';
import { deriveSeed } from '../../../engine/seed';
import { checkModalityInputs, checkTrainingBatch } from '../inputs';
import type { LossTerms, ModalityInputs, SentimentModel, TrainingBatch } from '../types';
import { type DerlConfig, validateDerlConfig } from './config';
import { GroupedLinear, GroupedMLP, GroupedTransformer, MLP, ModuleDict } from '../../../engine/nn/grouped';
import { Alignment, INPUT_FIELD, MODALITIES, type Modality, perModality } from '../dar/blocks';
import type { Bert } from '../../../engine/nn/bert';
import { bertText, FEATURE_TEXT, makeTextBert, textInputDim, viewsText } from '../text-encoder';
import {
  centralMomentDiscrepancy,
  ImportanceScorer,
  InputDecoder,
  routerGates,
  softOrthogonality,
  switchBalance,
} from './blocks';

const OP = 'DERL';

/** The four experts the fusion weighs, in order. */
export const FUSION_EXPERTS = ['P_l', 'P_v', 'P_a', 'S'] as const;
/** Ordered (other, anchor) modality pairs of the InfoNCE consistency, as DAR's CROSS_PAIRS. */
const CROSS_PAIRS = MODALITIES.flatMap((m, k) => MODALITIES.map((_, o) => [o, k] as const).filter(([o]) => o !== k));
/** Orthogonality pairs in the stack [P̄_l, P̄_v, P̄_a, S̄_l, S̄_v, S̄_a]: (P_m, S_m), then (P_m, P_m′) for m < m′. */
const ORTH_PS: [number[], number[]] = [
  [0, 1, 2],
  [3, 4, 5],
];
const ORTH_PP: [number[], number[]] = [
  [0, 0, 1],
  [1, 2, 2],
];
/** The unordered modality pairs of the CMD. */
const CMD_PAIRS: [number[], number[]] = [
  [0, 0, 1],
  [1, 2, 2],
];

/** Router statistics of one modality (means over the samples predict() saw). */
export interface ModalityUsage {
  modality: Modality;
  /** Mean gate of each shared expert (sums to 1). */
  shared: number[];
  /** Mean gate of each of this modality's private experts (sums to 1). */
  private: number[];
  /** The largest entry of `shared`: the share of the most-used shared expert. */
  sharedTopShare: number;
  /** Entropy (nats) of `shared`: log K_s when the pool is used evenly, 0 when one expert takes everything. */
  sharedUsageEntropy: number;
  /** Mean per-sample entropy (nats) of the shared gates: low = confident, specialised routing. */
  sharedSampleEntropy: number;
  /** Mean per-sample largest shared gate. */
  sharedSampleMax: number;
  privateTopShare: number;
  privateUsageEntropy: number;
  privateSampleEntropy: number;
  privateSampleMax: number;
}

export interface DerlExpertUsage {
  /** Samples counted since the last resetUsage() (0: every number below is 0). */
  samples: number;
  modalities: ModalityUsage[];
  /** Mean shared gates over all three modalities (what the pooled balance term sees). */
  pooledShared: number[];
  /** Mean fusion importance a_i of FUSION_EXPERTS. */
  importance: Record<(typeof FUSION_EXPERTS)[number], number>;
}

/** What the corrupted-input path computes. */
interface Path {
  p: Tensor; //        P (3, B, t, d)
  s: Tensor; //        S (3, B, t, d)
  gp: Tensor; //       private gates (3, B, K_p), and router probabilities pp
  pp: Tensor;
  gs: Tensor; //       shared gates (3, B, K_s), and ps
  ps: Tensor;
  e: Tensor; //        fusion experts (4, B, d)
  a: Tensor; //        importance (B, 4)
  pred: Tensor; //     (B, 1)
}

export class DERL extends Module implements SentimentModel {
  readonly kind = 'derl';
  readonly config: DerlConfig;
  readonly text_unk: Tensor | null;
  readonly align: ModuleDict<Alignment>;
  readonly embed: GroupedTransformer;
  readonly router_p: GroupedLinear;
  readonly router_s: GroupedLinear;
  readonly private_experts: GroupedMLP;
  readonly shared_experts: GroupedMLP;
  readonly importance: ImportanceScorer;
  readonly head: MLP;
  readonly aux_heads: GroupedMLP | null;
  readonly dec_feat: GroupedMLP | null;
  readonly dec_input: ModuleDict<InputDecoder> | null;
  /** BERT on the token ids (textEncoder 'bert'), else null. */
  readonly bert: Bert | null;
  /** Running sums of the routing statistics (not a parameter: requiresGrad is off); see addUsage(). */
  private usageSums: Tensor;
  private usageSamples = 0;

  constructor(config: DerlConfig) {
    super();
    validateDerlConfig(config);
    this.config = config;
    const { d, t, dims, seed, mlpHidden: h, experts: ex, weights: wt } = config;
    let k = 0;
    const s = () => (seed === undefined ? undefined : deriveSeed(seed, k++));
    const b = config.embed;
    this.text_unk = config.textUnk === 'learned' ? parameter(zeros([dims.text.dim])) : null;
    const text = config.textEncoder ?? FEATURE_TEXT;
    const inDim = (m: Modality) => (m === 'l' ? textInputDim(text, dims) : dims[INPUT_FIELD[m]].dim);
    this.align = perModality((m) => new Alignment(dims[INPUT_FIELD[m]].len, inDim(m), t, d, s()));
    this.embed = new GroupedTransformer(3, t, d, b.depth, {
      heads: b.heads,
      dimHead: b.dimHead,
      mlpDim: b.mlpDim,
      seed: s(),
    });
    this.router_p = new GroupedLinear(3, d, ex.private, { seed: s() });
    this.router_s = new GroupedLinear(3, d, ex.shared, { seed: s() });
    this.private_experts = new GroupedMLP(3 * ex.private, d, ex.hidden, d, 'gelu', s());
    this.shared_experts = new GroupedMLP(ex.shared, d, ex.hidden, d, 'gelu', s());
    this.importance = new ImportanceScorer(d, config.importanceHidden, s());
    this.head = new MLP(d, h, 1, 'relu', s());
    // Seeds are drawn in a fixed order whether or not an optional module exists, so the others do not move.
    const sAux = s();
    const sFeat = s();
    const sInput = s();
    this.aux_heads = wt.aux > 0 ? new GroupedMLP(4, d, h, 1, 'relu', sAux) : null;
    this.dec_feat = wt.reconFeat > 0 ? new GroupedMLP(3, d, h, d, 'gelu', sFeat) : null;
    this.dec_input =
      wt.reconInput > 0
        ? perModality((m) => {
            const md = dims[INPUT_FIELD[m]];
            return new InputDecoder(t, 2 * d, h, md.len, inDim(m), deriveSeed(sInput, MODALITIES.indexOf(m)));
          })
        : null;
    this.usageSums = zeros([this.usageWidth()]).keep();
    // Made last, from a seed of its own, so that every other module's weights are those of the feature path.
    this.bert = makeTextBert(text, seed === undefined ? undefined : deriveSeed(seed, 1000));
  }

  /** Every parameter but a frozen BERT's. */
  mainParameters(): [string, Tensor][] {
    const frozen = this.config.textEncoder?.frozen === true;
    return this.namedParameters().filter(([n]) => !(frozen && n.startsWith('bert.')));
  }

  // ------------------------------------------------------------------------------------------ input checks

  /** Validates one view of the inputs against the config; returns the batch size. */
  private checkInputs(x: ModalityInputs, what: string): number {
    return checkModalityInputs(OP, this.config.dims, x, what, this.bert !== null);
  }

  private checkBatch(batch: TrainingBatch): number {
    const complete = this.dec_feat !== null || this.dec_input !== null;
    return checkTrainingBatch(OP, this.config.dims, batch, complete, this.bert !== null);
  }

  // ------------------------------------------------------------------------------------------- the network

  /** The text a view feeds the model: with textUnk 'learned', dropped tokens become text_unk. */
  private text(x: ModalityInputs): Tensor {
    if (!this.text_unk || !x.textDropped) return x.text;
    const [B, T] = x.textDropped.shape;
    return add(x.text, mul(reshape(x.textDropped, [B, T, 1]), sub(this.text_unk, x.text))); // text + m·(unk − text)
  }

  /** X = embed(align(views)) (3, N, t, d), views concatenated on the batch axis. */
  private embedViews(views: ModalityInputs[]): Tensor {
    return this.embedWithText(views).x;
  }

  /** embedViews(views) as `x`, and the text input it aligned (N, T_l, ·) as `text`. */
  private embedWithText(views: ModalityInputs[]): { x: Tensor; text: Tensor } {
    const join = (xs: Tensor[]) => (xs.length === 1 ? xs[0] : concat(xs, 0));
    const T = this.config.dims.text.len;
    const input = {
      l: viewsText(this.bert, this.config.textEncoder ?? FEATURE_TEXT, views, T, (v) => this.text(v)),
      v: join(views.map((v) => v.vision)),
      a: join(views.map((v) => v.audio)),
    };
    const x = this.embed.forward(
      stack(
        MODALITIES.map((m) => this.align.get(m).forward(input[m])),
        0,
      ),
    );
    return { x, text: input.l };
  }

  /**
   * What the input-level reconstruction of modality m aims at: the complete raw input, except for BERT text, which is
   * BERT's output on the complete ids (rows [B, 2B) of `text` when both views ran together), detached.
   */
  private inputTarget(m: Modality, batch: TrainingBatch, text: Tensor, both: boolean): Tensor {
    if (m !== 'l' || !this.bert) return batch.complete[INPUT_FIELD[m]];
    const B = batch.labels.shape[0];
    if (both) return slice(text, 0, B, 2 * B).detach();
    const T = this.config.dims.text.len;
    return noGrad(() => tidy(() => bertText(this.bert!, true, [batch.complete], T)));
  }

  /** Σ_k g_k·E_k for experts ex (3·B, K, t·d) and gates g (3, B, K) → (3, B, t, d). */
  private mix(g: Tensor, ex: Tensor, B: number): Tensor {
    const { t, d } = this.config;
    const K = g.shape[2];
    return reshape(matmul(reshape(g, [3 * B, 1, K]), ex), [3, B, t, d]);
  }

  /** The corrupted-input path from X̃ (3, B, t, d): routers, experts, fusion, ŷ. */
  private path(x: Tensor): Path {
    const { d } = this.config;
    const B = x.shape[1];
    const { p, s, gp, pp, gs, ps } = this.experts(x);
    // Fusion over [P̄_l, P̄_v, P̄_a, S̄].
    const sbar = mean(mean(s, 2), 0, true); //                                              (1, B, d)
    const e = concat([mean(p, 2), sbar], 0); //                                             (4, B, d)
    const eb = permute(e, [1, 0, 2]); //                                                    (B, 4, d)
    const a = softmax(reshape(this.importance.forward(eb), [B, 4])); //                     (B, 4)
    const fusedVec = reshape(matmul(reshape(a, [B, 1, 4]), eb), [B, d]);
    const pred = this.head.forward(fusedVec); //                                            (B, 1)
    return { p, s, gp, pp, gs, ps, e, a, pred };
  }

  /** Routers and experts on X (3, B, t, d): P and S (3, B, t, d) with their gates and router probabilities. */
  private experts(x: Tensor): Omit<Path, 'e' | 'a' | 'pred'> {
    const { t, d, experts: ex } = this.config;
    const B = x.shape[1];
    const Kp = ex.private;
    const Ks = ex.shared;
    const z = mean(x, 2); //                                                                  (3, B, d)
    const { gates: gp, probs: pp } = routerGates(this.router_p.forward(z), ex.topK);
    const { gates: gs, probs: ps } = routerGates(this.router_s.forward(z), ex.topK);
    // Private: modality m's input through its K_p experts: (3·K_p, B, t, d) → (3·B, K_p, t·d).
    const rows = reshape(x, [3, B * t * d]);
    const xin =
      Kp === 1
        ? x
        : reshape(
            gatherRows(
              rows,
              MODALITIES.flatMap((_, m) => Array<number>(Kp).fill(m)),
            ),
            [3 * Kp, B, t, d],
          );
    const ep = permute(reshape(this.private_experts.forward(xin), [3, Kp, B, t * d]), [0, 2, 1, 3]);
    const p = this.mix(gp, reshape(ep, [3 * B, Kp, t * d]), B);
    // Shared: every modality through every pool expert: (K_s, 3, B, t, d) → (3·B, K_s, t·d).
    const hs = gelu(this.shared_experts.fc1.forwardShared(x)); //                                    (K_s, 3, B, t, h_e)
    const es = permute(reshape(this.shared_experts.fc2.forward(hs), [Ks, 3 * B, t * d]), [1, 0, 2]);
    const s = this.mix(gs, es, B);
    return { p, s, gp, pp, gs, ps };
  }

  /** Predictions (B, 1) from (possibly incomplete) inputs, without the tape; adds the batch to the router statistics. */
  predict(x: ModalityInputs): Tensor {
    const B = this.checkInputs(x, 'input');
    return noGrad(() =>
      tidy(() => {
        const out = this.path(this.embedViews([x]));
        this.addUsage(out);
        this.usageSamples += B;
        return out.pred;
      }),
    );
  }

  /** L_total and its terms on one training batch (call backward() on `total`); see the top of this file. */
  losses(batch: TrainingBatch): LossTerms {
    const B = this.checkBatch(batch);
    const c = this.config;
    const w = c.weights;
    // Corrupted and complete views run through alignment and embedding together when the feature target is needed.
    const both = this.dec_feat !== null;
    const views = this.embedWithText(both ? [batch.corrupted, batch.complete] : [batch.corrupted]);
    const xAll = views.x;
    const x = both ? slice(xAll, 1, 0, B) : xAll; //                                       X̃ (3, B, t, d)
    const path = this.path(x);
    const y = batch.labels;
    const terms: Record<string, Tensor> = {};
    const modality = (v: Tensor, k: number) => reshape(slice(v, 0, k, k + 1), v.shape.slice(1)); // group k of (G, ...)

    terms.task = mseLoss(path.pred, y);
    if (w.balance > 0) {
      // The shared pool over all 3B decisions; each private pool over its modality's B.
      const [, , Ks] = path.gs.shape;
      const shared = switchBalance(reshape(path.gs, [1, 3 * B, Ks]), reshape(path.ps, [1, 3 * B, Ks]));
      terms.balance = add(shared, switchBalance(path.gp, path.pp));
    }
    if (w.orth > 0 || w.consist > 0) {
      const sbar = mean(path.s, 2); //                                                      (3, B, d)
      if (w.orth > 0) {
        // [P̄_l, P̄_v, P̄_a, S̄_l, S̄_v, S̄_a]; with orthGradient 'experts' the experts run again on X̃ detached, so the
        // term shapes the experts and routers and never the embedding (docs/decisions/derl-config.md says why).
        const own = c.orthGradient === 'experts' ? this.experts(x.detach()) : null;
        const zz = own ? concat([mean(own.p, 2), mean(own.s, 2)], 0) : concat([slice(path.e, 0, 0, 3), sbar], 0);
        const [left, right] = c.orthPrivatePairs
          ? [
              [...ORTH_PS[0], ...ORTH_PP[0]],
              [...ORTH_PS[1], ...ORTH_PP[1]],
            ]
          : ORTH_PS;
        terms.orth = softOrthogonality(zz, left, right);
      }
      if (w.consist > 0) {
        if (c.consistency === 'infonce') {
          // Centred over the batch: S̄ carries a large component common to every sample, which makes every cosine
          // similarity ≈ 1 and pins InfoNCE at log B (measured: 3.47 for B = 32 through four epochs uncentred).
          const centred = sub(sbar, mean(sbar, 1, true));
          const zs = MODALITIES.map((_, k) => modality(centred, k));
          const pairs = CROSS_PAIRS.map(([o, k]) => infoNCE(zs[k], zs[o], { temperature: c.tau }));
          terms.consist = mulScalar(
            pairs.reduce((a, b) => add(a, b)),
            1 / pairs.length,
          );
        } else {
          terms.consist = centralMomentDiscrepancy(sbar, CMD_PAIRS[0], CMD_PAIRS[1], c.cmdMoments);
        }
      }
    }
    if (this.dec_feat) {
      const xc = slice(xAll, 1, B, 2 * B);
      const target = c.detachFeatTarget ? xc.detach() : xc;
      terms.recon_feat = mulScalar(mseLoss(this.dec_feat.forward(add(path.p, path.s)), target), 3); // Σ_m MSE_m
    }
    if (this.dec_input) {
      const ps = concat([path.p, path.s], 3); //                                            (3, B, t, 2d)
      const per = MODALITIES.map((m, k) =>
        mseLoss(this.dec_input!.get(m).forward(modality(ps, k)), this.inputTarget(m, batch, views.text, both)),
      );
      terms.recon_input = per.reduce((a, b) => add(a, b));
    }
    if (this.aux_heads) {
      const auxPred = this.aux_heads.forward(path.e); //                                    (4, B, 1)
      terms.aux = mseLoss(auxPred, expand(y, [4, B, 1])); //                                mean over the 4 experts
    }
    const lambda: Record<string, number> = {
      balance: w.balance,
      orth: w.orth,
      consist: w.consist,
      recon_feat: w.reconFeat,
      recon_input: w.reconInput,
      aux: w.aux,
    };
    let total = terms.task;
    for (const [name, v] of Object.entries(terms)) if (name !== 'task') total = add(total, mulScalar(v, lambda[name]));
    return { total, terms, pred: path.pred };
  }

  // ------------------------------------------------------------------------------------------ router statistics

  /** Per modality [Σ g^s (K_s), Σ g^p (K_p), Σ H(g^s), Σ max g^s, Σ H(g^p), Σ max g^p], then Σ a (4). */
  private usageWidth(): number {
    const { shared, private: Kp } = this.config.experts;
    return 3 * (shared + Kp + 4) + 4;
  }

  /** Adds one batch's routing to the running sums (inside predict's noGrad + tidy). */
  private addUsage(out: Path): void {
    const stats = (g: Tensor) => {
      const h = neg(sum(mul(g, log(addScalar(g, 1e-12))), 2, true)); //                   (3, B, 1) entropy
      return [h, max(g, 2, true)];
    };
    const [hs, ms] = stats(out.gs);
    const [hp, mp] = stats(out.gp);
    const perModality = sum(concat([out.gs, out.gp, hs, ms, hp, mp], 2), 1); //            (3, W)
    accumulateInto(this.usageSums, concat([reshape(perModality, [perModality.size]), sum(out.a, 0)], 0));
  }

  /** Clears the router statistics. */
  resetUsage(): void {
    this.usageSums.dispose();
    this.usageSums = zeros([this.usageWidth()]).keep();
    this.usageSamples = 0;
  }

  /** The router statistics of every predict() since construction or the last resetUsage(), as plain numbers. */
  async expertUsage(): Promise<DerlExpertUsage> {
    const { shared: Ks, private: Kp } = this.config.experts;
    const n = this.usageSamples;
    const v = Array.from(await this.usageSums.toArray(), (x) => (n > 0 ? x / n : 0));
    const W = Ks + Kp + 4;
    const entropy = (q: number[]) => -q.reduce((acc, x) => acc + (x > 0 ? x * Math.log(x) : 0), 0);
    const modalities = MODALITIES.map((modality, m): ModalityUsage => {
      const row = v.slice(m * W, (m + 1) * W);
      const shared = row.slice(0, Ks);
      const priv = row.slice(Ks, Ks + Kp);
      const [sh, smax, ph, pmax] = row.slice(Ks + Kp);
      return {
        modality,
        shared,
        private: priv,
        sharedTopShare: Math.max(...shared),
        sharedUsageEntropy: entropy(shared),
        sharedSampleEntropy: sh,
        sharedSampleMax: smax,
        privateTopShare: Math.max(...priv),
        privateUsageEntropy: entropy(priv),
        privateSampleEntropy: ph,
        privateSampleMax: pmax,
      };
    });
    const pooledShared = Array.from({ length: Ks }, (_, k) => modalities.reduce((acc, u) => acc + u.shared[k], 0) / 3);
    const imp = v.slice(3 * W);
    const importance = Object.fromEntries(
      FUSION_EXPERTS.map((name, i) => [name, imp[i]]),
    ) as DerlExpertUsage['importance'];
    return { samples: n, modalities, pooledShared, importance };
  }

  override dispose(): void {
    this.usageSums.dispose();
    super.dispose();
  }
}

/** A DERL model for `config`. */
export function createDerl(config: DerlConfig): DERL {
  return new DERL(config);
}
