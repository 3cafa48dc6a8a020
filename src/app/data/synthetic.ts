// `synthetic-mosi`: a stand-in for CMU-MOSI with MOSI's exact shapes (text 50×768, audio 375×5, vision 500×20,
// prefix lengths with zero padding, a BERT-style text mask) and split sizes (1284/229/686), deterministic from a seed,
// generated lazily per sample (never materialised, never written to disk: full MOSI text alone would be 197 MB).
//
// Planted structure (what DAR is meant to find). Per sample:
//   s ~ N(μ_split, 1)                 shared sentiment factor, seen by every modality
//   z_t, z_a, z_v ~ N(0, 1)           modality-specific factors, each seen by ONE modality only
//   y = clip(1.2·s + 0.55·(z_t + z_a + z_v) + 0.3·ε, -3, 3), rounded to a 0.2 grid (≈5% exact zeros, as in MOSI)
//   u ~ N(0, I_K)                     shared CONTENT (K = `sharedContent`, default 8): what a real clip's modalities
//                                     share besides sentiment (speaker, topic, moment); independent of s, z and y
//   frame j of modality m (j < length):
//     x_j = bias_m + n_m + amp_m(j)·(α_m·s·c_m + β_m·z_m·e_m) + γ_m·G_m·u + σ_m·noise_j
//   with c_m ⟂ e_m fixed unit directions per seed, n_m a per-sample nuisance vector (speaker/session effect, does not
//   average out over time) and amp_m(j) a temporal profile: a few "sentiment tokens" for text ([CLS]/[SEP] carry no
//   signal, so LNLN's always-kept special tokens leak nothing), one smooth bump for audio/vision. G_m (d_m, K) holds K
//   fixed unit directions per seed orthogonal to c_m and e_m (so u never leaks s or z_m, and a linear read of u sees
//   neither); u enters every real frame alike, as a clip's topic does. Only L_sim^com has a reason to put u in the
//   common space (the label ignores it): cross-modal retrieval of the common features is then far above chance when
//   L_sim works and near chance when it does not (bench/synthetic-retrieval-ceiling.ts: what an oracle retrieves).
// Token ids (`text_bert`, (B, 3, 50) as MMSA's: ids, attention mask = the text mask, segment ids 0) over a small
// vocabulary (SYNTHETIC_VOCAB) with bert-base-uncased's special ids, so LNLN's [UNK] = 100 applies as is:
//   [CLS] w_1 … w_{L-2} [SEP], mostly neutral fillers, plus k ≈ (L-2)/6 sentiment words whose value
//   v ∈ {-2, -1, +1, +2} is a noisy reading of the text's part of the label (1.2·s + 0.55·z_t); a word is negated with
//   probability 0.3: "not" before it and the OPPOSITE word written, so its sentiment lives in the word AND its context
//   (a bag of words reads it backwards). Drawn from a stream of their own, so every other field keeps its bytes.
//   u reaches the ids through the FILLERS only: topic k (of K) prefers its own block of filler ids, a text's topic
//   mixture is softmax(κ·u), and a filler is drawn from a topic with probability ρ (else uniformly). Sentiment words,
//   their positions and negations are drawn exactly as without u (the filler draws of the token stream are still made).
// So one modality alone misses the other two specific factors and predicts worse than all three together; text is
// the most reliable modality (small nuisance), audio and vision are noisy, as in MOSI. μ_split reproduces MOSI's label
// balance (docs/models.md §1: Has0 positive 0.570 train / 0.598 valid / 0.448 test).
//
// Determinism: every sample is drawn from its own stream keyed by (seed, split, index), with integer-only hashing
// and a 32-bit generator; noise and latents use sums of uniforms (Irwin–Hall), not log/sin, so the bytes are
// identical in every JS engine, whatever the batch composition. u and the topic draws have a stream of their own
// (and G_m a world stream of its own), so `sharedContent: 0` gives the bytes of the data before u existed exactly.
// No Node or DOM APIs.

import { fmix32, hashWords } from '../../engine/seed';
import {
  allocBatch,
  checkIndices,
  fillPrefixMask,
  MOSI_DIMS,
  MOSI_SPLIT_SIZES,
  SPLITS,
  type Batch,
  type Dataset,
  type DatasetDims,
  type Split,
  type SplitInfo,
} from './types';

