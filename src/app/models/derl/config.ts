// DERL's configuration (spec §7; the paper's full text is unavailable, so every size and choice below is [INFERRED]
// from the abstract and the spec's design sketch). One typed object, three presets, every inferred choice named here.
//
// Choices, by spec §7 item:
//   §7.1 unimodal embedding: DAR's alignment layer (spec §6.2: Conv1d(T_m → t, kernel 1) over time, Linear(d_m → d),
//        GELU) followed by one LNLN Transformer per modality (`embed`, learned positions, no extra tokens) on the t
//        aligned steps. The sketch's LNLN-style "Linear + Transformer with 8 learnable tokens over all T_m frames" would
//        attend over 383 / 508 frames per modality; the alignment gives the same X_m ∈ R^{t×d} at a fraction of the
//        cost and shares DAR's first stage, so both models start from the same kind of representation.
//   §7.2 hybrid experts: K_p private experts per modality and a pool of K_s shared experts, all 2-layer MLPs
//        d → h_e → d with GELU, applied per time step. Per-modality routers read mean_t X_m: g^p_m = softmax(W^p_m z_m),
//        g^s_m = softmax(W^s_m z_m) (Linear with bias). Routing is per sample. `topK` = k ≥ 1 keeps the k largest
//        logits of each router and renormalises over them (Mixtral-style top-k softmax, kernels/topk/topk_softmax.wgsl);
//        a pool of ≤ k experts (K_p = 2 here) is routed softly. Every preset uses top-2 (the sketch's "soft routing,
//        or top-2"). Measured on synthetic MOSI (small, seed 1111, 4 epochs, test set at rate 0): top-2 MAE 0.789,
//        each modality on its own shared experts (per-sample gate entropy 0.15–0.59 nats); soft routing MAE 0.796,
//        also specialised (0.22–0.62). With the earlier objective (λ_cons 0.1, L_orth into the embedding) soft
//        routers stayed uniform (1.375 of log 4 = 1.386) while top-2 specialised, which is why top-2 became the
//        default. topK 0 = soft routing.
//        P_m = Σ_k g^p_{m,k} E^p_{m,k}(X_m), S_m = Σ_k g^s_{m,k} E^s_k(X_m).
//        L_balance (Switch-style K·Σ_k f_k·p_k): f_k = mean dispatch weight of expert k (the gates actually used,
//        detached, as Switch's hard fraction carries no gradient), p_k = mean router probability (full softmax). The
//        shared pool is balanced over all 3B routing decisions together (the pool is one resource; each modality may
//        prefer its own experts), each private pool over its modality's B decisions (mean over modalities). Each
//        pool's term is 1 when perfectly balanced (and always 1 for a pool of one expert), so L_balance ≈ 2 then.
//   §7.3 L_orth (MISA-style soft orthogonality): P̄_m, S̄_m = mean_t P_m, S_m (B × d), centred over the batch, each
//        row L2-normalised (x / √(‖x‖² + 1e-12), not detached); L_orth = Σ_pairs mean((P̄ᵀ S̄)²) over the d × d
//        entries (MISA's DiffLoss reduction; the spec's ‖·‖²_F = d²× this). Pairs: (P_m, S_m) for every m, plus
//        (P_m, P_m′) for m < m′ when `orthPrivatePairs` (the sketch's option; default on: it keeps the three private
//        spaces apart as well as away from the shared one).
//        `orthGradient` 'experts' (default): L_orth is computed from a second pass of the routers and experts over X̃
//        detached, so it trains the experts and routers (which are what it should disentangle) and never reaches the
//        embedding. Reason, measured (synthetic MOSI, small, seed 1111, 6 epochs): the row normalisation makes the
//        term scale-invariant, so its gradient grows as 1/‖x‖; text's batch-centred embedding starts small (mean
//        per-feature std 0.09 against vision's 0.23: its sentiment direction is one of 768), and L_orth's gradient on
//        align.l.proj was 120× the task's (4.49 vs 0.037). With it flowing into the embedding ('full'), the text
//        path never learned (its std stayed at 0.1; valid MAE 0.93; in the 3-seed run with λ_cons 0.1, the test
//        metrics with text absent equalled those with text); with 'experts' (and λ_cons 0.01, below), valid MAE 0.653
//        and text the strongest modality. 'full' keeps the literal reading.
//        L_consist on the shared representations S̄_m (time-averaged): 'infonce' (default) = DAR's L_sim^com on the
//        batch-centred S̄_m: InfoNCE(S̄_m → S̄_m′) with cosine similarity at temperature τ, mean over the 6 ordered
//        pairs (centred because the uncentred S̄ share a large common component that puts every cosine near 1 and
//        held InfoNCE at log B, i.e. chance, through a whole training run); or
//        'cmd' = MISA's central moment discrepancy, Σ over the 3 pairs of ‖E X − E Y‖₂ + Σ_{k=2..K} ‖c_k(X) − c_k(Y)‖₂
//        (c_k = k-th central moment per feature over the batch; √(· + 1e-12) keeps the gradient finite at 0).
//   §7.4 multi-level reconstruction (training only; targets from the complete input):
//        feature level   L_recon_feat = Σ_m MSE(Dec^f_m(P_m + S_m), X_m^complete), Dec^f_m an MLP d → h → d (GELU),
//                        X^complete = embed(align(complete)) with the same weights, DETACHED by default
//                        (`detachFeatTarget`; unlike DAR's L_recon targets): with a live target the embedding learns to
//                        shrink X toward a constant, which L_recon_feat rewards (measured on synthetic MOSI, small,
//                        top-2, 4 epochs: L_recon_feat 2.4 → 0.16 while the task sat at the predict-the-mean plateau,
//                        MSE 2.08, corr 0.13; detached: L_recon_feat ≈ 1, the task left the plateau, corr 0.45);
//        input level     L_recon_input = Σ_m MSE(Dec^u_m([P_m, S_m]), U_m^complete) on the raw input (B, T_m, d_m):
//                        Dec^u_m = per-step MLP 2d → h → d_m (GELU), then Conv1d(t → T_m, kernel 1) over time, the
//                        mirror image of the alignment layer. (The sketch's alternative, only the masked positions, is
//                        not implemented.) The representation-level option (S(corrupted) ≈ S(complete)) is not either.
//   §7.5 importance-aware fusion: the four "modality experts" e = [mean_t P_l, mean_t P_v, mean_t P_a, mean_m mean_t S_m]
//        (B, 4, d); importance a = softmax_i(vᵀ tanh(W e_i)) (W: d → h_a with bias, v: h_a → 1 without); h = Σ a_i e_i;
//        ŷ = MLP(h) (d → h → 1, ReLU). Auxiliary per-expert regressors (one MLP d → h → 1 per expert, ReLU):
//        L_aux = mean over the 4 experts of MSE(ŷ_i, y). No completeness conditioning (LNLN's w): not implemented.
//   §7.6 L_total = MSE(ŷ, y) + λ_bal·L_balance + λ_orth·L_orth + λ_cons·L_consist + λ_rf·L_recon_feat
//        + λ_ri·L_recon_input + λ_aux·L_aux, every λ 0.1 (the sketch's starting point) except λ_cons = 0.01: InfoNCE
//        on cosine similarities is scale-invariant too, and at 0.1 it slowed the text path the same way (measured as
//        above, with L_orth off: valid MAE 0.904 at λ_cons 0.1 against 0.656 with neither term). A term whose λ is 0 is not
//        computed and not reported (the term set stays constant over a run, as the trainer requires); with both
//        reconstruction weights 0 the complete input is not read at all.
//
// Presets.
//   paper: d = 128, t = 8 (LNLN's sizes, as DAR); embed = LNLN block (depth 2, 8 heads of 16, FFN 128); K_p = 2,
//          K_s = 4 (the sketch's "e.g."), top-2, expert width 128; head / decoder / importance widths 128.
//   small: d = 32, t = 8; embed depth 1, 2 heads of 16, FFN 32; K_p = 2, K_s = 4, top-2, expert width 32; widths 32. For
//          training on the CPU-emulated GPU in minutes (like DAR's small preset).
//   tiny:  d = 8, t = 4; embed depth 1, 2 heads of 4, FFN 12; K_p = 2, K_s = 3, top-2, widths 8. For tests and fixtures.
//
// Dataset dims (T_m, d_m) are parameters: `derlConfig('small', MOSI_DIMS)`.

