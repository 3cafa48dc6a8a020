// matmul: C = op(A)·op(B) of any rank, as torch.matmul, where op() optionally transposes the last two axes.
//
//   a: (…,M,K)   — (…,K,M) with transA; a 1-D a (K) is the row (1,K)
//   b: (…,K,N)   — (…,N,K) with transB; a 1-D b (K) is the column (K,1)
//   C: (batch…, M, N), the batch axes of a and b broadcast (NumPy rules), a vector's unit axis dropped. A 2-D operand
//   is shared by every batch ((B,M,K)·(K,N) is a Linear layer).
//   bias (optional): (N), added to every row, or (B,N) for a C with one batch axis, row b added to C_b (G Linear layers
//   side by side): fused into the kernel's store, so a Linear layer is one dispatch instead of a matmul plus an add.
//
// The 2-D and 3-D shapes the models use (equal batches, or one side 2-D) take product23; every other shape is
// flattened onto them by productND: an operand whose batch is all ones stays 2-D (shared), one with the whole batch
// is viewed as (Z, r, c), and one broadcast only on some batch axes is repeated to the whole batch (a copy: the
// kernels index one flat batch axis), its gradient summed back over those axes.
//
// The kernels (kernels/matmul/matmul_{naive,tiled,shared}.wgsl) address each operand through element strides,
// so a transposed operand costs nothing: it is a different pair of strides. Backward therefore needs no transposes,
// only the same kernel with other flags (dA = dC·op(B)ᵀ, dB = op(A)ᵀ·dC, re-transposed for a transposed operand),
// and the gradient of a broadcast 2-D operand sums over the batch inside the kernel (its S uniform).
// The tiled rung numbers its 16×16 output tiles flat over (batch, m, n) so that SIMD lanes stay busy whatever N is
// (DAR's 32-wide layers left half of them idle with a 2-D grid of 4×4 workgroups: ~2× slower per product;
// docs/decisions/matmul.md).

import { runtime } from '../engine';
import { check, fmtShape, type Shape } from '../errors';
import { grid1d, kernel, type ContractDecl, type Kernel } from '../runtime';
import { assertLive, empty, noGrad, record, sameShape, shapeSize, Tensor } from '../tensor';
import { pickRung } from '../tuning';
import { expand, gelu, recordActivation, relu, tanh } from './elementwise';
import { sharedGemm } from './gemm64';
import { sum, sumChunks } from './reduce';
import { launchFusions } from '../fusion';
import naiveSrc from '../../../kernels/matmul/matmul_naive.wgsl';
import tiledSrc from '../../../kernels/matmul/matmul_tiled.wgsl';

/**
 * The rungs of the kernel ladder, slowest first on a GPU. 'shared' (the GPU profile's default) tiles through
 * workgroup memory and splits long K (src/engine/ops/gemm64.ts); 'tiled' (the CPU profile's) is the fastest here.
 */
export type MatmulKernel = 'naive' | 'tiled' | 'shared';
export const MATMUL_KERNELS: readonly MatmulKernel[] = ['naive', 'tiled', 'shared'];

interface Rung {
  kernel: Kernel;
  /** Outputs per invocation along m and n. */
  tileM: number;
  tileN: number;
  /**
   * Flat rungs number the tiles over (z, m, n) and take a 1-D grid (grid1d) of WG-wide groups, WG an override; the
   * naive rung takes a 2-D grid of 8×8 groups over (n, m) and z.
   */
  flat: boolean;
}
/** Every rung's contract: C = op(A)·op(B) (+ bias), strides and batch sizes as uniforms. */
const MATMUL: ContractDecl = {
  params: {
    M: 'u32',
    N: 'u32',
    K: 'u32',
    S: 'u32',
    sAm: 'u32',
    sAk: 'u32',
    sBk: 'u32',
    sBn: 'u32',
    batchA: 'u32',
    batchB: 'u32',
    Z: 'u32',
    biasZ: 'u32',
  },
  buffers: { a: 'read', b: 'read', c: 'read_write', bias: 'read' },
};
/**
 * The tiled rung's, with its launch fusions' second output `aux`: a Linear's bias gradient in its dW product (DBIAS,
 * summed in reduce_sum's chunks), or the activation of a Linear's output (the uniform act). hasBias and act are
 * uniforms, not pipeline constants: one pipeline per workgroup size and DBIAS (matmul_tiled.wgsl says why).
 */
