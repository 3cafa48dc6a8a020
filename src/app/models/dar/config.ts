// DAR's configuration: every size the paper leaves open (docs/models.md §6: our choices unless marked [paper]) in one
// typed object, two presets, and the ablation switches of the paper's Table 2.
//
// Presets.
//   paper: d = 128, t = 8 (LNLN's "vector length 8, dim 128"). Every attention block is LNLN-sized: depth 2, 8 heads,
//          FFN width 128. Head size: 16 for the decoupling encoders E_c, E_s (docs/models.md §6.3); 64, the
//          default of LNLN's Transformer / CrossTransformerEncoder, for the other LNLN-style blocks (reconstruction
//          encoders E_com, E_spec; fusion self- and cross-attention).
//   small: d = 32, t = 8, every block depth 1, 2 heads of 16, FFN 32; CLUB LSTM 16 per direction, one estimator step
//          per batch at lr 1e-3; τ = 0.05, the alignment started as an average, the encoders' positions centred (so
//          that L_sim^com aligns the modalities within the budget). Meant for a CPU-emulated GPU (SwiftShader).
//
// Both presets put a LayerNorm after the alignment's mix over time (alignNorm): with missing frames as zero vectors the
// mix shrinks with the share dropped, and without the norm a model trained at k = 0.3 extrapolates badly to 0.8-0.9
// (measured on synthetic-mosi, small preset, 3 seeds: MAE at rate 0.9 1.088 without, 0.963 with).
//
// Dataset dims (T_m, d_m) are parameters: `darConfig('small', MOSI_DIMS)`.

import { check } from '../../../engine/errors';
import type { DatasetDims } from '../../data/types';
import { FEATURE_TEXT, type TextEncoderConfig, validateTextEncoder } from '../text-encoder-config';

/** One stack of LNLN pre-norm attention layers. */
export interface BlockConfig {
  depth: number;
  heads: number;
  dimHead: number;
  /** FFN hidden width. */
  mlpDim: number;
}

/** Which loss terms are removed (the paper's Table 2 ablations); all false = the full model. */
export interface DarAblation {
  /** w/o L_sim (both InfoNCE terms). */
  noSim: boolean;
  /** w/o L_diff (CLUB; the estimator is then not trained either). */
  noDiff: boolean;
  /** w/o L_recon (the input-level decoders D_m then receive no gradient). */
  noRecon: boolean;
  /** w/o L_boot (the bootstrap head then receives no gradient). */
  noBoot: boolean;
}

export type DarPreset = 'paper' | 'small';
export type DarAblationName = 'full' | 'noSim' | 'noDiff' | 'noSimDiff' | 'noRecon' | 'noBoot';