import { check } from '../../../engine/errors';
import type { DatasetDims } from '../../data/types';
import type { BlockConfig } from '../dar/config';

export type DerlPreset = 'paper' | 'small' | 'tiny';

export interface DerlExperts {
  /** K_p: private experts per modality (≥ 1). */
  private: number;
  /** K_s: experts in the shared pool (≥ 1). */
  shared: number;
  /** h_e: hidden width of every expert MLP (d → h_e → d). */
  hidden: number;
  /** k ≥ 1: top-k softmax in each router (every preset: 2; a pool of K ≤ k is routed softly); 0 = soft routing. */
  topK: number;
}

/** The λ of each auxiliary term of L_total (§7.6); 0 removes the term. */
export interface DerlWeights {
  balance: number;
  orth: number;
  consist: number;
  reconFeat: number;
  reconInput: number;
  aux: number;
}

export interface DerlConfig {
  readonly preset: DerlPreset | 'custom';
  /** (T_m, d_m) of the dataset's text (l), audio (a) and vision (v). */
  readonly dims: DatasetDims;
  /** Width d of every representation. */
  readonly d: number;
  /** Aligned length t (the alignment conv's out-channels). */
  readonly t: number;
  /** The per-modality Transformer after the alignment layer (§7.1). */
  readonly embed: BlockConfig;
  readonly experts: DerlExperts;
  /** Hidden width of the prediction head, the auxiliary heads, Dec^f_m and Dec^u_m. */
  readonly mlpHidden: number;
  /** Hidden width h_a of the importance scorer vᵀ tanh(W e). */
  readonly importanceHidden: number;
  /** Shared-representation consistency: InfoNCE (DAR's L_sim^com) or central moment discrepancy. */
  readonly consistency: 'infonce' | 'cmd';
  /** InfoNCE temperature τ (consistency 'infonce'). */
  readonly tau: number;
  /** Highest moment K of the CMD (consistency 'cmd'; MISA uses 5). */
  readonly cmdMoments: number;
  /** Also make the private spaces of different modalities orthogonal (§7.3's option). */
  readonly orthPrivatePairs: boolean;
  /** Where L_orth's gradient goes: the experts and routers only (default), or also the embedding and alignment. */
  readonly orthGradient: 'experts' | 'full';
  readonly weights: DerlWeights;
  /** Detach the feature-level reconstruction target X^complete (default true: a live target collapses, see above). */
  readonly detachFeatTarget: boolean;
  /** Dropped text tokens: keep the zeroed vectors ('zero') or substitute a learned vector `text_unk` (as DAR). */
  readonly textUnk: 'zero' | 'learned';
  /** Seed of the initial weights (default: the global sequence, see manualSeed). */
  readonly seed?: number;
}