const MATMUL_TILED: ContractDecl = {
  params: { ...MATMUL.params, dbChunk: 'u32', dbChunks: 'u32', hasBias: 'u32', act: 'u32' },
  buffers: { ...MATMUL.buffers, aux: 'read_write' },
};
/** The activations the tiled rung applies in its store, by unary.wgsl's op numbers. */
export type MatmulActivation = 'relu' | 'gelu' | 'tanh';
const ACT_OPS: Record<MatmulActivation, number> = { tanh: 6, relu: 8, gelu: 9 };

/** gemm's second output on the tiled rung: db to fill (DBIAS), or the activation to apply, its result left in y. */
interface Aux {
  db?: Tensor;
  act?: number;
  y?: Tensor;
}
const RUNGS: Record<Exclude<MatmulKernel, 'shared'>, Rung> = {
  naive: { kernel: kernel('matmul_naive', naiveSrc, MATMUL), tileM: 1, tileN: 1, flat: false },
  tiled: { kernel: kernel('matmul_tiled', tiledSrc, MATMUL_TILED), tileM: 16, tileN: 16, flat: true },
};
const NAIVE_WG = 8;
/**
 * Invocations per workgroup of a flat rung: 16 (four SIMD groups on SwiftShader), or 4 when there are fewer than 256
 * tiles, so that even a product of a few dozen tiles spreads over several workgroups and so over every core
 * (measured: six 32×32 products with K = 256 or 512, 24 tiles, ran 1.3× faster with 4 than with 16).
 */
const flatWg = (tiles: number): number => (tiles < 256 ? 4 : 16);

/** Largest M, N or K: keeps the naive rung's 2-D grid under 65535 workgroups per dimension (8 outputs each). */
const MAX_DIM = 65535 * 8;
const MAX_BATCH = 65535;

export interface MatmulOptions {
  /** Use a's last two axes transposed: a is (K,M) or (B,K,M). */
  transA?: boolean;
  /** Use b's last two axes transposed: b is (N,K) or (B,N,K). */
  transB?: boolean;
  /**
   * Which rung of the kernel ladder runs, forward and backward (tests and the benchmark compare them). Default: the
   * tuning profile's, 'tiled' on 'cpu' and 'shared' on 'gpu'.
   */
  kernel?: MatmulKernel;
  /** Added to C: (N) to every row, or (B,N) to each batch's rows when C is (B,M,N); gets its gradient. */
  bias?: Tensor | null;
  /**
   * Applied last: relu(C), gelu(C) (exact) or tanh(C), the same as relu()/gelu()/tanh() of the product, numbers and
   * gradients; on the tiled rung with launch fusions on (src/engine/fusion.ts), in the product's own launch.
   */
  activation?: MatmulActivation | null;
}

const OPTION_KEYS = ['transA', 'transB', 'kernel', 'bias', 'activation'];

/** op(t) as a matrix: [rows, cols] of its last two axes, swapped when transposed. */
function opDims(shape: readonly number[], trans: boolean): [number, number] {
  const r = shape[shape.length - 2];
  const c = shape[shape.length - 1];
  return trans ? [c, r] : [r, c];
}

const batchOf = (t: Tensor): number => (t.rank === 3 ? t.shape[0] : 1);

/** fn on reshaped views, which are released afterwards (the dispatch already holds their buffers); out reshapes C. */
function withViews(views: Tensor[], fn: (v: Tensor[]) => Tensor, out?: (c: Tensor) => number[]): Tensor {
  const c = fn(views);
  for (const v of views) v.dispose();
  if (!out) return c;
  const y = c.view(out(c));
  c.dispose();
  return y;
}

/**
 * Records C = Σ_s op(A_g)·op(B_g), g = z·S + s, on one rung of the ladder. Shapes were validated by the caller.
 * sumBatch: S = batch and one (M,N) output (the gradient of a broadcast operand); otherwise S = 1 and one output
 * matrix per batch. Tiled rung only: aux.db (transA, S = 1) is also filled with db[z, m] = Σ_k op(A_z)[m, k] (see
 * dbFused); with aux.act, aux.y is set to act(C), C's shape (product23's activation).
 */
