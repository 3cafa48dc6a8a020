// DERL's configuration: one typed object, three presets (paper, small, tiny), every choice named. DERL's paper is an
// abstract only, so all of it is ours (docs/models.md §7). Why each default is what it is — top-2 routing, L_orth's
// gradient stopped at the experts, λ_cons 0.01, the detached feature target — was measured; the numbers are in
// docs/decisions/derl-config.md.
//
// Dataset dims (T_m, d_m) are parameters: `derlConfig('small', MOSI_DIMS)`.

import { FEATURE_TEXT, type TextEncoderConfig, validateTextEncoder } from '../text-encoder-config';
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
  /** Detach the feature-level reconstruction target X^complete (default true: a live target collapses; see the record). */
  readonly detachFeatTarget: boolean;
  /** Dropped text tokens: keep the zeroed vectors ('zero') or substitute a learned vector `text_unk` (as DAR). */
  readonly textUnk: 'zero' | 'learned';
  /** The text branch: precomputed features (default) or BERT on token ids (../text-encoder.ts). */
  readonly textEncoder: TextEncoderConfig;
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
  textEncoder: FEATURE_TEXT,
};

function presetValues(preset: DerlPreset): Omit<DerlConfig, 'dims' | 'seed' | 'weights'> {
  switch (preset) {
    case 'paper':
      return {
        ...COMMON,
        preset,
        d: 128,
        t: 8,
        embed: { depth: 2, heads: 8, dimHead: 16, mlpDim: 128 },
        experts: { private: 2, shared: 4, hidden: 128, topK: 2 },
        mlpHidden: 128,
        importanceHidden: 128,
      };
    case 'small':
      return {
        ...COMMON,
        preset,
        d: 32,
        t: 8,
        embed: { depth: 1, heads: 2, dimHead: 16, mlpDim: 32 },
        experts: { private: 2, shared: 4, hidden: 32, topK: 2 },
        mlpHidden: 32,
        importanceHidden: 32,
      };
    case 'tiny':
      return {
        ...COMMON,
        preset,
        d: 8,
        t: 4,
        tau: 0.2,
        embed: { depth: 1, heads: 2, dimHead: 4, mlpDim: 12 },
        experts: { private: 2, shared: 3, hidden: 8, topK: 2 },
        mlpHidden: 8,
        importanceHidden: 8,
      };
  }
}

/** Overrides that do not change the architecture or the objective (the preset name is kept). */
const COSMETIC = new Set(['seed', 'textUnk', 'textEncoder']);

/** The config of `preset` for a dataset of the given dims, with optional overrides (nested objects merge); validated. */
export function derlConfig(preset: DerlPreset, dims: DatasetDims, overrides: DerlOverrides = {}): DerlConfig {
  check(
    preset === 'paper' || preset === 'small' || preset === 'tiny',
    'DERL config',
    `preset must be 'paper', 'small' or 'tiny', got ${String(preset)}`,
  );
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
    check(
      !!md && posInt(md.len) && posInt(md.dim),
      op,
      `dims.${m} must have positive integer len and dim, got ${JSON.stringify(md)}`,
    );
  }
  for (const k of ['d', 't', 'mlpHidden', 'importanceHidden', 'cmdMoments'] as const) {
    check(posInt(c[k]), op, `${k} must be a positive integer, got ${c[k]}`);
  }
  const b = c.embed;
  check(Number.isInteger(b.depth) && b.depth >= 0, op, `embed.depth must be an integer ≥ 0, got ${b.depth}`);
  for (const f of ['heads', 'dimHead', 'mlpDim'] as const)
    check(posInt(b[f]), op, `embed.${f} must be a positive integer, got ${b[f]}`);
  const e = c.experts;
  for (const f of ['private', 'shared', 'hidden'] as const)
    check(posInt(e[f]), op, `experts.${f} must be a positive integer, got ${e[f]}`);
  check(
    Number.isInteger(e.topK) && e.topK >= 0,
    op,
    `experts.topK must be an integer ≥ 0 (0 = soft routing), got ${e.topK}`,
  );
  check(
    c.consistency === 'infonce' || c.consistency === 'cmd',
    op,
    `consistency must be 'infonce' or 'cmd', got ${String(c.consistency)}`,
  );
  check(posNum(c.tau), op, `tau must be a finite number > 0, got ${c.tau}`);
  for (const k of Object.keys(WEIGHTS) as (keyof DerlWeights)[]) {
    const v = c.weights[k];
    check(
      typeof v === 'number' && Number.isFinite(v) && v >= 0,
      op,
      `weights.${k} must be a finite number ≥ 0, got ${v}`,
    );
  }
  check(
    Object.keys(c.weights).every((k) => k in WEIGHTS),
    op,
    `weights has unknown keys (known: ${Object.keys(WEIGHTS).join(', ')})`,
  );
  check(typeof c.orthPrivatePairs === 'boolean', op, 'orthPrivatePairs must be a boolean');
  check(
    c.orthGradient === 'experts' || c.orthGradient === 'full',
    op,
    `orthGradient must be 'experts' or 'full', got ${String(c.orthGradient)}`,
  );
  check(typeof c.detachFeatTarget === 'boolean', op, 'detachFeatTarget must be a boolean');
  check(
    c.textUnk === 'zero' || c.textUnk === 'learned',
    op,
    `textUnk must be 'zero' or 'learned', got ${String(c.textUnk)}`,
  );
  validateTextEncoder(op, c.textEncoder ?? FEATURE_TEXT, c.dims);
}
