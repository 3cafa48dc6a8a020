// Page-side entries for attention (src/engine/ops/attention.ts) and the modules on it (src/engine/nn/attention.ts,
// src/engine/nn/transformer.ts). Module entries take the module's parameters as inputs, in namedParameters() order, so the
// gradient checks reach every weight: the entry builds the module, frees its own initial parameters and puts the
// input tensors in their place.

import type {
  AttentionKernel,
  AttentionLayout,
  Module,
  MultiheadAttentionOptions,
  Tensor,
  TransformerLayerOptions,
  TransformerOptions,
} from '../../src/index';
import type { OpTable } from '../page/registry';

/**
 * Where the mask comes from: the last input (masked), a JS array (maskArray), or nowhere; and under which name it is
 * passed: keepMask (default), keyPaddingMask ('keyPadding': the caller then sends torch's mask, true = ignore), or the
 * removed name `mask` ('old'), which must be refused.
 */
interface MaskAttrs {
  masked?: boolean;
  maskArray?: number[] | boolean[];
  maskAs?: 'keep' | 'keyPadding' | 'old';
}
type MaskValue = Tensor | number[] | boolean[];
/** The options object that carries the mask under its chosen name (the removed `mask` stays reachable for the test). */
type MaskOptions = { keepMask?: MaskValue; keyPaddingMask?: MaskValue; mask?: MaskValue };
/** A module entry's expected parameter names, in namedParameters() order (checked before the parameters are replaced). */
interface Names {
  names?: string[];
}
type AttentionAttrs = MaskAttrs & { scale?: number; layout?: AttentionLayout; kernel?: AttentionKernel };

/**
 * Replaces `module`'s parameters, in namedParameters() order, with `params` (same shapes). With `names`, first checks
 * that the module's parameter names are exactly those, in that order (the naming is part of the checkpoint format).
 */
function withParams<M extends Module>(module: M, params: Tensor[], names?: string[]): M {
  const named = module.namedParameters();
  const got = named.map(([n]) => n);
  if (names && JSON.stringify(got) !== JSON.stringify(names)) {
    module.dispose();
    throw new Error(`parameter names ${JSON.stringify(got)}, expected ${JSON.stringify(names)}`);
  }
  if (named.length !== params.length) {
    module.dispose();
    throw new Error(`module has ${named.length} parameters, ${params.length} given`);
  }
  named.forEach(([path, old], i) => {
    if (old.shape.join() !== params[i].shape.join())
      throw new Error(`${path}: shape [${params[i].shape}], module has [${old.shape}]`);
    old.dispose();
    const keys = path.split('.');
    let obj = module as unknown as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) obj = obj[key] as Record<string, unknown>;
    obj[keys[keys.length - 1]] = params[i];
  });
  return module;
}

/** The masks for attrs: the mask (last input or JS array) under the name attrs.maskAs picks; none without a mask. */
function takeMask(xs: Tensor[], attrs: MaskAttrs | undefined): { rest: Tensor[]; masks: MaskOptions | undefined } {
  const rest = attrs?.masked ? xs.slice(0, -1) : xs;
  return { rest, masks: masksFor(attrs?.masked ? xs[xs.length - 1] : attrs?.maskArray, attrs) };
}

function masksFor(m: MaskValue | undefined, attrs: MaskAttrs | undefined): MaskOptions | undefined {
  if (m === undefined) return undefined;
  const name = attrs?.maskAs === 'keyPadding' ? 'keyPaddingMask' : attrs?.maskAs === 'old' ? 'mask' : 'keepMask';
  return { [name]: m };
}

/** attention's mask options (test/ops/attention-options.test.ts): the attn mask from the 4th input or a JS array. */
interface OptionAttrs {
  attnInput?: boolean;
  attnArray?: number[] | boolean[];
  /** Indices of attnArray to set to −∞ (JSON cannot carry it). */
  attnNegInf?: number[];
  attnMaskKind?: 'additive' | 'boolean';
  causal?: boolean;
  keepArray?: boolean[];
  scale?: number;
  layout?: AttentionLayout;
  kernel?: AttentionKernel;
}