function gemm(
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
  rung: MatmulKernel,
  sumBatch = false,
  bias: Tensor | null = null,
  aux: Aux = {},
): Tensor {
  // Where the batch axis sits next to M, or next to K in both operands, fold it in and run one 2-D product: a batch
  // of short matrices (8 rows each in the model) would otherwise leave most of every 16-row tile idle, and a short
  // K per batch runs the kernel's batch loop for little work (measured 2× slower for K = 8).
  if (
    a.rank === 3 &&
    b.rank === 2 &&
    !transA &&
    !sumBatch &&
    a.shape[0] * a.shape[1] <= MAX_DIM &&
    (!bias || bias.rank === 1)
  ) {
    // (B,M,K)·op(B) = ((B·M),K)·op(B), viewed back as (B,M,N): the Linear layer.
    const [batch, m, k] = a.shape;
    return withViews(
      [a.view([batch * m, k])],
      ([a2]) => gemm(a2, b, false, transB, rung, false, bias, aux),
      (c) => [batch, m, c.shape[1]],
    );
  }
  if (sumBatch && transA && !transB && a.rank === 3 && b.rank === 3) {
    // Σ_g A_gᵀ·B_g with A_g (K,M) and B_g (K,N) = Aᵀ·B over the stacked ((B·K),M) and ((B·K),N): a Linear's dW.
    const [batch, k, m] = a.shape;
    const n = b.shape[2];
    return withViews([a.view([batch * k, m]), b.view([batch * k, n])], ([a2, b2]) =>
      gemm(a2, b2, true, false, rung, false, null, aux),
    );
  }
  const [M, K] = opDims(a.shape, transA);
  const [, N] = opDims(b.shape, transB);
  const batched = a.rank === 3 || b.rank === 3;
  const batch = Math.max(batchOf(a), batchOf(b));
  const [Z, S] = sumBatch ? [1, batch] : [batch, 1];
  const c = empty(batched && !sumBatch ? [batch, M, N] : [M, N], 'matmul');
  if ((aux.db || aux.act) && rung !== 'tiled') throw new Error('matmul: launch fusions run on the tiled rung only');
  if (aux.act) aux.y = empty(c.shape, 'matmul');
  if (c.size === 0) return c;
  // Element strides of op(A) along m and k and of op(B) along k and n (row-major storage, swapped by a transpose).
  const [sAm, sAk] = transA ? [1, M] : [K, 1];
  const [sBk, sBn] = transB ? [1, K] : [N, 1];
  const batchA = a.rank === 3 ? M * K : 0;
  const batchB = b.rank === 3 ? K * N : 0;
  if (rung === 'shared') {
    sharedGemm(a, b, c, bias, { M, N, K, S, sAm, sAk, sBk, sBn, batchA, batchB, Z });
    return c;
  }
  const { kernel: k, tileM, tileN, flat } = RUNGS[rung];
  const tiles = Z * Math.ceil(M / tileM) * Math.ceil(N / tileN);
  const params = { M, N, K, S, sAm, sAk, sBk, sBn, batchA, batchB, Z, biasZ: bias?.rank === 2 ? N : 0 };
  const buffers = { a: a.buffer, b: b.buffer, c: c.buffer, bias: (bias ?? a).buffer }; // a stands in: HAS_BIAS = 0 never reads it
  if (!flat) {
    runtime().dispatch({
      kernel: k,
      constants: { HAS_BIAS: bias ? 1 : 0 },
      params,
      buffers,
      groups: [Math.ceil(N / NAIVE_WG), Math.ceil(M / NAIVE_WG), Z],
    });
    return c;
  }
  const { db, y } = aux;
  if (db && !(transA && S === 1 && db.size === Z * M))
    throw new Error('matmul: a fused bias gradient needs transA, S = 1');
  // db sums op(A_z) (Z, M, K) over k as sum() would a (Z, K, M) array over its middle axis: with sum()'s chunks.
  const { chunk, parts } = sumChunks(Z, K, M);
  // Without either fusion nothing writes aux: a scratch float stands in (c cannot: two writable bindings).
  const out2 = db ?? y ?? empty([1], 'matmul');
  runtime().dispatch({
    kernel: k,
    constants: { WG: flatWg(tiles), DBIAS: db ? 1 : 0 },
    params: { ...params, dbChunk: Math.max(4, chunk), dbChunks: parts, hasBias: bias ? 1 : 0, act: aux.act ?? 0 },
    buffers: { ...buffers, aux: out2.buffer },
    groups: grid1d(tiles, flatWg(tiles)),
  });
  if (!db && !y) out2.dispose();
  return c;
}

