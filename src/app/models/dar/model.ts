// DAR (Decoupling, Alignment and Reconstruction for incomplete multimodal sentiment analysis; IJCAI-25) on webgrad,
// as reconstructed in docs/models.md §6. Tilde = from the corrupted input, plain = from the complete input, hat =
// reconstructed; m ∈ {l, v, a} in that order everywhere.
//
//   U¹_m  = align_m(X_m)                                   (B, t, d)   Conv1d(T_m → t, k 1) over time, Linear, GELU
//   Hc_m  = E_c^m(U¹_m),  Hs_m = E_s^m(U¹_m)               (B, t, d)   Transformers; same weights for both inputs
//   L_sim = mean over the 6 ordered pairs (m, m′) of InfoNCE(z̃c_m → z̃c_m′)               z = mean over time
//         + mean (or Σ, simSpecReduction) over m of InfoNCE(z̃s_m[first half] → z̃s_m[second half]; negatives: z̃s of the
//           other modalities)
//   L_diff = Σ_m CLUB(x = H̃s_m, y = H̃c_m)        estimator held fixed here, trained by auxiliaryStep()
//   L_re  = Σ_m MSE(D^re_m([H̃c_m′, H̃c_m″, H̃s_m]), Ũ¹_m)                       m′, m″ the other two, in order
//   Ĥc_m  = E_com^m(rec_com_proj_m([H̃c_l, H̃c_v, H̃c_a])),  Ĥs_m = E_spec^m(H̃s_m),  Û¹_m = D_m([Ĥc_m, Ĥs_m])
//   F_m   = H̃ + σ(gate([Ĥ, H̃]))⊙(Ĥ − H̃)             = g⊙Ĥ + (1 − g)⊙H̃, for com and spec
//   ŷ     = head([fuse_com_m(Fc_m)[t−1] for m] ++ [fuse_spec_{s→m}(Fs_m ← Fs_s)[t−1] for m, s ≠ m])   9d → 1
//   ŷ_b   = boot_head([mean_t Hc_m for m])                                                  3d → 1
//   L_recon = Σ_m MSE(Ĥc_m, Hc_m) + MSE(Ĥs_m, Hs_m) + MSE(Û¹_m, U¹_m)           targets not detached (models.md §6.5)
//   L_total = MSE(ŷ, y) + MSE(ŷ_b, y) + α·(λ·(L_sim + L_diff) + L_re) + β·L_recon
//
// Layout. Networks of one shape run grouped (engine nn/grouped.ts): features are stacked (G, B, t, d). Parameter names
// (checkpoint keys; test/torch-reference/dar.py uses the same), group order in brackets:
//   text_unk (d_l)                      only with textUnk 'learned'
//   align.<m>.conv.*, align.<m>.proj.*  per modality (input shapes differ)
//   enc.*        GroupedTransformer, 6 groups [E_c^l, E_c^v, E_c^a, E_s^l, E_s^v, E_s^a]
//   dec_re.*     GroupedMLP 3d → h → d, 3 groups [D^re_l, D^re_v, D^re_a]
//   rec_com_proj.*  GroupedLinear 3d → d, 3 groups
//   rec.*        GroupedTransformer, 6 groups [E_com^l, E_com^v, E_com^a, E_spec^l, E_spec^v, E_spec^a]
//   dec.*        GroupedMLP 2d → h → d, 3 groups [D_l, D_v, D_a]
//   gate.*       GroupedLinear 2d → d, 6 groups [com l, v, a, spec l, v, a]
//   fuse_com.*   GroupedTransformer, 3 groups
//   fuse_spec.*  GroupedCrossEncoder, 6 groups in CROSS_PAIRS order [v→l, a→l, l→v, a→v, l→a, v→a]
//   head.fc1/fc2, boot_head.fc1/fc2     Linear 9d → h → 1 and 3d → h → 1, ReLU
//   club.<m>.*   ClubEstimator per modality (not in mainParameters())
//   bert.*       with textEncoder 'bert': HF BertModel's names (../text-encoder.ts); U¹_l = align_l(BERT(ids))

