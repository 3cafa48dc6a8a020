// The parameter names and shapes a model of each kind has for a given config, computed from the config alone (no GPU
// memory), so loadModel can check a checkpoint's config against its own header before building anything. A crafted
// config (e.g. `heads: 1e9`) would otherwise make the constructor allocate terabytes before any shape is compared.
//
// Each function mirrors its model's constructor (src/app/models/dar/model.ts, derl/model.ts, latefusion.ts) and the
// blocks it uses; test/inference.test.ts checks them against namedParameters() of real models, so they cannot drift.

import { CheckpointError } from '../../engine/io/safetensors';
import { bertShapes } from '../../engine/io/bert-checkpoint';

export type ParameterShapes = Map<string, number[]>;

/** Sane upper bounds for sizes read from a file: far above any real model, far below an allocation that hurts. */
const MAX_SIZE = 1 << 20;
const MAX_DEPTH = 1024;

/**
 * Reads an integer field of a saved config at `path` (e.g. 'encoder.heads'), checking its type and range; `fallback`
 * is the value of an optional field that is absent. Throws CheckpointError naming the field.
 */
function int(config: unknown, path: string, lo: number, hi: number, fallback?: number): number {
  let v: unknown = config;
  for (const key of path.split('.'))
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new CheckpointError(
      'mismatch',
      `meta.modelConfig.${path} is ${JSON.stringify(v) ?? 'undefined'}; expected an integer in [${lo}, ${hi}]`,
      undefined,
      'loadModel',
    );
  }
  return v;
}
const size = (c: unknown, path: string, fallback?: number) => int(c, path, 1, MAX_SIZE, fallback);
/** A field that only switches a module on or off: read as the model reads it (truthy, or > 0). */
const field = (c: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      c,
    );

/** Collects shapes under a name prefix, as Module.namedParameters() names them. */
class At {
  constructor(
    readonly out: ParameterShapes,
    readonly prefix = '',
  ) {}
  at(name: string): At {
    return new At(this.out, `${this.prefix}${name}.`);
  }
  p(name: string, shape: number[]): void {
    this.out.set(this.prefix + name, shape);
  }
}

// Building blocks (src/engine/nn, src/app/models/dar/blocks.ts, src/app/models/derl/blocks.ts).
const linear = (s: At, inF: number, outF: number, bias = true) => {
  s.p('weight', [outF, inF]);
  if (bias) s.p('bias', [outF]);
};
const groupedLinear = (s: At, g: number, inF: number, outF: number, bias = true) => {
  s.p('weight', [g, outF, inF]);
  if (bias) s.p('bias', [g, outF]);
};
const conv1d = (s: At, inC: number, outC: number) => {
  s.p('weight', [outC, inC, 1]);
  s.p('bias', [outC]);
};
const layerNorm = (s: At, dims: number[]) => {
  s.p('weight', dims);
  s.p('bias', dims);
};
const mlp = (s: At, inF: number, hidden: number, outF: number) => {
  linear(s.at('fc1'), inF, hidden);
  linear(s.at('fc2'), hidden, outF);
};
const groupedMlp = (s: At, g: number, inF: number, hidden: number, outF: number) => {
  groupedLinear(s.at('fc1'), g, inF, hidden);
  groupedLinear(s.at('fc2'), g, hidden, outF);
};

interface Block {
  depth: number;
  heads: number;
  dimHead: number;
  mlpDim: number;
}
const block = (c: unknown, path: string): Block => ({
  depth: int(c, `${path}.depth`, 0, MAX_DEPTH),
  heads: size(c, `${path}.heads`),
  dimHead: size(c, `${path}.dimHead`),
  mlpDim: size(c, `${path}.mlpDim`),
});
const attentionLayers = (s: At, g: number, d: number, b: Block) => {
  for (let l = 0; l < b.depth; l++) {
    const layer = s.at(`layers.${l}`);
    for (const n of ['norm_q', 'norm_k', 'norm_v']) layerNorm(layer.at(n), [g, d]);
    const inner = b.heads * b.dimHead;
    for (const n of ['to_q', 'to_k', 'to_v']) groupedLinear(layer.at('attn').at(n), g, d, inner, false);
    groupedLinear(layer.at('attn').at('to_out'), g, inner, d);
    layerNorm(layer.at('norm_ff'), [g, d]);
    groupedMlp(layer.at('ff'), g, d, b.mlpDim, d);
  }
};
const transformer = (s: At, g: number, t: number, d: number, b: Block) => {
  s.p('pos_embedding', [g, t, d]);
  attentionLayers(s, g, d, b);
};

const MODALITIES = [
  ['l', 'text'],
  ['a', 'audio'],
  ['v', 'vision'],
] as const;
const dimsOf = (c: unknown) =>
  MODALITIES.map(([m, f]) => ({ m, len: size(c, `dims.${f}.len`), dim: size(c, `dims.${f}.dim`) }));

/**
 * DAR's and DERL's text branch (../text-encoder.ts): with textEncoder 'bert', BERT's parameters under `bert.` and the
 * text alignment reading BERT's hidden size. Returns the dims with the text's width as the alignment sees it.
 */
function textBranch(c: unknown, out: At, dims: ReturnType<typeof dimsOf>): ReturnType<typeof dimsOf> {
  if (field(c, 'textEncoder.kind') !== 'bert') return dims;
  const b = (k: string) => size(c, `textEncoder.bert.${k}`);
  const hidden = b('hidden');
  const sizes = {
    vocabSize: b('vocabSize'),
    hidden,
    layers: int(c, 'textEncoder.bert.layers', 1, MAX_DEPTH),
    heads: b('heads'),
    intermediate: b('intermediate'),
    maxPosition: b('maxPosition'),
    typeVocab: b('typeVocab'),
    pooler: field(c, 'textEncoder.bert.pooler') !== false,
  };
  for (const [name, shape] of bertShapes(sizes)) out.at('bert').p(name, shape);
  return dims.map((x) => (x.m === 'l' ? { ...x, dim: hidden } : x));
}

