// Arenas: many tensors packed one after another into one buffer, so that one elementwise dispatch (Adam's update, the
// gradient-norm clip) covers all of them instead of one dispatch each.
//
// Every tensor starts at a multiple of 4 floats, so a vec4 kernel never reads across two tensors and runs on the
// arena exactly as it would on each tensor alone (the same vec4s, including each tensor's padding lanes, which no
// one reads): a kernel's numbers on the arena are bit-for-bit its numbers per tensor. Packing and unpacking are
// buffer copies (copyBufferToBuffer), not dispatches. The arena is a pooled tensor; its buffer returns to the pool
// after the batch that last used it is submitted.

import { runtime } from '../engine';
import { fillInto } from '../creation';
import { empty, type Tensor } from '../tensor';

/** Where each tensor lives in the arena, in floats (multiples of 4), and the arena's size. */
export interface ArenaLayout {
  readonly offsets: readonly number[];
  /** Floats in the arena: Σ ceil(size / 4)·4. */
  readonly size: number;
}

/** Tensors one after another, each starting at a multiple of `align` floats (a multiple of 4). */
export function arenaLayout(tensors: readonly Tensor[], align = 4): ArenaLayout {
  const offsets: number[] = [];
  let size = 0;
  for (const t of tensors) {
    offsets.push(size);
    size += align * Math.ceil(t.size / align);
  }
  return { offsets, size };
}

/**
 * A new arena holding `tensors` packed as laid out (the caller disposes it). `zeroed`: the gaps between tensors are
 * zeros (one fill dispatch first), for kernels that read whole chunks, like the clip's sums of squares.
 */
export function packArena(tensors: readonly Tensor[], layout: ArenaLayout, op: string, zeroed = false): Tensor {
  const arena = empty([Math.max(4, layout.size)], op);
  if (zeroed) fillInto(arena, 0);
  // Whole vec4s: every buffer is padded to 16 bytes, so the last vec4 of each tensor is there to copy.
  tensors.forEach((t, i) =>
    runtime().copy(t.buffer, arena.buffer, 16 * Math.ceil(t.size / 4), 0, 4 * layout.offsets[i]),
  );
  return arena;
}

/** Copies each tensor's part of `arena` back into the tensor's own buffer. */
export function unpackArena(arena: Tensor, tensors: readonly Tensor[], layout: ArenaLayout): void {
  tensors.forEach((t, i) =>
    runtime().copy(arena.buffer, t.buffer, 16 * Math.ceil(t.size / 4), 4 * layout.offsets[i], 0),
  );
}