export const TINY_SPLIT_SIZES: Readonly<Record<Split, number>> = { train: 48, valid: 16, test: 32 };

export interface SyntheticOptions {
  /** Any integer; default 0. */
  readonly seed?: number;
  /** 'full' = MOSI's 1284/229/686 (default), 'tiny' = 48/16/32, or explicit sizes (shapes stay MOSI's). */
  readonly size?: 'full' | 'tiny' | Partial<Record<Split, number>>;
  /**
   * K, the dimension of the shared content u (0 to 32); default 0 = the data before u existed, byte for byte (every
   * published number was measured on it); 8 is the measurement dataset of docs/decisions/dar-deviations.md §1.
   */
  readonly sharedContent?: number;
}

/** The default K of `sharedContent`. */
export const SHARED_CONTENT_DEFAULT = 0; // u stays opt-in until L_sim is shown to retrieve it (docs/decisions/dar-deviations.md §1)

/**
 * synthetic-mosi's planted factors per sample: the shared s, the modality-specific z_t, z_a, z_v, and the shared
 * content u (n, K) row-major (empty when K = 0).
 */
export interface PlantedFactors {
  readonly s: Float64Array;
  readonly zText: Float64Array;
  readonly zAudio: Float64Array;
  readonly zVision: Float64Array;
  /** K, the dimension of u. */
  readonly contentDim: number;
  readonly u: Float64Array;
}

/** Label model and per-modality signal strengths (exported for documentation and tests). */
export const SYNTHETIC_PARAMS = {
  shared: 1.2,
  specific: 0.55,
  labelNoise: 0.3,
  /** Mean of the shared factor per split, fitted to MOSI's label balance. */
  mu: { train: 0.15, valid: 0.24, test: -0.255 } as Record<Split, number>,
  text: { alpha: 2.5, beta: 2.5, nuisance: 0.35, noise: 0.6, bias: 0.3 },
  audio: { alpha: 1.5, beta: 2.0, nuisance: 0.6, noise: 1.0, bias: 0.5 },
  vision: { alpha: 1.5, beta: 2.0, nuisance: 0.6, noise: 1.0, bias: 0.5 },
  /**
   * Shared content u: γ_m per modality (on each of G_m's unit directions); κ the topic mixture's sharpness, ρ the
   * share of fillers drawn from a topic. Chosen so that an oracle reading u off one modality's frames retrieves far
   * above chance from another's (bench/synthetic-retrieval-ceiling.ts) while the nuisance still blurs it.
   */
  content: { text: 1.5, audio: 2.0, vision: 2.0, kappa: 2.5, rho: 0.8 },
} as const;

/**
 * synthetic-mosi's token vocabulary: bert-base-uncased's special ids ([PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102), the
 * other ids below 100 neutral fillers, 103 "not", and four synonyms per sentiment value from `sentiment[v]` on.
 */
export const SYNTHETIC_VOCAB = {
  size: 120,
  pad: 0,
  unk: 100,
  cls: 101,
  sep: 102,
  not: 103,
  /** Fillers are ids 1 … 99. */
  fillers: 99,
  /** First id of the four synonyms of each sentiment value. */
  sentiment: { '-2': 104, '-1': 108, '1': 112, '2': 116 } as Record<'-2' | '-1' | '1' | '2', number>,
  /** Probability that a sentiment word is negated (written as "not" + the opposite word). */
  negation: 0.3,
  /** Per-word noise on the text score before it is cut into the four values. */
  wordNoise: 0.5,
} as const;

/** The sentiment value (−2, −1, 1, 2) of a token id, or 0 for anything else. */
export function syntheticWordValue(id: number): number {
  const V = SYNTHETIC_VOCAB.sentiment;
  for (const v of ['-2', '-1', '1', '2'] as const) if (id >= V[v] && id < V[v] + 4) return Number(v);
  return 0;
}