export interface DarConfig {
  readonly preset: DarPreset | 'custom';
  /** (T_m, d_m) of the dataset's text (l), audio (a) and vision (v). */
  readonly dims: DatasetDims;
  /** Aligned width d. */
  readonly d: number;
  /** Aligned length t (the alignment conv's out-channels). */
  readonly t: number;
  /** Decoupling encoders E_c^m, E_s^m (Transformers with learned positions, no extra tokens). */
  readonly encoder: BlockConfig;
  /** Reconstruction encoders E_com^m (after Linear(3d → d)) and E_spec^m. */
  readonly recon: BlockConfig;
  /** Fusion: per-modality self-attention Transformer on the fused common features. */
  readonly fusionSelf: BlockConfig;
  /** Fusion: cross-attention stack per ordered pair of specific features (no positions, no tokens). */
  readonly fusionCross: BlockConfig;
  /** Hidden width of D_m^re (3d → h → d), D_m (2d → h → d), the prediction MLP (9d → h → 1), the boot MLP (3d → h → 1). */
  readonly mlpHidden: number;
  readonly club: {
    /** Hidden width of the μ and logvar heads. */
    hidden: number;
    /** Hidden size per LSTM direction (the BiLSTM output is 2× this and must equal d). */
    lstmHidden: number;
    /** Estimator steps per training batch (n_mi, CMG's mi_iters). */
    innerSteps: number;
    /** Learning rate of the estimator's own Adam. */
    lr: number;
  };
  /** InfoNCE temperature τ. */
  readonly tau: number;
  /**
   * What L_sim's InfoNCE compares per sample: 'mean', the mean over the t aligned steps of H (d values), or 'flat',
   * all of H (t·d values; the paper's Eq. 5–6 name H_m, a t × d matrix, and say nothing of pooling).
   */
  readonly simPool: 'mean' | 'flat';
  /** λ: weight of L_sim + L_diff inside L_decouple [PAPER 0.7]. */
  readonly lambda: number;
  /** α: weight of L_decouple [PAPER 0.1]. */
  readonly alpha: number;
  /** β: weight of L_recon [PAPER 0.1]. */
  readonly beta: number;
  /** Reduction of L_re's squared error: 'mean' (default, as nn.MSELoss) or 'sum' (the paper's ‖·‖²_F). */
  readonly reReduction: 'mean' | 'sum';
  /**
   * L_sim^spec over the three modalities: 'mean' (default) or 'sum', the paper's Σ_m (Eq. 4). Measured: the term is
   * 0.002–0.016 in every epoch, so the choice barely moves L_total (docs/decisions/dar-deviations.md, row 3).
   */
  readonly simSpecReduction: 'mean' | 'sum';
  /** Detach L_re's target Ũ¹_m (the alignment output) — a stability option; the paper does not say (default false). */
  readonly detachReTarget: boolean;
  /**
   * Dropped text tokens (features, not token ids here): 'zero' keeps the zeroed vectors the missing-data protocol
   * produced; 'learned' replaces them with a learned vector `text_unk` (d_l), where `textDropped` marks them.
   */
  readonly textUnk: 'zero' | 'learned';
  /** The text branch: precomputed features (default) or BERT on token ids (../text-encoder.ts). */
  readonly textEncoder: TextEncoderConfig;
  /**
   * A LayerNorm over the features after the alignment's mix over time (docs/models.md §6.2 says only "1D convolutions
   * followed by simple nonlinear layers"). Missing frames are zero vectors, so the mix shrinks with the share dropped;
   * the norm makes the aligned features independent of that scale.
   */
  readonly alignNorm: boolean;
  /**
   * Initial weights of the alignment's mix over time (Conv1d(T_m → t, kernel 1); the paper gives none): 'kaiming',
   * torch's default U(±1/√T_m), or 'average', U(0, 2/T_m): every aligned step starts as a noisy average of the real
   * frames (blocks.ts, Alignment; docs/decisions/dar-deviations.md §1).
   */
  readonly alignInit: 'kaiming' | 'average';
  /**
   * Initial learned positions of the decoupling encoders E_c, E_s (the paper gives none): 'randn', N(0, 1) as LNLN's
   * Transformer, or 'centred', the same draws minus their mean over the t steps, so that the time mean z that L_sim
   * compares starts without a per-modality offset (docs/decisions/dar-deviations.md §1).
   */
  readonly posInit: 'randn' | 'centred';
  /**
   * Model selection's validation quantity. 'total': L_total, literally (docs/models.md §3.2). 'totalWithoutClub'
   * (default): L_total without its α·λ·L_diff term, because L_diff is measured by the CLUB estimator as trained so far,
   * which sharpens every epoch: its value rises (0.03 → 4.8 over 4 epochs of the small preset) even when the features
   * do not change, so comparing it across epochs picks early epochs for the wrong reason.
   */
  readonly selection: 'total' | 'totalWithoutClub';
  readonly ablation: DarAblation;
  /** Seed of the initial weights (default: the global sequence, see manualSeed). */
  readonly seed?: number;
}

/** Anything in the config may be overridden; nested objects merge one level deep. */
export type DarOverrides = Partial<
  Omit<DarConfig, 'encoder' | 'recon' | 'fusionSelf' | 'fusionCross' | 'club' | 'ablation' | 'dims' | 'preset'>
> & {
  encoder?: Partial<BlockConfig>;
  recon?: Partial<BlockConfig>;
  fusionSelf?: Partial<BlockConfig>;
  fusionCross?: Partial<BlockConfig>;
  club?: Partial<DarConfig['club']>;
  ablation?: Partial<DarAblation> | DarAblationName;
};

const FULL: DarAblation = { noSim: false, noDiff: false, noRecon: false, noBoot: false };

