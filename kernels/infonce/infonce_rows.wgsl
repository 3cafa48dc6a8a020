// infonce_rows: per anchor row i of the logits (infonce_logits.wgsl), the row's loss and, when the tape records, the
// gradient of the mean loss with respect to the logits, in place. One invocation per row.
//
//   INBATCH 0 first fills column 0, the anchor's own positive: logits[i, 0] = â_i · p̂_i / τ.
//   rowloss[i] = logsumexp_j(logits[i, j]) − logits[i, pos(i)],   pos(i) = i (INBATCH 1) or 0 (INBATCH 0)
//   SAVE_GRAD 1: logits[i, j] ← (softmax_j − onehot_j) · gscale, gscale = 1 / (τ·N): d(mean loss)/d(logits) already
//   divided by τ, which is what the backward (infonce_grad.wgsl) multiplies into the normalised rows.
//
// Near convergence the positive holds almost all the probability and the loss, lse − l_pos, is a tiny difference of
// two numbers of size ~1/τ. Both the loss and the positive's gradient are therefore formed from the *other* columns'
// exponentials, which are small and accurate, instead of by subtracting from 1 or from lse:
//   loss = (mx − l_pos) + log1p((e_pos − 1) + rest),  e_pos = exp(l_pos − mx), rest = Σ_{j≠pos} exp(l_j − mx)
//   G_pos = −Σ_{j≠pos} softmax_j
// (when the positive is the row maximum, e_pos = 1 exactly and the loss is log1p(rest)).
//
// MEAN = 1 (a launch fusion, for P·N ≤ 4096): one workgroup walks every row, then its first invocation writes the loss
// y[0] with infonce_mean.wgsl's loops (the same order: bit for bit), saving that launch.
//
// P independent problems (gid.z; one workgroup walks them all with MEAN): problem pb's rows are block pb of xhat
// (`rows` = 2N + M rows each), logits and rowloss; the loss is pscale · Σ_pb (their means, added in order).
//
// bindings: 0 uniform { n, c, ds4, rows, np: u32, inv_tau, gscale, scale, pscale: f32 }
//           1 xhat: array<vec4<f32>> (P·(2N + M)·ds4)   2 logits: array<f32> (P·N·C)   3 rowloss: array<f32> (P·N)
//           4 y: array<f32> (1; scratch when MEAN = 0)
// constants: INBATCH = 0 or 1;  SAVE_GRAD = 0 or 1;  MEAN = 0 or 1.
// dispatch: (ceil(N / 16), 1, P) workgroups of 16 (small groups, so even N = 64 spreads over several CPU threads);
//           MEAN: 1.

override INBATCH: u32 = 1u;
override SAVE_GRAD: u32 = 0u;
override MEAN: u32 = 0u;

struct Params { n: u32, c: u32, ds4: u32, rows: u32, np: u32, inv_tau: f32, gscale: f32, scale: f32, pscale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xhat: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowloss: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  if (MEAN == 0u) {
    if (gid.x < p.n) { row(gid.z, gid.x); }
    return;
  }
  for (var j = lid; j < p.np * p.n; j += 16u) { row(j / p.n, j % p.n); }
  storageBarrier(); // every row's loss is written before invocation 0 reads them
  if (lid != 0u) { return; }
  // infonce_mean.wgsl's loops, unchanged.
  var total = 0.0;
  for (var pb = 0u; pb < p.np; pb++) {
    let b = pb * p.n;
    var s4 = vec4<f32>(0.0);
    let n4 = p.n & ~3u;
    for (var i = 0u; i < n4; i += 4u) {
      s4 += vec4<f32>(rowloss[b + i], rowloss[b + i + 1u], rowloss[b + i + 2u], rowloss[b + i + 3u]);
    }
    var s = (s4.x + s4.y) + (s4.z + s4.w);
    for (var i = n4; i < p.n; i++) { s += rowloss[b + i]; }
    let m = s * p.scale; // scale = 1/N, rounded to f32 as infonce_mean's
    total = select(total + m, m, pb == 0u);
  }
  y[0] = total * p.pscale;
}

/** Row i of problem pb: its loss, and with SAVE_GRAD its logits' gradient in place. */
fn row(pb: u32, i: u32) {
  let lb = (pb * p.n + i) * p.c;
  if (INBATCH == 0u) {
    var s = vec4<f32>(0.0);
    let ab = (pb * p.rows + i) * p.ds4;
    let qb = (pb * p.rows + p.n + i) * p.ds4;
    for (var k = 0u; k < p.ds4; k++) { s = fma(xhat[ab + k], xhat[qb + k], s); }
    logits[lb] = ((s.x + s.y) + (s.z + s.w)) * p.inv_tau;
  }
  var mx = logits[lb];
  for (var j = 1u; j < p.c; j++) { mx = max(mx, logits[lb + j]); }
  let posCol = select(0u, i, INBATCH == 1u);
  let lpos = logits[lb + posCol];
  var rest = 0.0;
  for (var j = 0u; j < p.c; j++) {
    if (j != posCol) { rest += exp(logits[lb + j] - mx); }
  }
  let epos = exp(lpos - mx);
  rowloss[pb * p.n + i] = (mx - lpos) + log1p_(epos - 1.0 + rest);
  if (SAVE_GRAD == 1u) {
    // (l − mx) − log Σ, never l − (mx + log Σ): near |l| ~ 1e4 the sum mx + log Σ would round to a float32 step of
    // 1e-3, and every probability with it (issue #17).
    let logSum = log(epos + rest);
    var others = 0.0;
    for (var j = 0u; j < p.c; j++) {
      if (j != posCol) {
        let pj = exp((logits[lb + j] - mx) - logSum);
        others += pj;
        logits[lb + j] = pj * p.gscale;
      }
    }
    logits[lb + posCol] = -others * p.gscale;
  }
}

/**
 * log(1 + x) to float32 relative accuracy also for tiny x (the loss of a row whose positive dominates). Near 0 it
 * uses log1p(x) = 2·atanh(s), s = x / (2 + x), as a series (|s| ≤ 0.15, terms to s⁹: error < 1e-9 relative), because
 * SwiftShader's log() is accurate only in absolute terms around 1, which would quantise a loss of 1e-6 in steps of
 * ~1e-8.
 */
fn log1p_(x: f32) -> f32 {
  if (abs(x) >= 0.25) { return log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0)))));
}