import { zeros } from '../../../engine/creation';
import { noGrad, tidy, Tensor } from '../../../engine/tensor';
import { add, mul, mulScalar, neg, sigmoid, sqrt, sub } from '../../../engine/ops/elementwise';
import { mean, sum } from '../../../engine/ops/reduce';
import { concat, gatherRows, permute, reshape, slice, stack } from '../../../engine/ops/shape';
import { mseLoss } from '../../../engine/ops/loss';
import { infoNCE } from '../../../engine/ops/infonce';
import { weightedSum } from '../../../engine/ops/weighted-sum';
import { launchFusions } from '../../../engine/fusion';
import { Module, parameter } from '../../../engine/nn/module';
import { deriveSeed } from '../../../engine/seed';
import { ClubEstimator } from '../../../engine/nn/club';
import { Adam } from '../../../engine/optim/adam';
import type { Optimizer } from '../../../engine/optim/optimizer';
import { check } from '../../../engine/errors';
import { checkModalityInputs, checkTrainingBatch } from '../inputs';
import type { LossTerms, ModalityInputs, ProbeReadings, SentimentModel, StepCache, TrainingBatch } from '../types';
import { type BlockConfig, type DarConfig, validateDarConfig } from './config';
import {
  GroupedCrossEncoder,
  GroupedLinear,
  GroupedMLP,
  GroupedTransformer,
  MLP,
  ModuleDict,
} from '../../../engine/nn/grouped';
import {
  Alignment,
  centreOverTime,
  clubUpperBoundFixed,
  INPUT_FIELD,
  MODALITIES,
  type Modality,
  perModality,
} from './blocks';
import type { Bert } from '../../../engine/nn/bert';
import { FEATURE_TEXT, makeTextBert, textInputDim, viewsText } from '../text-encoder';

const OP = 'DAR';

/** The ordered (source, target) pairs of the specific branch, grouped by target: for each m, its sources in order. */
export const CROSS_PAIRS: readonly (readonly [Modality, Modality])[] = MODALITIES.flatMap((m) =>
  MODALITIES.filter((s) => s !== m).map((s) => [s, m] as const),
);
const idx = (m: Modality) => MODALITIES.indexOf(m);
const PAIR_SRC = CROSS_PAIRS.map(([s]) => idx(s)); //   [1, 2, 0, 2, 0, 1]
const PAIR_TGT = CROSS_PAIRS.map(([, t]) => idx(t)); // [0, 0, 1, 1, 2, 2]
/** Rows of [H̃c_l, H̃c_v, H̃c_a, H̃s_l, H̃s_v, H̃s_a] that D^re_m reads: the other two commons, then m's specific. */
const RE_ROWS = MODALITIES.flatMap((m, k) => [...PAIR_SRC.filter((_, p) => PAIR_TGT[p] === k), 3 + k]);

const blockOpts = (b: BlockConfig, seed?: number) => ({ heads: b.heads, dimHead: b.dimHead, mlpDim: b.mlpDim, seed });

/** What the corrupted-input path computes. Stacked tensors are (G, B, t, d). */
interface CorruptedPath {
  h: Tensor; //      [H̃c; H̃s] (6)
  hat: Tensor; //    [Ĥc; Ĥs] (6)
  g: Tensor; //      the gates (6)
  pred: Tensor; //   (B, 1)
}

/** What the probes read per sample (src/app/eval/probes.ts); see inspect(). */
export type DarReadings = Required<ProbeReadings>;

export class DAR extends Module implements SentimentModel {
  readonly kind = 'dar';
  readonly config: DarConfig;
  /** The learned [UNK] feature vector for dropped text tokens (d_l); null unless textUnk is 'learned'. */
  readonly text_unk: Tensor | null;
  readonly align: ModuleDict<Alignment>;
  readonly enc: GroupedTransformer;
  readonly dec_re: GroupedMLP;
  readonly rec_com_proj: GroupedLinear;
  readonly rec: GroupedTransformer;
  readonly dec: GroupedMLP;
  readonly gate: GroupedLinear;
  readonly fuse_com: GroupedTransformer;
  readonly fuse_spec: GroupedCrossEncoder;
  readonly head: MLP;
  readonly boot_head: MLP;
  readonly club: ModuleDict<ClubEstimator>;
  /** BERT on the token ids (textEncoder 'bert'), else null. */
  readonly bert: Bert | null;
  /** The CLUB estimators' own Adam, made on the first auxiliaryStep(). */
  private clubOptimizer: Adam | null = null;