/** The switches of one named ablation (Table 2's rows). */
export function darAblation(name: DarAblationName): DarAblation {
  switch (name) {
    case 'full':
      return { ...FULL };
    case 'noSim':
      return { ...FULL, noSim: true };
    case 'noDiff':
      return { ...FULL, noDiff: true };
    case 'noSimDiff':
      return { ...FULL, noSim: true, noDiff: true };
    case 'noRecon':
      return { ...FULL, noRecon: true };
    case 'noBoot':
      return { ...FULL, noBoot: true };
  }
  throw new Error(`unreachable ${String(name)}`);
}
export const DAR_ABLATIONS: readonly DarAblationName[] = ['full', 'noSim', 'noDiff', 'noSimDiff', 'noRecon', 'noBoot'];

const COMMON = {
  t: 8,
  tau: 0.1,
  simPool: 'mean' as const,
  lambda: 0.7,
  alpha: 0.1,
  beta: 0.1,
  reReduction: 'mean' as const,
  simSpecReduction: 'mean' as const,
  detachReTarget: false,
  textUnk: 'zero' as const,
  textEncoder: FEATURE_TEXT,
  alignNorm: true,
  alignInit: 'kaiming' as const,
  posInit: 'randn' as const,
  selection: 'totalWithoutClub' as const,
};

function presetValues(preset: DarPreset): Omit<DarConfig, 'dims' | 'ablation' | 'seed'> {
  if (preset === 'paper') {
    const lnln = (dimHead: number): BlockConfig => ({ depth: 2, heads: 8, dimHead, mlpDim: 128 });
    return {
      ...COMMON,
      preset,
      d: 128,
      encoder: lnln(16),
      recon: lnln(64),
      fusionSelf: lnln(64),
      fusionCross: lnln(64),
      mlpHidden: 128,
      club: { hidden: 128, lstmHidden: 64, innerSteps: 5, lr: 1e-4 },
    };
  }
  const block: BlockConfig = { depth: 1, heads: 2, dimHead: 16, mlpDim: 32 };
  return {
    ...COMMON,
    preset,
    d: 32,
    encoder: { ...block },
    recon: { ...block },
    fusionSelf: { ...block },
    fusionCross: { ...block },
    mlpHidden: 32,
    // L_sim^com must line the modalities up within the default budget (docs/decisions/dar-deviations.md §1, rows 6,
    // 15, 16): the common features start without a shared offset (alignment as an average over the frames, centred
    // positions), and τ = 0.05 gives the InfoNCE gradient twice τ = 0.1's weight against L_task.
    tau: 0.05,
    alignInit: 'average',
    posInit: 'centred',
    // One estimator step per batch at lr 1e-3 (not CMG's 5 at 1e-4): the inner loop is a third of a training step's
    // time on SwiftShader, and the small model trains for few epochs, so the estimator must keep up in fewer steps.
    club: { hidden: 32, lstmHidden: 16, innerSteps: 1, lr: 1e-3 },
  };
}

/** The config of `preset` for a dataset of the given dims, with optional overrides; validated. */
export function darConfig(preset: DarPreset, dims: DatasetDims, overrides: DarOverrides = {}): DarConfig {
  check(
    preset === 'paper' || preset === 'small',
    'DAR config',
    `preset must be 'paper' or 'small', got ${String(preset)}`,
  );
  const base = presetValues(preset);
  const o = overrides;
  const ablation = typeof o.ablation === 'string' ? darAblation(o.ablation) : { ...FULL, ...(o.ablation ?? {}) };
  const custom = Object.keys(o).some(
    (k) =>
      k !== 'ablation' &&
      k !== 'seed' &&
      k !== 'textUnk' &&
      k !== 'textEncoder' &&
      k !== 'selection' &&
      !(k === 'alignNorm' && o.alignNorm === base.alignNorm),
  );
  const cfg: DarConfig = {
    ...base,
    ...o,
    preset: custom ? 'custom' : preset,
    dims: { text: { ...dims.text }, audio: { ...dims.audio }, vision: { ...dims.vision } },
    encoder: { ...base.encoder, ...o.encoder },
    recon: { ...base.recon, ...o.recon },
    fusionSelf: { ...base.fusionSelf, ...o.fusionSelf },
    fusionCross: { ...base.fusionCross, ...o.fusionCross },
    club: { ...base.club, ...o.club },
    ablation,
  };
  validateDarConfig(cfg);
  return cfg;
}