const SPLIT_CODE: Record<Split, number> = { train: 1, valid: 2, test: 3 };
/** Extra key word of the token streams (a key of four words never equals a three-word sample key). */
const TOKEN_STREAM = 0x70cc;
/** Extra key word of the shared-content streams (u and the topic draws; the world's G_m: [seed, WORLD_CONTENT]). */
const CONTENT_STREAM = 0x5ade;
const WORLD_CONTENT = 0x5ade0c;
const SQRT3 = Math.sqrt(3);

/** sfc32: small, fast, 128-bit state; seeded by hashing, warmed up. */
class Stream {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(key: number[]) {
    const h = hashWords(key);
    this.a = fmix32(h ^ 0x243f6a88);
    this.b = fmix32(h ^ 0x85a308d3);
    this.c = fmix32(h ^ 0x13198a2e);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** [0, 1) */
  uniform(): number {
    return this.u32() / 4294967296;
  }

  /** ≈ N(0, 1): Irwin–Hall with 12 terms (exact arithmetic, tails cut at ±6). */
  normal(): number {
    let s = 0;
    for (let i = 0; i < 12; i++) s += this.u32();
    return s / 4294967296 - 6;
  }

  /** ≈ N(0, 1) cheaply: four 16-bit uniforms from two outputs, centred and scaled to unit variance. */
  noise(): number {
    const p = this.u32();
    const q = this.u32();
    return (((p & 0xffff) + (p >>> 16) + (q & 0xffff) + (q >>> 16)) / 65536 - 2) * SQRT3;
  }
}

interface Latent {
  s: number;
  z: [number, number, number];
  label: number;
  lens: [number, number, number];
}

/** Step 1 of every sample's stream: latents, label and lengths (all the cheap SplitInfo needs). */
function drawLatent(r: Stream, mu: number, dims: DatasetDims): Latent {
  const P = SYNTHETIC_PARAMS;
  const s = mu + r.normal();
  const z: [number, number, number] = [r.normal(), r.normal(), r.normal()];
  const eps = r.normal();
  let y = P.shared * s + P.specific * (z[0] + z[1] + z[2]) + P.labelNoise * eps;
  y = Math.min(3, Math.max(-3, y));
  const label = Math.round(y * 5) / 5 + 0; // + 0 turns -0 into 0
  const dur = 0.15 + 0.85 * r.uniform();
  const Tt = dims.text.len;
  const Ta = dims.audio.len;
  const Tv = dims.vision.len;
  const lt = Math.min(Tt, 4 + Math.floor((Tt - 6) * dur * (0.5 + 0.5 * r.uniform())));
  const la = Math.min(Ta, 10 + Math.floor((Ta - 10) * dur * (0.7 + 0.3 * r.uniform())));
  const lv = Math.min(Tv, 10 + Math.floor((Tv - 10) * dur * (0.7 + 0.3 * r.uniform())));
  return { s, z, label, lens: [lt, la, lv] };
}

/** Fixed per-seed "world": unit shared/specific directions (orthogonal) and a bias per modality. */
interface World {
  c: Float64Array[];
  e: Float64Array[];
  bias: Float64Array[];
}

/**
 * G_m per modality, (d_m, K) row-major: K unit vectors with their c_m and e_m components removed, from a world stream
 * of their own (so c, e and the biases keep their draws).
 */
function makeContentDirections(seed: number, dims: DatasetDims, world: World, K: number): Float64Array[] {
  const r = new Stream([seed, WORLD_CONTENT]);
  return (['text', 'audio', 'vision'] as const).map((m, k) => {
    const d = dims[m].dim;
    const G = new Float64Array(d * K);
    for (let col = 0; col < K; col++) {
      const g = Float64Array.from({ length: d }, () => r.normal());
      for (const dir of [world.c[k], world.e[k]]) {
        let dot = 0;
        for (let q = 0; q < d; q++) dot += g[q] * dir[q];
        for (let q = 0; q < d; q++) g[q] -= dot * dir[q];
      }
      const n = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
      for (let q = 0; q < d; q++) G[q * K + col] = g[q] / n;
    }
    return G;
  });
}

function makeWorld(seed: number, dims: DatasetDims): World {
  const r = new Stream([seed, 0xc0ffee]);
  const world: World = { c: [], e: [], bias: [] };
  const mods = ['text', 'audio', 'vision'] as const;
  for (const m of mods) {
    const d = dims[m].dim;
    const unit = (v: Float64Array) => {
      let n = 0;
      for (let i = 0; i < d; i++) n += v[i] * v[i];
      n = Math.sqrt(n);
      for (let i = 0; i < d; i++) v[i] /= n;
      return v;
    };
    const c = unit(Float64Array.from({ length: d }, () => r.normal()));
    const e = Float64Array.from({ length: d }, () => r.normal());
    let dot = 0;
    for (let i = 0; i < d; i++) dot += e[i] * c[i];
    for (let i = 0; i < d; i++) e[i] -= dot * c[i];
    unit(e);
    const bias = Float64Array.from({ length: d }, () => SYNTHETIC_PARAMS[m].bias * r.normal());
    world.c.push(c);
    world.e.push(e);
    world.bias.push(bias);
  }
  return world;
}

/** The synthetic-mosi dataset. Features are generated per batch from (seed, split, index). */
export class SyntheticMosi implements Dataset {
  readonly name: string;
  readonly dims: DatasetDims = MOSI_DIMS;
  readonly sizes: Readonly<Record<Split, number>>;
  private readonly world: World;
  /** G_m per modality (d_m, K); empty when K = 0. */
  private readonly content: Float64Array[];
  private readonly infos = new Map<Split, SplitInfo>();

