// Key-padding masks for attention and the modules on it, under two names that cannot be misread (docs/decisions/
// attention.md says why): `keyPaddingMask` means what PyTorch's key_padding_mask means (true / 1 = ignore the key),
// `keepMask` the opposite (true / 1 = attend to it), which is what the kernels read. The old `mask` (1 = keep) is
// refused with a typed error, because torch code passed to it silently gave the wrong numbers.

import { check, type Shape } from '../errors';
import { assertLive, noGrad, Tensor } from '../tensor';
import { tensor, zeros, ones } from '../creation';
import { addScalar, clip, mulScalar } from './elementwise';
import { concat, reshape } from './shape';

/** A (B, Tk) tensor of 0/1, or B·Tk booleans / 0-1 numbers, row-major. */
export type MaskInput = Tensor | ArrayLike<number | boolean>;

export interface AttentionMasks {
  /** PyTorch's key_padding_mask (B, Tk): true / 1 = ignore the key (padding), false / 0 = attend to it. */
  keyPaddingMask?: MaskInput | null | undefined;
  /** The opposite convention (B, Tk): true / 1 = attend to the key, false / 0 = ignore it. */
  keepMask?: MaskInput | null | undefined;
}

export const MASK_KEYS = ['keyPaddingMask', 'keepMask'] as const;

const REMOVED_MASK =
  "option 'mask' was removed (it meant 1 = keep, the opposite of PyTorch's key_padding_mask); pass keyPaddingMask " +
  '(true = ignore, as PyTorch) or keepMask (true = attend)';

/** Throws the typed error for the removed `mask` option when `opts` carries it. */
export function refuseOldMask(op: string, opts: object, shapes: readonly Shape[]): void {
  check(!Object.prototype.hasOwnProperty.call(opts, 'mask'), op, REMOVED_MASK, shapes);
}

/**
 * Checks a module's mask argument: absent, or an object with keyPaddingMask or keepMask (not both) of shape (B, Tk).
 * A bare tensor or array (the old positional `mask`, 1 = keep) is a WebgradError saying which name to use.
 */
export function checkMasks(
  op: string,
  masks: AttentionMasks | null | undefined,
  B: number,
  Tk: number,
  shapes: readonly Shape[] = [],
): void {
  if (masks === null || masks === undefined) return;
  const bare = masks instanceof Tensor || typeof (masks as ArrayLike<unknown>).length === 'number';
  check(
    !bare && typeof masks === 'object',
    op,
    'the mask argument is { keyPaddingMask } (true = ignore, as PyTorch) or { keepMask } (true = attend), not a bare mask',
    shapes,
  );
  refuseOldMask(op, masks, shapes);
  for (const key of Object.keys(masks)) {
    check(
      (MASK_KEYS as readonly string[]).includes(key),
      op,
      `unknown mask option ${key} (options are ${MASK_KEYS.join(', ')})`,
      shapes,
    );
  }
  const given = MASK_KEYS.filter((k) => masks[k] !== null && masks[k] !== undefined);
  check(given.length <= 1, op, 'pass keyPaddingMask or keepMask, not both', shapes);
  if (given.length === 1) checkOne(op, given[0], masks[given[0]]!, B, Tk, shapes);
}

function checkOne(op: string, name: string, mask: MaskInput, B: number, Tk: number, shapes: readonly Shape[]): void {
  if (mask instanceof Tensor) {
    assertLive(op, mask);
    const ok = mask.rank === 2 && mask.shape[0] === B && mask.shape[1] === Tk;
    check(ok, op, `${name} must be (B, Tk) = (${B}, ${Tk}), got [${mask.shape.join(', ')}]`, [...shapes, mask.shape]);
    return;
  }
  check(
    typeof mask === 'object' && typeof (mask as ArrayLike<unknown>).length === 'number',
    op,
    `${name} must be a tensor or an array of booleans / 0-1 numbers`,
    shapes,
  );
  check(
    mask.length === B * Tk,
    op,
    `${name} has ${mask.length} entries, expected B·Tk = ${B}·${Tk} = ${B * Tk}`,
    shapes,
  );
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i];
    check(
      m === true || m === false || m === 0 || m === 1,
      op,
      `${name} entries must be booleans or 0/1, got ${String(m)} at ${i}`,
      shapes,
    );
  }
}

/**
 * The validated masks as the (B, Tk) keep tensor the kernels read (1 = attend), or null. `owned` says the op made it
 * (an uploaded array, or 1 − keyPaddingMask) and must dispose it; no gradient flows into a mask.
 */
export function keepTensor(masks: AttentionMasks, B: number, Tk: number): { t: Tensor; owned: boolean } | null {
  const { keepMask, keyPaddingMask } = masks;
  if (keepMask !== null && keepMask !== undefined) {
    if (keepMask instanceof Tensor) return { t: keepMask, owned: false };
    return {
      t: tensor(
        Float32Array.from(keepMask, (m) => (m ? 1 : 0)),
        [B, Tk],
      ),
      owned: true,
    };
  }
  if (keyPaddingMask !== null && keyPaddingMask !== undefined) {
    if (keyPaddingMask instanceof Tensor)
      return { t: noGrad(() => addScalar(mulScalar(keyPaddingMask, -1), 1)), owned: true };
    return {
      t: tensor(
        Float32Array.from(keyPaddingMask, (m) => (m ? 0 : 1)),
        [B, Tk],
      ),
      owned: true,
    };
  }
  return null;
}