export type DerlOverrides = Partial<Omit<DerlConfig, 'embed' | 'experts' | 'weights' | 'dims' | 'preset'>> & {
  embed?: Partial<BlockConfig>;
  experts?: Partial<DerlExperts>;
  weights?: Partial<DerlWeights>;
};

const WEIGHTS: DerlWeights = { balance: 0.1, orth: 0.1, consist: 0.01, reconFeat: 0.1, reconInput: 0.1, aux: 0.1 };

const COMMON = {
  consistency: 'infonce' as const,
  tau: 0.1,
  cmdMoments: 5,
  orthPrivatePairs: true,
  orthGradient: 'experts' as const,
  detachFeatTarget: true,
  textUnk: 'zero' as const,
};

function presetValues(preset: DerlPreset): Omit<DerlConfig, 'dims' | 'seed' | 'weights'> {
  switch (preset) {
    case 'paper':
      return {
        ...COMMON, preset, d: 128, t: 8,
        embed: { depth: 2, heads: 8, dimHead: 16, mlpDim: 128 },
        experts: { private: 2, shared: 4, hidden: 128, topK: 2 },
        mlpHidden: 128, importanceHidden: 128,
      };
    case 'small':
      return {
        ...COMMON, preset, d: 32, t: 8,
        embed: { depth: 1, heads: 2, dimHead: 16, mlpDim: 32 },
        experts: { private: 2, shared: 4, hidden: 32, topK: 2 },
        mlpHidden: 32, importanceHidden: 32,
      };
    case 'tiny':
      return {
        ...COMMON, preset, d: 8, t: 4, tau: 0.2,
        embed: { depth: 1, heads: 2, dimHead: 4, mlpDim: 12 },
        experts: { private: 2, shared: 3, hidden: 8, topK: 2 },
        mlpHidden: 8, importanceHidden: 8,
      };
  }
}