  constructor(
    readonly seed = 0,
    size: SyntheticOptions['size'] = 'full',
    /** K, the dimension of the shared content u (0 = none). */
    readonly sharedContent = SHARED_CONTENT_DEFAULT,
  ) {
    if (!Number.isInteger(seed)) throw new RangeError(`synthetic-mosi: seed must be an integer, got ${seed}`);
    if (!Number.isInteger(sharedContent) || sharedContent < 0 || sharedContent > 32)
      throw new RangeError(`synthetic-mosi: sharedContent must be an integer in 0…32, got ${sharedContent}`);
    const base = size === 'tiny' ? TINY_SPLIT_SIZES : MOSI_SPLIT_SIZES;
    const sizes = { ...base, ...(typeof size === 'object' ? size : {}) };
    for (const s of SPLITS) {
      if (!Number.isInteger(sizes[s]) || sizes[s] < 1)
        throw new RangeError(`synthetic-mosi: split '${s}' size must be a positive integer, got ${sizes[s]}`);
    }
    this.sizes = sizes;
    this.name = size === 'tiny' ? 'synthetic-mosi-tiny' : 'synthetic-mosi';
    this.world = makeWorld(seed, this.dims);
    this.content = sharedContent > 0 ? makeContentDirections(seed, this.dims, this.world, sharedContent) : [];
  }

  /** The shared-content stream of sample i: u (K normals) first, then the topic draws of its fillers. */
  private contentStream(split: Split, i: number): { r: Stream; u: Float64Array } {
    const r = new Stream([this.seed, SPLIT_CODE[split], i, CONTENT_STREAM]);
    const u = Float64Array.from({ length: this.sharedContent }, () => r.normal());
    return { r, u };
  }

  private stream(split: Split, i: number): Stream {
    return new Stream([this.seed, SPLIT_CODE[split], i]);
  }

  split(split: Split): SplitInfo {
    const cached = this.infos.get(split);
    if (cached) return cached;
    const n = this.sizes[split];
    const Tt = this.dims.text.len;
    const labels = new Float32Array(n);
    const textMask = new Uint8Array(n * Tt);
    const audioLengths = new Int32Array(n);
    const visionLengths = new Int32Array(n);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const lat = drawLatent(this.stream(split, i), SYNTHETIC_PARAMS.mu[split], this.dims);
      labels[i] = lat.label;
      textMask.fill(1, i * Tt, i * Tt + lat.lens[0]);
      audioLengths[i] = lat.lens[1];
      visionLengths[i] = lat.lens[2];
      ids.push(this.id(split, i));
    }
    const info: SplitInfo = { n, labels, ids, textMask, audioLengths, visionLengths };
    this.infos.set(split, info);
    return info;
  }