  constructor(config: DarConfig) {
    super();
    validateDarConfig(config);
    this.config = config;
    const { d, t, dims, seed, mlpHidden: h } = config;
    // Submodule k's seed derives from the model's (without one, each draws from the global sequence).
    let k = 0;
    const s = () => (seed === undefined ? undefined : deriveSeed(seed, k++));
    const transformer = (G: number, b: BlockConfig) => new GroupedTransformer(G, t, d, b.depth, blockOpts(b, s()));

    this.text_unk = config.textUnk === 'learned' ? parameter(zeros([dims.text.dim])) : null;
    const text = config.textEncoder ?? FEATURE_TEXT;
    this.align = perModality((m) => {
      const md = dims[INPUT_FIELD[m]];
      const inDim = m === 'l' ? textInputDim(text, dims) : md.dim;
      return new Alignment(md.len, inDim, t, d, s(), config.alignNorm, config.alignInit);
    });
    this.enc = transformer(6, config.encoder);
    if (config.posInit === 'centred') centreOverTime(this.enc);
    this.dec_re = new GroupedMLP(3, 3 * d, h, d, 'gelu', s());
    this.rec_com_proj = new GroupedLinear(3, 3 * d, d, { seed: s() });
    this.rec = transformer(6, config.recon);
    this.dec = new GroupedMLP(3, 2 * d, h, d, 'gelu', s());
    this.gate = new GroupedLinear(6, 2 * d, d, { seed: s() });
    this.fuse_com = transformer(3, config.fusionSelf);
    this.fuse_spec = new GroupedCrossEncoder(6, d, config.fusionCross.depth, blockOpts(config.fusionCross, s()));
    this.head = new MLP(9 * d, h, 1, 'relu', s());
    this.boot_head = new MLP(3 * d, h, 1, 'relu', s());
    this.club = perModality(
      () => new ClubEstimator(d, { hidden: config.club.hidden, lstmHidden: config.club.lstmHidden, seed: s() }),
    );
    // Made last, from a seed of its own, so that every other module's weights are those of the feature path.
    this.bert = makeTextBert(text, seed === undefined ? undefined : deriveSeed(seed, 1000));
  }

  /** Every parameter except the CLUB estimators' (they have their own optimiser) and a frozen BERT's. */
  mainParameters(): [string, Tensor][] {
    const frozen = this.config.textEncoder?.frozen === true;
    return this.namedParameters().filter(([n]) => !n.startsWith('club.') && !(frozen && n.startsWith('bert.')));
  }