/** The same masks with `n` always-attended keys put in front of each row (tokens prepended to the frames). */
export function withLeadingKeys(
  masks: AttentionMasks | null | undefined,
  B: number,
  T: number,
  n: number,
): AttentionMasks | undefined {
  if (masks === null || masks === undefined || n === 0) return masks ?? undefined;
  const pad = (mask: MaskInput, attend: number): MaskInput => {
    if (mask instanceof Tensor) return noGrad(() => concat([attend ? ones([B, n]) : zeros([B, n]), mask], 1));
    const out = new Float32Array(B * (T + n)).fill(attend);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) out[b * (T + n) + n + t] = mask[b * T + t] ? 1 : 0;
    }
    return out;
  };
  const { keepMask, keyPaddingMask } = masks;
  if (keepMask !== null && keepMask !== undefined) return { keepMask: pad(keepMask, 1) };
  if (keyPaddingMask !== null && keyPaddingMask !== undefined) return { keyPaddingMask: pad(keyPaddingMask, 0) };
  return undefined;
}

// ----------------------------------------------------------------------------------- attention masks (Tq, Tk)

/** A mask the op made (owned: it disposes it) or the caller's tensor. */
export interface OwnedMask {
  t: Tensor;
  owned: boolean;
}

/** Every mask of one attention call, in the forms the kernels read. */
export interface Masks {
  /** (B, Tk), 1 = attend. */
  keep: OwnedMask | null;
  /** (Tq, Tk) or (B, H, Tq, Tk) additive bias, clamped below at −1e30 (which excludes the pair). */
  attn: OwnedMask | null;
  causal: boolean;
}

/** Below this a bias excludes its pair (the kernels' EXCLUDED, common/attention_mask.wgsl). */
export const EXCLUDED = -1e30;

export interface AttnMaskOptions {
  attnMask?: MaskInput | null;
  attnMaskKind?: 'additive' | 'boolean';
}

/** The attn mask's validated shape ((Tq, Tk) or (B, H, Tq, Tk)) and kind, or null when there is none. */
export function checkAttnMask(
  op: string,
  opts: AttnMaskOptions,
  B: number,
  H: number,
  Tq: number,
  Tk: number,
  shapes: readonly Shape[],
): { mask: MaskInput; shape: number[]; boolean: boolean } | null {
  const { attnMask, attnMaskKind } = opts;
  check(
    attnMaskKind === undefined || attnMaskKind === 'additive' || attnMaskKind === 'boolean',
    op,
    `attnMaskKind must be 'additive' or 'boolean', got ${String(attnMaskKind)}`,
    shapes,
  );
  if (attnMask === null || attnMask === undefined) return null;
  const small = [Tq, Tk];
  const full = [B, H, Tq, Tk];
  const want = `(Tq, Tk) = (${Tq}, ${Tk}) or (B, H, Tq, Tk) = (${full.join(', ')})`;
  if (attnMask instanceof Tensor) {
    assertLive(op, attnMask);
    const same = (s: number[]) => s.length === attnMask.rank && s.every((d, i) => d === attnMask.shape[i]);
    check(same(small) || same(full), op, `attnMask must be ${want}, got [${attnMask.shape.join(', ')}]`, [
      ...shapes,
      attnMask.shape,
    ]);
    return { mask: attnMask, shape: [...attnMask.shape], boolean: attnMaskKind === 'boolean' };
  }
  check(
    typeof attnMask === 'object' && typeof (attnMask as ArrayLike<unknown>).length === 'number',
    op,
    'attnMask must be a tensor or an array of numbers or booleans',
    shapes,
  );
  const n = attnMask.length;
  check(n === Tq * Tk || n === B * H * Tq * Tk, op, `attnMask has ${n} entries, expected ${want}`, shapes);
  const bools = n > 0 && typeof attnMask[0] === 'boolean';
  const boolean = attnMaskKind === 'boolean' || (attnMaskKind === undefined && bools);
  for (let i = 0; i < n; i++) {
    const m = attnMask[i];
    const ok = boolean ? m === true || m === false || m === 0 || m === 1 : typeof m === 'number' && !Number.isNaN(m);
    const what = boolean ? 'booleans or 0/1 (boolean attnMask)' : 'numbers, not NaN (additive attnMask)';
    check(ok, op, `attnMask entries must be ${what}, got ${String(m)} at ${i}`, shapes);
  }
  return { mask: attnMask, shape: n === Tq * Tk ? small : full, boolean };
}

/** The attn mask as the additive bias the kernels read: booleans become 0 / −1e30, and −∞ is clamped to −1e30. */
export function biasTensor(m: { mask: MaskInput; shape: number[]; boolean: boolean }): OwnedMask {
  const { mask, shape, boolean } = m;
  if (mask instanceof Tensor) {
    const t = noGrad(() => (boolean ? mulScalar(addScalar(mask, -1), -EXCLUDED) : clip(mask, EXCLUDED)));
    return { t, owned: true };
  }
  const data = Float32Array.from(mask as ArrayLike<number | boolean>, (x) =>
    boolean ? (x ? 0 : EXCLUDED) : Math.max(x as number, EXCLUDED),
  );
  return { t: tensor(data, shape), owned: true };
}

/**
 * The masks in the one buffer the kernels bind: the keep mask (B·Tk) first, then the bias; null without masks. When it
 * packs two, it disposes the ones the op made (the packed copy replaces them).
 */
export function packMasks(masks: Masks, keepLength: number): OwnedMask | null {
  const { keep, attn } = masks;
  if (!keep || !attn) return keep ?? attn;
  const n = attn.t.shape.reduce((a, b) => a * b, 1);
  const t = noGrad(() => concat([reshape(keep.t, [keepLength]), reshape(attn.t, [n])], 0));
  if (keep.owned) keep.t.dispose();
  if (attn.owned) attn.t.dispose();
  return { t, owned: true };
}