  /**
   * The planted factors of `split` (s, z_t, z_a, z_v and u per sample, in index order), for probes of what a model's
   * features hold. Read from the same streams as the samples, so the data is unchanged.
   */
  latents(split: Split): PlantedFactors {
    const n = this.sizes[split];
    const K = this.sharedContent;
    const out: PlantedFactors = {
      s: new Float64Array(n),
      zText: new Float64Array(n),
      zAudio: new Float64Array(n),
      zVision: new Float64Array(n),
      contentDim: K,
      u: new Float64Array(n * K),
    };
    for (let i = 0; i < n; i++) {
      const lat = drawLatent(this.stream(split, i), SYNTHETIC_PARAMS.mu[split], this.dims);
      out.s[i] = lat.s;
      [out.zText[i], out.zAudio[i], out.zVision[i]] = lat.z;
      if (K > 0) out.u.set(this.contentStream(split, i).u, i * K);
    }
    return out;
  }

  private id(split: Split, i: number): string {
    return `synthetic${this.seed}_${split}$_$${i}`;
  }

  batch(split: Split, indices: ArrayLike<number>): Batch {
    checkIndices('SyntheticMosi.batch', split, this.sizes[split], indices);
    const out = allocBatch(this.dims, indices);
    const T = this.dims.text.len;
    const textBert = new Int32Array(indices.length * 3 * T); // (B, 3, T_t); segment ids (row 2) stay 0
    const ids: string[] = [];
    for (let b = 0; b < indices.length; b++) {
      const content = this.sharedContent > 0 ? this.contentStream(split, indices[b]) : null;
      const lat = this.fill(split, indices[b], b, out, content?.u ?? null);
      out.labels[b] = lat.label;
      ids.push(this.id(split, indices[b]));
      textBert.set(this.tokens(split, indices[b], lat, content), b * 3 * T);
      textBert.fill(1, (b * 3 + 1) * T, (b * 3 + 1) * T + lat.lens[0]);
    }
    return { size: indices.length, dims: this.dims, ids, ...out, textBert };
  }

  /** Token ids (T_t) of sample i: [CLS], fillers with sentiment words (some negated), [SEP], padding 0. */
  private tokens(split: Split, i: number, lat: Latent, content: { r: Stream; u: Float64Array } | null): Int32Array {
    const V = SYNTHETIC_VOCAB;
    const r = new Stream([this.seed, SPLIT_CODE[split], i, TOKEN_STREAM]);
    const L = lat.lens[0];
    const C = L - 2; // content positions 1 … L-2
    const out = new Int32Array(this.dims.text.len);
    out[0] = V.cls;
    out[L - 1] = V.sep;
    for (let j = 1; j <= C; j++) out[j] = 1 + Math.floor(r.uniform() * V.fillers);
    if (content) this.topicFillers(out, C, content);
    const used = new Uint8Array(L);
    const score = SYNTHETIC_PARAMS.shared * lat.s + SYNTHETIC_PARAMS.specific * lat.z[0]; // text's part of y
    const k = Math.max(1, Math.round(C / 6));
    for (let h = 0; h < k; h++) {
      const w = score + V.wordNoise * r.normal();
      let v = w > 1 ? 2 : w > 0 ? 1 : w > -1 ? -1 : -2;
      const p = 1 + Math.floor(r.uniform() * C);
      const negate = r.uniform() < V.negation;
      const synonym = Math.floor(r.uniform() * 4);
      if (used[p]) continue; // a taken slot: this sentiment word is skipped (the draws above are made regardless)
      used[p] = 1;
      if (negate && p > 1 && !used[p - 1]) {
        used[p - 1] = 1;
        out[p - 1] = V.not;
        v = -v; // "not good" carries what "bad" would
      }
      out[p] = V.sentiment[String(v) as '-2' | '-1' | '1' | '2'] + synonym;
    }
    return out;
  }

