// Which (query i, key j) pairs of attention take part, and the additive bias of those that do. Every attention kernel
// asks maskBias() rather than reading the masks itself, so the rungs cannot disagree. Needs override constants MASKED
// (a (B·Tk) keep mask at mask[0..]), ATTN (0: none, 1: a (Tq, Tk) bias, 2: a (B, H, Tq, Tk) bias, at mask[p.moff..])
// and CAUSAL (1: key j > query i is excluded: PyTorch's is_causal, aligned top-left when Tq ≠ Tk), the `mask`
// binding and Params with heads, tq, tk and moff. All masks share one buffer: the dq/dkv passes are at WebGPU's
// default limit of 8 storage buffers.

/** Biases at or below this exclude the pair (the host clamps −∞ and boolean false to it). */
const EXCLUDED = -1.0e30;

/** The bias of (b, h, i, j): EXCLUDED when the pair takes no part in the softmax, else the additive mask (or 0). */
fn maskBias(b: u32, h: u32, i: u32, j: u32) -> f32 {
  if (CAUSAL != 0u && j > i) { return EXCLUDED; }
  if (MASKED != 0u && mask[b * p.tk + j] == 0.0) { return EXCLUDED; }
  if (ATTN == 1u) { return max(mask[p.moff + i * p.tk + j], EXCLUDED); }
  if (ATTN == 2u) { return max(mask[p.moff + ((b * p.heads + h) * p.tq + i) * p.tk + j], EXCLUDED); }
  return 0.0;
}