/** Overrides that do not change the architecture or the objective (the preset name is kept). */
const COSMETIC = new Set(['seed', 'textUnk']);

/** The config of `preset` for a dataset of the given dims, with optional overrides (nested objects merge); validated. */
export function derlConfig(preset: DerlPreset, dims: DatasetDims, overrides: DerlOverrides = {}): DerlConfig {
  check(preset === 'paper' || preset === 'small' || preset === 'tiny', 'DERL config',
    `preset must be 'paper', 'small' or 'tiny', got ${String(preset)}`);
  check(overrides !== null && typeof overrides === 'object', 'DERL config', 'overrides must be an object');
  const base = presetValues(preset);
  const o = overrides;
  const custom = Object.keys(o).some((k) => !COSMETIC.has(k));
  const cfg: DerlConfig = {
    ...base,
    ...o,
    preset: custom ? 'custom' : preset,
    dims: { text: { ...dims?.text }, audio: { ...dims?.audio }, vision: { ...dims?.vision } },
    embed: { ...base.embed, ...o.embed },
    experts: { ...base.experts, ...o.experts },
    weights: { ...WEIGHTS, ...o.weights },
  };
  validateDerlConfig(cfg);
  return cfg;
}

const posInt = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n > 0;
const posNum = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** Throws a WebgradError naming DERL and the offending field. */
export function validateDerlConfig(c: DerlConfig): void {
  const op = 'DERL config';
  for (const m of ['text', 'audio', 'vision'] as const) {
    const md = c.dims?.[m];
    check(!!md && posInt(md.len) && posInt(md.dim), op, `dims.${m} must have positive integer len and dim, got ${JSON.stringify(md)}`);
  }
  for (const k of ['d', 't', 'mlpHidden', 'importanceHidden', 'cmdMoments'] as const) {
    check(posInt(c[k]), op, `${k} must be a positive integer, got ${c[k]}`);
  }
  const b = c.embed;
  check(Number.isInteger(b.depth) && b.depth >= 0, op, `embed.depth must be an integer ≥ 0, got ${b.depth}`);
  for (const f of ['heads', 'dimHead', 'mlpDim'] as const) check(posInt(b[f]), op, `embed.${f} must be a positive integer, got ${b[f]}`);
  const e = c.experts;
  for (const f of ['private', 'shared', 'hidden'] as const) check(posInt(e[f]), op, `experts.${f} must be a positive integer, got ${e[f]}`);
  check(Number.isInteger(e.topK) && e.topK >= 0, op, `experts.topK must be an integer ≥ 0 (0 = soft routing), got ${e.topK}`);
  check(c.consistency === 'infonce' || c.consistency === 'cmd', op, `consistency must be 'infonce' or 'cmd', got ${String(c.consistency)}`);
  check(posNum(c.tau), op, `tau must be a finite number > 0, got ${c.tau}`);
  for (const k of Object.keys(WEIGHTS) as (keyof DerlWeights)[]) {
    const v = c.weights[k];
    check(typeof v === 'number' && Number.isFinite(v) && v >= 0, op, `weights.${k} must be a finite number ≥ 0, got ${v}`);
  }
  check(Object.keys(c.weights).every((k) => k in WEIGHTS), op, `weights has unknown keys (known: ${Object.keys(WEIGHTS).join(', ')})`);
  check(typeof c.orthPrivatePairs === 'boolean', op, 'orthPrivatePairs must be a boolean');
  check(c.orthGradient === 'experts' || c.orthGradient === 'full', op, `orthGradient must be 'experts' or 'full', got ${String(c.orthGradient)}`);
  check(typeof c.detachFeatTarget === 'boolean', op, 'detachFeatTarget must be a boolean');
  check(c.textUnk === 'zero' || c.textUnk === 'learned', op, `textUnk must be 'zero' or 'learned', got ${String(c.textUnk)}`);
}