/**
 * Matrix product op(a)·op(b) of any rank, as `torch.matmul` (see the top of this file): the last two axes multiply,
 * the leading (batch) axes broadcast, a 1-D a is a row vector and a 1-D b a column vector whose axis is dropped from
 * the result. `transA`/`transB` swap an operand's last two axes (not for a 1-D operand). Differentiable in a, b and
 * the optional fused bias ((N), or (B,N) when the batch is one axis of size B); a broadcast operand's gradient is
 * summed over the axes it was repeated on. Throws a WebgradError naming the shapes for a scalar operand, mismatched
 * inner dimensions or batch axes that do not broadcast.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  assertLive('matmul', a, b);
  const bias = opts?.bias ?? null;
  const shapes: Shape[] = bias instanceof Tensor ? [a.shape, b.shape, bias.shape] : [a.shape, b.shape];
  check(opts !== null && typeof opts === 'object', 'matmul', `options must be an object, got ${String(opts)}`, shapes);
  for (const key of Object.keys(opts)) {
    check(OPTION_KEYS.includes(key), 'matmul', `unknown option ${key} (options are ${OPTION_KEYS.join(', ')})`, shapes);
  }
  const { transA = false, transB = false } = opts;
  const act = opts.activation ?? null;
  check(
    act === null || act === 'relu' || act === 'gelu' || act === 'tanh',
    'matmul',
    `activation must be ${Object.keys(ACT_OPS).join(' or ')}, got ${String(act)}`,
    shapes,
  );
  // The tuning profile's rung unless the caller names one (docs/decisions/tuning.md).
  const rung = opts.kernel === undefined ? pickRung(runtime().tuning, { cpu: 'tiled', gpu: 'shared' }) : opts.kernel;
  check(
    typeof transA === 'boolean' && typeof transB === 'boolean',
    'matmul',
    `transA and transB must be booleans, got ${String(transA)} and ${String(transB)}`,
    shapes,
  );
  check(
    MATMUL_KERNELS.includes(rung),
    'matmul',
    `kernel must be one of ${MATMUL_KERNELS.join(', ')}, got ${String(rung)}`,
    shapes,
  );
  for (const [name, t, trans] of [
    ['a', a, transA],
    ['b', b, transB],
  ] as const) {
    check(t.rank >= 1, 'matmul', `${name} must have rank ≥ 1, got a scalar (rank 0)`, shapes);
    const swap = name === 'a' ? 'transA' : 'transB';
    check(t.rank >= 2 || !trans, 'matmul', `${swap} needs ${name} of rank ≥ 2 (a vector has no axes to swap)`, shapes);
  }
  // A vector as a matrix: a (K) is (1,K), b (K) is (K,1).
  const aMat = a.rank === 1 ? [1, a.shape[0]] : a.shape;
  const bMat = b.rank === 1 ? [b.shape[0], 1] : b.shape;
  const [M, K] = opDims(aMat, transA);
  const [Kb, N] = opDims(bMat, transB);
  const desc = (name: string, trans: boolean, r: number, c: number) => `${name}${trans ? 'ᵀ' : ''} is ${r}×${c}`;
  check(K === Kb, 'matmul', `inner dimensions differ: ${desc('a', transA, M, K)}, ${desc('b', transB, Kb, N)}`, shapes);
  const batchA = aMat.slice(0, -2);
  const batchB = bMat.slice(0, -2);
  const batch = broadcastBatch(batchA, batchB, shapes);
  check(
    Math.max(M, N, K) <= MAX_DIM && shapeSize(batch) <= MAX_BATCH,
    'matmul',
    `dimensions above ${MAX_DIM} or batches above ${MAX_BATCH} are not supported`,
    shapes,
  );
  if (bias !== null) {
    check(bias instanceof Tensor, 'matmul', 'bias must be a Tensor or null', shapes);
    assertLive('matmul', bias);
    const perBatch = batch.length === 1;
    const fits =
      (bias.rank === 1 && bias.shape[0] === N) ||
      (perBatch && bias.rank === 2 && bias.shape[0] === batch[0] && bias.shape[1] === N);
    check(
      fits,
      'matmul',
      `bias must be (${N})${perBatch ? ` or (${batch[0]}, ${N})` : ''} for a product with N = ${N}`,
      shapes,
    );
  }
  // Today's shapes (2-D and 3-D, equal batches or one side 2-D) keep their own path: same dispatches, same numbers.
  const plain = (t: Tensor) => t.rank === 2 || t.rank === 3;
  let y: Tensor;
  if (plain(a) && plain(b) && (a.rank === 2 || b.rank === 2 || a.shape[0] === b.shape[0])) {
    if (act && rung === 'tiled' && launchFusions()) {
      // The activation in the product's store: one launch, the same tape (a matmul node, then act's) and numbers.
      const aux: Aux = { act: ACT_OPS[act] };
      const z = product23(a, b, transA, transB, rung, bias, aux); //  z: (M,N) or (B,M,N), before the activation
      const y2 = aux.y!.view(z.shape); // the kernel's flat output, shaped as z (a Linear's rows were folded)
      aux.y!.dispose();
      return recordActivation(act, z, y2);
    }
    y = product23(a, b, transA, transB, rung, bias);
  } else {
    const outShape = [...batch, ...(a.rank === 1 ? [] : [M]), ...(b.rank === 1 ? [] : [N])];
    y = productND(a, b, { aMat, bMat, batch, outShape, transA, transB, rung, bias });
  }
  return act === null ? y : { relu, gelu, tanh }[act](y);
}

/** The broadcast of two batch shapes (NumPy rules), or a WebgradError naming the operands' shapes. */
function broadcastBatch(ba: readonly number[], bb: readonly number[], shapes: Shape[]): number[] {
  const rank = Math.max(ba.length, bb.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(ba), pad(bb)];
  return pa.map((da, i) => {
    const db = pb[i];
    const ok = da === db || da === 1 || db === 1;
    check(ok, 'matmul', `batch axes do not broadcast: ${fmtShape(ba)} and ${fmtShape(bb)}`, shapes);
    return da === 1 ? db : da;
  });
}