export const OPS = {
  /** inputs: q, k, v (+ attn mask with attrs.attnInput); attrs: OptionAttrs. */
  attentionOptions: ([q, k, v, attnInput]: [Tensor, Tensor, Tensor, Tensor?], attrs: OptionAttrs, w) => {
    const arr: (number | boolean)[] | undefined = attrs.attnArray && [...attrs.attnArray];
    for (const i of attrs.attnNegInf ?? []) arr![i] = -Infinity;
    return w.attention(q, k, v, {
      attnMask: attrs.attnInput ? attnInput : (arr as number[] | boolean[] | undefined),
      attnMaskKind: attrs.attnMaskKind,
      causal: attrs.causal,
      keepMask: attrs.keepArray,
      scale: attrs.scale,
      layout: attrs.layout,
      kernel: attrs.kernel,
    });
  },

  /** inputs: q, k, v (+ mask with attrs.masked); attrs: scale, layout, kernel, maskArray, maskAs. */
  attention: ([q, k, v, maskInput]: [Tensor, Tensor, Tensor, Tensor?], attrs: AttentionAttrs | undefined, w) => {
    const masks = masksFor(attrs?.masked ? maskInput : attrs?.maskArray, attrs);
    return w.attention(q, k, v, { ...masks, scale: attrs?.scale, layout: attrs?.layout, kernel: attrs?.kernel });
  },

  /** inputs: x (self) | xq, xkv (cross) | xq, xk, xv (attrs.inputs = 1, 2, 3), then parameters (+ mask). */
  multiheadAttention: (
    xs: Tensor[],
    attrs: MaskAttrs & Names & MultiheadAttentionOptions & { dim: number; inputs?: 1 | 2 | 3 },
    w,
  ) => {
    const { rest, masks } = takeMask(xs, attrs);
    const n = attrs.inputs ?? 1;
    const [xq, xk = xq, xv = xk] = rest.slice(0, n);
    const m = withParams(
      new w.MultiheadAttention(attrs.dim, {
        heads: attrs.heads,
        dimHead: attrs.dimHead,
        qkvBias: attrs.qkvBias,
        outBias: attrs.outBias,
        kvHeads: attrs.kvHeads,
        causal: attrs.causal,
      }),
      rest.slice(n),
      attrs.names,
    );
    return m.forward(xq, xk, xv, masks);
  },

  /** inputs: x, then parameters (+ mask). */
  transformerEncoderLayer: (xs: Tensor[], attrs: MaskAttrs & Names & TransformerLayerOptions & { dim: number }, w) => {
    const {
      rest: [x, ...params],
      masks,
    } = takeMask(xs, attrs);
    const layer = withParams(new w.TransformerEncoderLayer(attrs.dim, attrs), params, attrs.names);
    return layer.forward(x, masks);
  },

  /** inputs: target, source, then parameters (+ mask over the source). */
  crossTransformerLayer: (xs: Tensor[], attrs: MaskAttrs & Names & TransformerLayerOptions & { dim: number }, w) => {
    const {
      rest: [t, s, ...params],
      masks,
    } = takeMask(xs, attrs);
    const layer = withParams(new w.CrossTransformerLayer(attrs.dim, attrs), params, attrs.names);
    return layer.forward(t, s, masks);
  },

  /** inputs: x, then parameters; attrs.hidden = i returns forwardHidden(x)[i]. */
  transformer: (
    xs: Tensor[],
    attrs: Names & TransformerOptions & { numFrames: number; dim: number; depth: number; hidden?: number },
    w,
  ) => {
    const [x, ...params] = xs;
    const t = withParams(new w.Transformer(attrs.numFrames, attrs.dim, attrs.depth, attrs), params, attrs.names);
    return attrs.hidden === undefined ? t.forward(x) : t.forwardHidden(x)[attrs.hidden];
  },

  /** inputs: source, target, then parameters. */
  crossTransformer: (
    xs: Tensor[],
    attrs: Names & TransformerLayerOptions & { sourceFrames: number; targetFrames: number; dim: number; depth: number },
    w,
  ) => {
    const [s, t, ...params] = xs;
    const m = withParams(
      new w.CrossTransformer(attrs.sourceFrames, attrs.targetFrames, attrs.dim, attrs.depth, attrs),
      params,
      attrs.names,
    );
    return m.forward(s, t);
  },
} satisfies OpTable;