  /**
   * Redraws the fillers at positions 1 … C from u's topic mixture (before any sentiment word is placed, so those and
   * their draws are untouched): topic k owns filler ids [1 + k·w, 1 + (k+1)·w), w = ⌊99 / K⌋.
   */
  private topicFillers(out: Int32Array, C: number, { r, u }: { r: Stream; u: Float64Array }): void {
    const { kappa, rho } = SYNTHETIC_PARAMS.content;
    const K = u.length;
    const w = Math.floor(SYNTHETIC_VOCAB.fillers / K);
    const top = Math.max(...u);
    const weights = Array.from(u, (v) => Math.exp(kappa * (v - top)));
    const total = weights.reduce((a, v) => a + v, 0);
    for (let j = 1; j <= C; j++) {
      const fromTopic = r.uniform() < rho;
      let pick = r.uniform() * total;
      let k = 0;
      while (k < K - 1 && pick >= weights[k]) pick -= weights[k++];
      const id = 1 + k * w + Math.floor(r.uniform() * w);
      if (fromTopic) out[j] = id; // the draws are made either way: each position consumes the same three
    }
  }

  /** Writes sample i of `split` into row b of the batch arrays (u: its shared content, or null); returns its latents. */
  private fill(split: Split, i: number, b: number, out: ReturnType<typeof allocBatch>, u: Float64Array | null): Latent {
    const r = this.stream(split, i);
    const lat = drawLatent(r, SYNTHETIC_PARAMS.mu[split], this.dims);
    const mods = ['text', 'audio', 'vision'] as const;
    const P = SYNTHETIC_PARAMS;

    // Step 2: per-sample nuisance vectors, then the temporal profile parameters.
    const nuisance = mods.map((m, k) =>
      Float64Array.from(this.world.bias[k], (bias) => bias + P[m].nuisance * r.normal()),
    );
    const Lt = lat.lens[0];
    const ampText = new Float64Array(Lt);
    ampText.fill(0.3, 1, Lt - 1); // [CLS] (0) and [SEP] (Lt-1) carry no sentiment
    const hot = Math.max(1, Math.round((Lt - 2) / 6));
    for (let h = 0; h < hot; h++) ampText[1 + Math.floor(r.uniform() * (Lt - 2))] = 1;
    const bump = (L: number) => {
      const centre = L * (0.2 + 0.6 * r.uniform());
      const width = Math.max(3, L * (0.15 + 0.2 * r.uniform()));
      return Float64Array.from({ length: L }, (_, j) => Math.max(0.2, 1 - Math.abs(j - centre) / width));
    };
    const amps = [ampText, bump(lat.lens[1]), bump(lat.lens[2])];

    // Step 3: frames (γ_m·G_m·u, constant over the real frames, comes from u's own stream: r's draws are unchanged).
    const K = this.sharedContent;
    const shared = mods.map((m, k) => {
      if (!u) return null;
      const G = this.content[k];
      const g = new Float64Array(this.dims[m].dim);
      for (let q = 0; q < g.length; q++) {
        let v = 0;
        for (let c = 0; c < K; c++) v += G[q * K + c] * u[c];
        g[q] = P.content[m] * v;
      }
      return g;
    });
    const targets = [out.text, out.audio, out.vision];
    const masks = [out.textMask, out.audioMask, out.visionMask];
    mods.forEach((m, k) => {
      const { len: T, dim: d } = this.dims[m];
      const L = lat.lens[k];
      const x = targets[k];
      const c = this.world.c[k];
      const e = this.world.e[k];
      const base = nuisance[k];
      const sa = P[m].alpha * lat.s;
      const zb = P[m].beta * lat.z[k];
      const sigma = P[m].noise;
      const g = shared[k];
      for (let j = 0; j < L; j++) {
        const a = amps[k][j];
        const off = (b * T + j) * d;
        for (let q = 0; q < d; q++) x[off + q] = base[q] + a * (sa * c[q] + zb * e[q]) + sigma * r.noise();
        if (g) for (let q = 0; q < d; q++) x[off + q] += g[q];
      }
      fillPrefixMask(masks[k], b, T, L);
    });
    out.audioLengths[b] = lat.lens[1];
    out.visionLengths[b] = lat.lens[2];
    return lat;
  }
}

/** `synthetic-mosi` (or its tiny version) from a seed. */
export function syntheticMosi(opts: SyntheticOptions = {}): SyntheticMosi {
  return new SyntheticMosi(opts.seed ?? 0, opts.size ?? 'full', opts.sharedContent ?? SHARED_CONTENT_DEFAULT);
}