/**
 * The 2-D and 3-D product with its backward (a 2-D operand of a batched product is shared by every batch); with
 * aux.act, the tiled kernel also leaves act(y) in aux.y.
 */
function product23(
  a: Tensor,
  b: Tensor,
  transA: boolean,
  transB: boolean,
  rung: MatmulKernel,
  bias: Tensor | null,
  aux: Aux = {},
): Tensor {
  const y = gemm(a, b, transA, transB, rung, false, bias, aux); // y: (M,N) or (B,M,N)
  const fusions = launchFusions(); // as they were when the product was recorded
  return record(y, 'matmul', bias ? [a, b, bias] : [a, b], (gy, needs) => {
    // dop(A) = dC·op(B)ᵀ and dop(B) = op(A)ᵀ·dC; a transposed operand takes the transpose of its dop, which swaps
    // the factors. A 2-D operand of a batched product gets the sum over the batch.
    const sumA = a.rank === 2 && b.rank === 3;
    const sumB = b.rank === 2 && a.rank === 3;
    const ga = !needs[0]
      ? null
      : transA
        ? gemm(b, gy, transB, true, rung, sumA) // dA = op(B)·dCᵀ      (K,M)
        : gemm(gy, b, false, !transB, rung, sumA); // dA = dC·op(B)ᵀ      (M,K)
    // dbias: gy summed over its rows (and over the batch for a shared (N) bias); in dB's launch where dbFused allows.
    const fuse = fusions && dbFused(b, transA, transB, rung, bias, needs);
    let gbias = fuse ? empty(bias!.shape, 'matmul') : null;
    const gb = !needs[1]
      ? null
      : transB
        ? gemm(gy, a, true, transA, rung, sumB, null, gbias ? { db: gbias } : {}) // dB = dCᵀ·op(A)      (N,K)
        : gemm(a, gy, !transA, false, rung, sumB); // dB = op(A)ᵀ·dC      (K,N)
    if (bias && needs[2] && !fuse) gbias = sum(gy, bias.rank === 2 ? [1] : gy.rank === 3 ? [0, 1] : [0]);
    return bias ? [ga, gb, gbias] : [ga, gb];
  });
}

/**
 * Whether product23's backward (launch fusions on) sums the bias gradient in dB's launch (src/engine/fusion.ts): the
 * tiled rung, a weight stored (N,K) as Linear's (dB = dCᵀ·op(A), so Σ_rows dC runs along dB's rows), both gradients
 * wanted, and a bias that has one row per output matrix of that product: (N) for a 2-D weight (a batched a folds into
 * its rows), (B,N) for a (B,N,K) one. The sums are sum()'s, in its order, bit for bit.
 */
function dbFused(
  b: Tensor,
  transA: boolean,
  transB: boolean,
  rung: MatmulKernel,
  bias: Tensor | null,
  needs: readonly boolean[],
): boolean {
  if (!bias || !needs[1] || !needs[2] || rung !== 'tiled') return false;
  // N = 1 would make sum() a contiguous-row reduction, in another kernel's order.
  return transB && !transA && bias.rank === b.rank - 1 && bias.shape[bias.rank - 1] > 1;
}