function darShapes(c: unknown): ParameterShapes {
  const out = new At(new Map());
  const d = size(c, 'd');
  const t = size(c, 't');
  const h = size(c, 'mlpHidden');
  const dims = dimsOf(c);
  const [encoder, recon, fusionSelf, fusionCross] = ['encoder', 'recon', 'fusionSelf', 'fusionCross'].map((k) =>
    block(c, k),
  );
  const clubHidden = size(c, 'club.hidden');
  const lstm = size(c, 'club.lstmHidden');
  if (field(c, 'textUnk') === 'learned') out.p('text_unk', [dims[0].dim]);
  for (const { m, len, dim } of textBranch(c, new At(new Map()), dims)) {
    const a = out.at('align').at(m);
    conv1d(a.at('conv'), len, t);
    if (field(c, 'alignNorm')) layerNorm(a.at('norm'), [dim]);
    linear(a.at('proj'), dim, d);
  }
  transformer(out.at('enc'), 6, t, d, encoder);
  groupedMlp(out.at('dec_re'), 3, 3 * d, h, d);
  groupedLinear(out.at('rec_com_proj'), 3, 3 * d, d);
  transformer(out.at('rec'), 6, t, d, recon);
  groupedMlp(out.at('dec'), 3, 2 * d, h, d);
  groupedLinear(out.at('gate'), 6, 2 * d, d);
  transformer(out.at('fuse_com'), 3, t, d, fusionSelf);
  attentionLayers(out.at('fuse_spec'), 6, d, fusionCross);
  mlp(out.at('head'), 9 * d, h, 1);
  mlp(out.at('boot_head'), 3 * d, h, 1);
  for (const { m } of dims) {
    const club = out.at('club').at(m);
    for (const dir of ['', '_reverse']) {
      club.at('lstm').p(`weight_ih_l0${dir}`, [4 * lstm, d]);
      club.at('lstm').p(`weight_hh_l0${dir}`, [4 * lstm, lstm]);
      club.at('lstm').p(`bias_ih_l0${dir}`, [4 * lstm]);
      club.at('lstm').p(`bias_hh_l0${dir}`, [4 * lstm]);
    }
    for (const head of ['muHead', 'logvarHead']) {
      linear(club.at(head).at('layers.0'), 2 * lstm, clubHidden);
      linear(club.at(head).at('layers.2'), clubHidden, d);
    }
  }
  textBranch(c, out, dims); // bert.* last, as the model makes it
  return out.out;
}

function derlShapes(c: unknown): ParameterShapes {
  const out = new At(new Map());
  const d = size(c, 'd');
  const t = size(c, 't');
  const h = size(c, 'mlpHidden');
  const dims = dimsOf(c);
  const embed = block(c, 'embed');
  const kp = size(c, 'experts.private');
  const ks = size(c, 'experts.shared');
  const eh = size(c, 'experts.hidden');
  const weight = (k: string) => Number(field(c, `weights.${k}`)) > 0;
  if (field(c, 'textUnk') === 'learned') out.p('text_unk', [dims[0].dim]);
  const aligned = textBranch(c, new At(new Map()), dims);
  for (const { m, len, dim } of aligned) {
    conv1d(out.at('align').at(m).at('conv'), len, t);
    linear(out.at('align').at(m).at('proj'), dim, d);
  }
  transformer(out.at('embed'), 3, t, d, embed);
  groupedLinear(out.at('router_p'), 3, d, kp);
  groupedLinear(out.at('router_s'), 3, d, ks);
  groupedMlp(out.at('private_experts'), 3 * kp, d, eh, d);
  groupedMlp(out.at('shared_experts'), ks, d, eh, d);
  const ih = size(c, 'importanceHidden');
  linear(out.at('importance').at('fc'), d, ih);
  linear(out.at('importance').at('score'), ih, 1, false);
  mlp(out.at('head'), d, h, 1);
  if (weight('aux')) groupedMlp(out.at('aux_heads'), 4, d, h, 1);
  if (weight('reconFeat')) groupedMlp(out.at('dec_feat'), 3, d, h, d);
  if (weight('reconInput')) {
    for (const { m, len, dim } of aligned) {
      mlp(out.at('dec_input').at(m).at('mlp'), 2 * d, h, dim);
      conv1d(out.at('dec_input').at(m).at('conv'), t, len);
    }
  }
  textBranch(c, out, dims); // bert.* last, as the model makes it
  return out.out;
}

function lateFusionShapes(c: unknown): ParameterShapes {
  const out = new At(new Map());
  const t = size(c, 't', 8);
  const d = size(c, 'd', 32);
  const hidden = size(c, 'hidden', 32);
  for (const [, f] of MODALITIES) {
    const b = out.at(f);
    conv1d(b.at('resample'), size(c, `dims.${f}.len`), t);
    linear(b.at('proj'), size(c, `dims.${f}.dim`), d);
    linear(b.at('fc1'), d, hidden);
    linear(b.at('fc2'), hidden, 1);
  }
  out.p('fusionWeight', [3, 1]);
  out.p('fusionBias', [1]);
  return out.out;
}

/** The built-in kinds' shape functions (a kind registered later has none: loadModel then builds to compare). */
export const PARAMETER_SHAPES: ReadonlyMap<string, (config: unknown) => ParameterShapes> = new Map([
  ['dar', darShapes],
  ['derl', derlShapes],
  ['latefusion', lateFusionShapes],
]);