const posInt = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n > 0;
const posNum = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;

/** Throws a WebgradError naming DAR and the offending field. */
export function validateDarConfig(c: DarConfig): void {
  const op = 'DAR config';
  for (const m of ['text', 'audio', 'vision'] as const) {
    const md = c.dims?.[m];
    check(
      !!md && posInt(md.len) && posInt(md.dim),
      op,
      `dims.${m} must have positive integer len and dim, got ${JSON.stringify(md)}`,
    );
  }
  check(posInt(c.d), op, `d must be a positive integer, got ${c.d}`);
  check(posInt(c.t), op, `t must be a positive integer, got ${c.t}`);
  for (const k of ['encoder', 'recon', 'fusionSelf', 'fusionCross'] as const) {
    const b = c[k];
    check(Number.isInteger(b.depth) && b.depth >= 0, op, `${k}.depth must be an integer ≥ 0, got ${b.depth}`);
    for (const f of ['heads', 'dimHead', 'mlpDim'] as const)
      check(posInt(b[f]), op, `${k}.${f} must be a positive integer, got ${b[f]}`);
  }
  check(posInt(c.mlpHidden), op, `mlpHidden must be a positive integer, got ${c.mlpHidden}`);
  check(
    posInt(c.club.hidden) && posInt(c.club.lstmHidden),
    op,
    'club.hidden and club.lstmHidden must be positive integers',
  );
  check(
    2 * c.club.lstmHidden === c.d,
    op,
    `club.lstmHidden must be d / 2 = ${c.d / 2} (the BiLSTM output is d wide), got ${c.club.lstmHidden}`,
  );
  check(
    Number.isInteger(c.club.innerSteps) && c.club.innerSteps >= 0,
    op,
    `club.innerSteps must be an integer ≥ 0, got ${c.club.innerSteps}`,
  );
  check(posNum(c.club.lr), op, `club.lr must be a finite number > 0, got ${c.club.lr}`);
  check(posNum(c.tau), op, `tau must be a finite number > 0, got ${c.tau}`);
  for (const k of ['lambda', 'alpha', 'beta'] as const) {
    check(Number.isFinite(c[k]) && c[k] >= 0, op, `${k} must be a finite number ≥ 0, got ${c[k]}`);
  }
  check(
    c.reReduction === 'mean' || c.reReduction === 'sum',
    op,
    `reReduction must be 'mean' or 'sum', got ${String(c.reReduction)}`,
  );
  check(
    c.simSpecReduction === 'mean' || c.simSpecReduction === 'sum',
    op,
    `simSpecReduction must be 'mean' or 'sum', got ${String(c.simSpecReduction)}`,
  );
  check(typeof c.detachReTarget === 'boolean', op, 'detachReTarget must be a boolean');
  check(typeof c.alignNorm === 'boolean', op, 'alignNorm must be a boolean');
  check(
    c.alignInit === 'kaiming' || c.alignInit === 'average',
    op,
    `alignInit must be 'kaiming' or 'average', got ${String(c.alignInit)}`,
  );
  check(
    c.posInit === 'randn' || c.posInit === 'centred',
    op,
    `posInit must be 'randn' or 'centred', got ${String(c.posInit)}`,
  );
  check(c.simPool === 'mean' || c.simPool === 'flat', op, `simPool must be 'mean' or 'flat', got ${String(c.simPool)}`);
  check(
    c.selection === 'total' || c.selection === 'totalWithoutClub',
    op,
    `selection must be 'total' or 'totalWithoutClub', got ${String(c.selection)}`,
  );
  check(
    c.textUnk === 'zero' || c.textUnk === 'learned',
    op,
    `textUnk must be 'zero' or 'learned', got ${String(c.textUnk)}`,
  );
  for (const k of ['noSim', 'noDiff', 'noRecon', 'noBoot'] as const) {
    check(typeof c.ablation[k] === 'boolean', op, `ablation.${k} must be a boolean`);
  }
  validateTextEncoder(op, c.textEncoder ?? FEATURE_TEXT, c.dims);
}