/** What productND needs from matmul's validation: operands as matrices (vectors promoted), the output batch. */
interface NDPlan {
  aMat: readonly number[];
  bMat: readonly number[];
  batch: number[];
  outShape: number[];
  transA: boolean;
  transB: boolean;
  rung: MatmulKernel;
  bias: Tensor | null;
}

/**
 * An operand over the output batch, as gemm takes it (an untracked view or copy, disposed by the caller): (r, c) when
 * its batch is all ones (gemm shares it with every batch, and sums its gradient over them in the kernel), (Z, r, c)
 * when it has the whole batch, else repeated to the whole batch first (a copy: the kernels index one flat batch).
 */
function overBatch(t: Tensor, mat: readonly number[], batch: number[]): Tensor {
  const own = mat.slice(0, -2);
  const m = mat.slice(-2);
  const z = shapeSize(batch);
  if (shapeSize(own) === 1 && z > 0) return t.view(m);
  if (sameShape(own, batch)) return t.view([z, ...m]);
  const padded = t.view([...new Array<number>(batch.length - own.length).fill(1), ...own, ...m]);
  const full = noGrad(() => expand(padded, [...batch, ...m]));
  const v = full.view([z, ...m]);
  padded.dispose();
  full.dispose();
  return v;
}

/** An operand's gradient from gemm's (r, c) or (Z, r, c): summed over the batch axes it was repeated on, as t. */
function gradOver(g: Tensor, t: Tensor, mat: readonly number[], batch: number[]): Tensor {
  const own = mat.slice(0, -2);
  let out: Tensor;
  if (g.rank === 2 || sameShape(own, batch)) {
    out = g.view(t.shape);
  } else {
    const lead = batch.length - own.length;
    const axes = batch.map((d, i) => i).filter((i) => i < lead || (own[i - lead] === 1 && batch[i] !== 1));
    const full = g.view([...batch, ...mat.slice(-2)]);
    const summed = sum(full, axes, true);
    out = summed.view(t.shape);
    full.dispose();
    summed.dispose();
  }
  g.dispose();
  return out;
}

/**
 * Any-rank matmul on the 2-D/3-D kernels: both operands flattened to one batch axis (a shared one kept 2-D, a
 * partly broadcast one repeated), one gemm, its result viewed as the output; one node on the tape, whose backward
 * runs the same gemms as product23's and sums a repeated operand's gradient over its broadcast axes.
 */
function productND(a: Tensor, b: Tensor, p: NDPlan): Tensor {
  const { aMat, bMat, batch, outShape, transA, transB, rung, bias } = p;
  const A = overBatch(a, aMat, batch);
  const B = overBatch(b, bMat, batch);
  const c = gemm(A, B, transA, transB, rung, false, bias); // (Z,M,N), or (M,N) when both are shared
  A.dispose();
  B.dispose();
  const y = c.view(outShape);
  c.dispose();
  return record(y, 'matmul', bias ? [a, b, bias] : [a, b], (gy, needs) => {
    const A = overBatch(a, aMat, batch);
    const B = overBatch(b, bMat, batch);
    const batched = A.rank === 3 || B.rank === 3;
    const [M, N] = [c.shape[c.rank - 2], c.shape[c.rank - 1]];
    const g = gy.view(batched ? [shapeSize(batch), M, N] : [M, N]);
    const sumA = A.rank === 2 && batched;
    const sumB = B.rank === 2 && batched;
    // The same products as product23's backward (see there), on the flattened operands.
    const ga = !needs[0]
      ? null
      : gradOver(
          transA ? gemm(B, g, transB, true, rung, sumA) : gemm(g, B, false, !transB, rung, sumA),
          a,
          aMat,
          batch,
        );
    const gb = !needs[1]
      ? null
      : gradOver(
          transB ? gemm(g, A, true, transA, rung, sumB) : gemm(A, g, !transA, false, rung, sumB),
          b,
          bMat,
          batch,
        );
    let gbias: Tensor | null = null;
    if (bias && needs[2]) {
      gbias = bias.rank === 1 ? sum(g, g.rank === 3 ? [0, 1] : [0]) : g.rank === 3 ? sum(g, [1]) : sum(g, [0], true);
    }
    for (const t of [A, B, g]) t.dispose();
    return bias ? [ga, gb, gbias] : [ga, gb];
  });
}