  /** The CLUB estimators' parameters (trained by auxiliaryStep()). */
  clubParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([n]) => n.startsWith('club.'));
  }

  /** The estimators' optimiser (null until the first auxiliaryStep() or auxiliaryOptimizers()). */
  get clubOptim(): Adam | null {
    return this.clubOptimizer;
  }

  /** Model selection's validation quantity (config.selection): L_total, or L_total without α·λ·L_diff. */
  selectionLoss(validTerms: Readonly<Record<string, number>>): number {
    const c = this.config;
    if (c.selection === 'total' || validTerms.diff === undefined) return validTerms.total;
    return validTerms.total - c.alpha * c.lambda * validTerms.diff;
  }

  /** The CLUB estimators' own Adam (made here if needed), which checkpoints store beside the main optimizer's state. */
  auxiliaryOptimizers(): Record<string, Optimizer> {
    const c = this.config;
    if (c.ablation.noDiff || c.club.innerSteps === 0) return {};
    this.clubOptimizer ??= new Adam(this.clubParameters(), { lr: c.club.lr });
    return { club: this.clubOptimizer };
  }

  // ------------------------------------------------------------------------------------------ input checks

  /** Validates one view of the inputs against the config; returns the batch size. */
  private checkInputs(x: ModalityInputs, what: string): number {
    return checkModalityInputs(OP, this.config.dims, x, what, this.bert !== null);
  }

  private checkBatch(batch: TrainingBatch): number {
    return checkTrainingBatch(OP, this.config.dims, batch, this.needsComplete(), this.bert !== null);
  }

  /** The complete-input branch feeds L_recon's targets and the bootstrap head only. */
  private needsComplete(): boolean {
    return !this.config.ablation.noRecon || !this.config.ablation.noBoot;
  }

  // ------------------------------------------------------------------------------------------- the network

  /** The text a view feeds the model: with textUnk 'learned', dropped tokens become text_unk. */
  private text(x: ModalityInputs): Tensor {
    if (!this.text_unk || !x.textDropped) return x.text;
    const [B, T] = x.textDropped.shape;
    return add(x.text, mul(reshape(x.textDropped, [B, T, 1]), sub(this.text_unk, x.text))); // text + m·(unk − text)
  }

  /**
   * The aligned features of one or more views, views concatenated on the batch axis, modalities stacked: (3, N, t, d).
   * Then [Hc; Hs] = enc([U; U]) (6, N, t, d): the six encoders in one grouped pass.
   */
  private encodeViews(views: ModalityInputs[]): { u: Tensor; h: Tensor } {
    const join = (xs: Tensor[]) => (xs.length === 1 ? xs[0] : concat(xs, 0));
    const T = this.config.dims.text.len;
    const input = {
      l: viewsText(this.bert, this.config.textEncoder ?? FEATURE_TEXT, views, T, (v) => this.text(v)),
      v: join(views.map((v) => v.vision)),
      a: join(views.map((v) => v.audio)),
    };
    const u = stack(
      MODALITIES.map((m) => this.align.get(m).forward(input[m])),
      0,
    );
    return { u, h: this.enc.forward(concat([u, u], 0)) };
  }

  /** Reconstruction and gates from [H̃c; H̃s] (6, B, t, d): Ĥ = [Ĥc; Ĥs] and g, both (6, B, t, d). */
  private reconstruct(h: Tensor): { hat: Tensor; g: Tensor } {
    const { t, d } = this.config;
    const B = h.shape[1];
    const allCom = reshape(permute(slice(h, 0, 0, 3), [1, 2, 0, 3]), [B, t, 3 * d]); //    [H̃c_l, H̃c_v, H̃c_a] (B, t, 3d)
    const recIn = concat([this.rec_com_proj.forwardShared(allCom), slice(h, 0, 3, 6)], 0); // (6, B, t, d)
    const hat = this.rec.forward(recIn); //                                                 [Ĥc; Ĥs]
    return { hat, g: sigmoid(this.gate.forward(concat([hat, h], 3))) };
  }

  /** The corrupted-input path after the encoders: reconstruction → gates → fusion → ŷ. */
  private headPath(h: Tensor): CorruptedPath {
    const { t, d } = this.config;
    const B = h.shape[1];
    const { hat, g } = this.reconstruct(h);
    const fused = add(h, mul(g, sub(hat, h))); //                                           g⊙Ĥ + (1 − g)⊙H̃
    // Last frame of each group's output, groups side by side on features: (G, B, t, d) → (B, G·d).
    const lastFrames = (x: Tensor) => reshape(permute(slice(x, 2, t - 1, t), [1, 2, 0, 3]), [B, x.shape[0] * d]);
    const hCom = lastFrames(this.fuse_com.forward(slice(fused, 0, 0, 3))); //              (B, 3d)
    const fSpec = reshape(slice(fused, 0, 3, 6), [3, B * t * d]);
    const rows = (ix: number[]) => reshape(gatherRows(fSpec, ix), [ix.length, B, t, d]);
    const hSpec = lastFrames(this.fuse_spec.forward(rows(PAIR_TGT), rows(PAIR_SRC))); //  (B, 6d)
    const pred = this.head.forward(concat([hCom, hSpec], 1)); //                           (B, 9d) → (B, 1)
    return { h, hat, g, pred };
  }

  /** Predictions (B, 1) from (possibly incomplete) inputs: the corrupted-input path only, without the tape. */
  predict(x: ModalityInputs): Tensor {
    this.checkInputs(x, 'input');
    return noGrad(() =>
      tidy(() => {
        return this.headPath(this.encodeViews([x]).h).pred;
      }),
    );
  }

  /**
   * Predictions (B, 1) for conditions of one batch in which whole modalities are absent (evaluateModalityDrop): a
   * modality's encodings depend on its own input alone, so each modality is encoded twice, from `complete` and from
   * `none` (every modality absent), and each condition's [H̃c; H̃s] is put together from those groups. The same
   * numbers as predict() on each condition's input, with two views encoded instead of one per condition.
   */
  predictModalityDrops(
    complete: ModalityInputs,
    none: ModalityInputs,
    conditions: readonly (readonly ('text' | 'audio' | 'vision')[])[],
  ): Tensor[] {
    const B = this.checkInputs(complete, 'complete input');
    const Bn = this.checkInputs(none, 'input without modalities');
    check(
      Bn === B,
      OP,
      `predictModalityDrops: the complete input has ${B} samples, the one without modalities ${Bn}`,
      [],
    );
    const name = { l: 'text', v: 'vision', a: 'audio' } as const;
    return noGrad(() =>
      tidy(() => {
        // Each pass in a scope of its own, so that only its result outlives it (a supplied BERT's activations are large).
        const views = [complete, none].map((x) => tidy(() => this.encodeViews([x]).h)); //      (6, B, t, d) each
        return conditions.map((absent) =>
          tidy(() => {
            // Group g belongs to modality g mod 3 (common l, v, a; specific l, v, a).
            const groups = [0, 1, 2, 3, 4, 5].map((g) =>
              slice(views[absent.includes(name[MODALITIES[g % 3]]) ? 1 : 0], 0, g, g + 1),
            );
            return this.headPath(concat(groups, 0)).pred;
          }),
        );
      }),
    );
  }

  /**
   * The decoupled spaces the encoders give for (possibly incomplete) inputs: H̃c_m and H̃s_m averaged over time,
   * (3, B, d) each, modalities l, v, a. What the demo's 3D view draws (src/app/demo/space-view.ts).
   */
  decoupled(x: ModalityInputs): { common: Tensor; specific: Tensor } {
    this.checkInputs(x, 'input');
    return noGrad(() =>
      tidy(() => {
        const perSample = mean(this.encodeViews([x]).h, 2); //                                (6, B, d)
        return { common: slice(perSample, 0, 0, 3), specific: slice(perSample, 0, 3, 6) };
      }),
    );
  }

  /**
   * What the probes read (src/app/eval/probes.ts), without the tape, from a corrupted view and its complete original:
   *   z       (6, B, d)  [zc_l, zc_v, zc_a, zs_l, zs_v, zs_a] = mean over time of [H̃c; H̃s]
   *   zSim    (6, B, d) or (6, B, t·d)  the same as L_sim reads them (config.simPool)
   *   gate    (6, B)     mean over (t, d) of the gates g, per sample
   *   hatErr  (6, B)     ‖Ĥ − H‖_F per sample: how far the reconstruction is from the complete input's features
   *   tildeErr (6, B)    ‖H̃ − H‖_F per sample: how far the corrupted features are (what reconstruction should close)
   */
  inspect(corrupted: ModalityInputs, complete: ModalityInputs): DarReadings {
    const B = this.checkInputs(corrupted, 'corrupted input');
    this.checkInputs(complete, 'complete input');
    return noGrad(() =>
      tidy(() => {
        const enc = this.encodeViews([corrupted, complete]);
        const h = slice(enc.h, 1, 0, B); //                                                  [H̃c; H̃s] (6, B, t, d)
        const { hat, g } = this.reconstruct(h);
        return this.readings(h, hat, g, slice(enc.h, 1, B, 2 * B));
      }),
    );
  }

  /**
   * predict() and inspect() from one pass, for an evaluation that probes at some of its missing rates
   * (src/app/train/evaluate.ts): the prediction (B, 1), the readings, and `encoding`, this input's [H̃c; H̃s]
   * (6, B, t, d). `complete` is the complete input's `encoding` from an earlier call (the caller keeps it), or null when
   * `x` is itself the complete input. The same numbers as predict(x) and inspect(x, complete), computed once.
   */
  predictInspect(
    x: ModalityInputs,
    complete: Tensor | null,
  ): { pred: Tensor; encoding: Tensor; readings: DarReadings } {
    const B = this.checkInputs(x, 'input');
    const { t, d } = this.config;
    if (complete) {
      check(
        complete.shape.join() === [6, B, t, d].join(),
        OP,
        `predictInspect: the complete encoding must be [6, ${B}, ${t}, ${d}], got [${complete.shape.join(', ')}]`,
        [complete.shape],
      );
    }
    return noGrad(() =>
      tidy(() => {
        const { h } = this.encodeViews([x]);
        const path = this.headPath(h);
        return { pred: path.pred, encoding: h, readings: this.readings(h, path.hat, path.g, complete ?? h) };
      }),
    );
  }

  /** inspect()'s readings from a pass's [H̃c; H̃s], Ĥ and g and the complete input's [Hc; Hs], all (6, B, t, d). */
  private readings(h: Tensor, hat: Tensor, g: Tensor, hc: Tensor): DarReadings {
    const [, B, t, d] = h.shape;
    const perSample = (x: Tensor) => reshape(x, [6, B, t * d]);
    const norm = (x: Tensor) => sqrt(sum(mul(perSample(x), perSample(x)), 2)); //            (6, B)
    return {
      z: mean(h, 2),
      zSim: this.simFeatures(h),
      gate: mean(perSample(g), 2),
      hatErr: norm(sub(hat, hc)),
      tildeErr: norm(sub(h, hc)),
    };
  }

  /** What L_sim compares per sample: the mean over time of (6, B, t, d) (simPool 'mean'), or all t·d values ('flat'). */
  private simFeatures(h: Tensor): Tensor {
    const [G, B, t, d] = h.shape;
    return this.config.simPool === 'flat' ? reshape(h, [G, B, t * d]) : mean(h, 2);
  }

  /** L_total and its terms on one training batch (call backward() on `total`); see the top of this file. */
  losses(batch: TrainingBatch, cache?: StepCache): LossTerms {
    const { total, terms, pred } = this.lossesAndPath(batch, cache);
    return { total, terms, pred };
  }

  /** losses() and inspect()'s readings from the same pass, without the tape (validation's probes). */
  lossesInspect(batch: TrainingBatch): { losses: LossTerms; readings: DarReadings } {
    return noGrad(() =>
      tidy(() => {
        const { total, terms, pred, path, completeH } = this.lossesAndPath(batch);
        const complete = completeH() ?? this.encodeViews([batch.complete]).h;
        return { losses: { total, terms, pred }, readings: this.readings(path.h, path.hat, path.g, complete) };
      }),
    );
  }

  /** losses(), with the corrupted path and the complete input's [Hc; Hs] (null when no term needed it). */
  private lossesAndPath(
    batch: TrainingBatch,
    cache?: StepCache,
  ): LossTerms & { path: CorruptedPath; completeH: () => Tensor | null } {
    const B = this.checkBatch(batch);
    const c = this.config;
    const { t, d } = c;
    const { noSim, noDiff, noRecon, noBoot } = c.ablation;
    const withComplete = this.needsComplete();
    // Corrupted and complete views go through alignment and encoders together: batch rows [0, B) and [B, 2B).
    const enc =
      cachedEncoding(cache, batch) ??
      this.encodeViews(withComplete ? [batch.corrupted, batch.complete] : [batch.corrupted]);
    const view = (x: Tensor, k: number) => (withComplete ? slice(x, 1, k * B, (k + 1) * B) : x);
    const u = view(enc.u, 0);
    const h = view(enc.h, 0); //                                                             [H̃c; H̃s] (6, B, t, d)
    const path = this.headPath(h);
    const y = batch.labels;
    const terms: Record<string, Tensor> = {};
    // Σ w·x over a loss's scalar terms, added in order: one launch each way (mulScalar/add with fusions off).
    const wsum = (xs: Tensor[], ws = xs.map(() => 1), scale = 1) => weightedSum(xs, ws, { scale });
    const modality = (x: Tensor, k: number) => reshape(slice(x, 0, k, k + 1), x.shape.slice(1)); // group k of (G, ...)

    terms.task = mseLoss(path.pred, y);
    if (!noBoot) {
      const hc = view(enc.h, 1);
      const z = reshape(permute(mean(slice(hc, 0, 0, 3), 2), [1, 0, 2]), [B, 3 * d]); //  [mean_t Hc_m] (B, 3d)
      terms.boot = mseLoss(this.boot_head.forward(z), y);
    }

    // L_decouple = λ(L_sim + L_diff) + L_re.
    const decouple: Tensor[] = [];
    const decoupleWeights: number[] = [];
    if (!noSim) {
      const z = this.simFeatures(h); //                                         (6, B, d), or (6, B, t·d) with simPool 'flat'
      const temperature = c.tau;
      const half = Math.floor(B / 2);
      const specReduction = c.simSpecReduction === 'sum' ? 'sum' : 'mean';
      if (launchFusions()) {
        // The six pairs in one infoNCE call, and the three modalities' L_sim^spec in another (P problems side by side,
        // ops/infonce.ts): the same losses as the calls below, the gradients summed in another order.
        // Every use reads rows of one (6, B·w) view of z, so that each adds its gradient into that view's in its own
        // kernel (autograd's `into`) rather than through accumulate launches.
        const w = z.shape[2];
        const zr = reshape(z, [6, B * w]);
        const groups = (ix: number[], rows = B) => reshape(gatherRows(zr, ix), [(ix.length * B) / rows, rows, w]);
        terms.sim_com = infoNCE(groups(PAIR_TGT), groups(PAIR_SRC), { temperature }); // anchors m, positives m′
        if (half >= 1) {
          const zs = slice(zr, 0, 3, 6); //                                                         (3, B·w)
          const part = (from: number) => reshape(slice(zs, 1, from * w, (from + half) * w), [3, half, w]);
          terms.sim_spec = infoNCE(part(0), part(half), {
            temperature,
            // Problem k's negatives [zs_o; zs_o′] for the other two modalities o < o′: rows 3 + PAIR_SRC, paired up.
            negatives: groups(
              PAIR_SRC.map((k) => 3 + k),
              2 * B,
            ),
            inBatchNegatives: false,
            reduction: specReduction,
          });
        }
      } else {
        const zc = MODALITIES.map((_, k) => modality(z, k));
        const zs = MODALITIES.map((_, k) => modality(z, 3 + k));
        const pairs = CROSS_PAIRS.map(([o, m]) => infoNCE(zc[idx(m)], zc[idx(o)], { temperature }));
        terms.sim_com = wsum(pairs, undefined, 1 / pairs.length);
        if (half >= 1) {
          // Anchor sample i, positive sample half + i of the same modality, negatives every specific vector of the others.
          const per = MODALITIES.map((_, k) =>
            infoNCE(slice(zs[k], 0, 0, half), slice(zs[k], 0, half, 2 * half), {
              temperature,
              negatives: concat(
                zs.filter((_, o) => o !== k),
                0,
              ),
              inBatchNegatives: false,
            }),
          );
          terms.sim_spec = wsum(per, undefined, specReduction === 'sum' ? 1 : 1 / per.length);
        }
      }
      let sim = terms.sim_com;
      if (half >= 1) {
        sim = wsum([sim, terms.sim_spec]);
      } else {
        terms.sim_spec = zeros([]); //  a batch of one has no second sample to pair with; the term set stays the same
      }
      terms.sim = sim;
      decouple.push(sim);
      decoupleWeights.push(c.lambda);
    }
    if (!noDiff) {
      terms.diff = wsum(
        MODALITIES.map((m, k) => clubUpperBoundFixed(this.club.get(m), modality(h, 3 + k), modality(h, k))),
      );
      decouple.push(terms.diff);
      decoupleWeights.push(c.lambda);
    }
    // D^re_m reads [the other two H̃c, H̃s_m] on features: (3, B, t, 3d).
    const reIn = reshape(
      permute(reshape(gatherRows(reshape(h, [6, B * t * d]), RE_ROWS), [3, 3, B, t, d]), [0, 2, 3, 1, 4]),
      [3, B, t, 3 * d],
    );
    const restored = this.dec_re.forward(reIn); //                                          (3, B, t, d)
    const reTarget = c.detachReTarget ? u.detach() : u;
    // Σ_m MSE_m = 3·MSE over all three (equal sizes); 'sum' is ‖·‖²_F per sample, summed over m.
    terms.re =
      c.reReduction === 'mean'
        ? mulScalar(mseLoss(restored, reTarget), 3)
        : mulScalar(mseLoss(restored, reTarget, 'sum'), 1 / B);
    decouple.push(terms.re);
    decoupleWeights.push(1);
    terms.decouple = wsum(decouple, decoupleWeights);

    if (!noRecon) {
      const uc = view(enc.u, 1);
      const hc = view(enc.h, 1);
      // D_m reads [Ĥc_m, Ĥs_m] on features: (2, 3, B, t, d) → (3, B, t, 2d).
      const decIn = reshape(permute(reshape(path.hat, [2, 3, B, t, d]), [1, 2, 3, 0, 4]), [3, B, t, 2 * d]);
      const uHat = this.dec.forward(decIn);
      // Σ_m [MSE(Ĥc_m, Hc_m) + MSE(Ĥs_m, Hs_m)] = 6·MSE over the six groups; Σ_m MSE(Û¹_m, U¹_m) = 3·MSE over three.
      terms.recon = wsum([mseLoss(path.hat, hc), mseLoss(uHat, uc)], [6, 3]);
    }

    const parts = [terms.task, terms.boot, terms.decouple, terms.recon];
    const weights = [1, 1, c.alpha, c.beta].filter((_, j) => parts[j]);
    const total = wsum(
      parts.filter((t) => t),
      weights,
    );
    // The complete input's [Hc; Hs] only when asked for (a slice is a launch: losses() does not need it).
    return { total, terms, pred: path.pred, path, completeH: () => (withComplete ? view(enc.h, 1) : null) };
  }

  /**
   * The CLUB estimators' inner loop (docs/models.md §6.4, CMG's pattern): on the corrupted batch's features, computed
   * without the tape (so detached), `club.innerSteps` steps of the estimators' own Adam maximising Σ_m logLikelihood_m.
   * Returns { club_ll } (the summed log-likelihood before the last step), or {} when L_diff is ablated. The encodings
   * it makes (on the tape) go into `cache`: losses() on the same batch starts from them instead of running the
   * alignment and the encoders again (the weights have not changed in between).
   */
  auxiliaryStep(batch: TrainingBatch, cache?: StepCache): Record<string, Tensor> {
    const c = this.config;
    const B = this.checkBatch(batch);
    if (cache) cache.batch = cache.value = undefined;
    if (c.ablation.noDiff || c.club.innerSteps === 0) return {};
    const opt = this.auxiliaryOptimizers().club;
    // Made in the caller's scope (the training step's tidy), so that it lives until losses() takes it.
    const enc = this.encodeViews(this.needsComplete() ? [batch.corrupted, batch.complete] : [batch.corrupted]);
    if (cache) Object.assign(cache, { batch, value: enc });
    return tidy(() => {
      const h = slice(enc.h, 1, 0, B).detach(); //                                          [H̃c; H̃s] (6, B, t, d)
      const modality = (k: number) => reshape(slice(h, 0, k, k + 1), h.shape.slice(1));
      const feats = MODALITIES.map((_, k) => ({ x: modality(3 + k), y: modality(k) }));
      let ll: Tensor | null = null;
      for (let k = 0; k < c.club.innerSteps; k++) {
        ll?.dispose();
        ll = tidy(() => {
          opt.zeroGrad();
          const l = weightedSum(
            MODALITIES.map((m, j) => this.club.get(m).logLikelihood(feats[j].x, feats[j].y)),
            [1, 1, 1],
          );
          neg(l).backward();
          opt.step();
          return l.detach();
        });
      }
      opt.zeroGrad();
      return { club_ll: ll! };
    });
  }

  override dispose(): void {
    this.clubOptimizer?.dispose();
    this.clubOptimizer = null;
    super.dispose();
  }
}

/** auxiliaryStep()'s encodings of `batch` in `cache`, if they are still there, else null. Each is used once. */
function cachedEncoding(cache: StepCache | undefined, batch: TrainingBatch): { u: Tensor; h: Tensor } | null {
  const enc = cache?.batch === batch ? (cache.value as { u: Tensor; h: Tensor } | undefined) : undefined;
  if (cache) cache.batch = cache.value = undefined;
  return enc && !enc.u.disposed && !enc.h.disposed ? enc : null;
}

/** A DAR model for `config`. */
export function createDar(config: DarConfig): DAR {
  return new DAR(config);
}
