// conv1d_tiled: the register-tiled 1-D convolution (conv1d_naive computes one output per invocation), used for the
// forward pass and for dL/dx (the same sum with the roles of the channels swapped and the taps running backwards).
// As an implicit GEMM:
//   out[b, c, t] = bias[c] + Σ_{r < CinG} Σ_{k < K} W[c, r, k] · in[b, g·CinG + r, q(t, k)]
//   q(t, k) = (t·A + k·Dk + off) / DIV, where that is a whole number in [0, Tin); otherwise the tap reads zero
// with g = c / CoutG the group of output channel c and W[c, r, k] = w[g·wG + (c % CoutG)·wC + r·wR + k].
//   forward:  in = x (B, Cin, T), out = y (B, Cout, Tout); A = stride, Dk = dilation, off = −padLeft, DIV = 1;
//             wC = Cin/groups·K, wR = K.
//   dL/dx:    in = gy (B, Cout, Tout), out = dx (B, Cin, T); A = 1, Dk = −dilation, off = padLeft, DIV = stride
//             (tap k of output step to read x at to·stride + k·dilation − padLeft, so x[t] collects the to with
//             to·stride = t + padLeft − k·dilation); wC = K, wR = Cin/groups·K: the weight read transposed.
//
// Each invocation computes ROWS output channels (one group) × 16 columns, a column being one (b, t) of the flattened
// B·Tout outputs. Flattening b into the columns keeps short sequences (DAR resamples 375 steps to length 5) from
// leaving most of a time tile idle. Per (r, k) step it loads ROWS weights and 16 inputs and does ROWS·16 fma. The
// taps' positions and validity depend on k and the column only, so k runs outside r and the masks are computed once
// per k, which also puts the long loop inside. The tile is as large as pays and its accumulators are named, not an
// array: on SwiftShader loads and loop entries are what costs (docs/decisions/conv1d.md). Rows past the group's last
// channel and columns past N compute on clamped indices and are not stored; padding and stride gaps read zero through
// a select, never out of bounds.
//
// bindings: 0 uniform Params   1 inp: array<f32>   2 w: array<f32>   3 bias: array<f32> (Cout; any buffer when
//           hasBias = 0)   4 out: array<f32> (B·CoutTot·Tout)
// dispatch: (ceil(N/64), groups·tilesPerGroup) workgroups of 4 invocations (16 columns each).
// overrides: ROWS = 8 or 16 (rows of the tile), DIV ≥ 1.

override ROWS: u32 = 16u;
override DIV: i32 = 1;

struct Params {
  N: u32,            // B·Tout columns
  Tout: u32,
  Tin: u32,
  CoutTot: u32,      // channels of out
  CoutG: u32,        // of them per group
  CinG: u32,         // reduction channels per group
  CinTot: u32,       // channels of inp
  K: u32,
  wG: u32, wC: u32, wR: u32,
  A: i32, Dk: i32, off: i32,
  tilesPerGroup: u32,
  hasBias: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

//#include "common/row16.wgsl"

/** Where four columns read at tap k: input element offsets (without the r·Tin term) and whether the tap is real. */
struct Taps { at: vec4<u32>, ok: vec4<bool> }

fn taps(pos0: vec4<i32>, base: vec4<u32>, k: u32) -> Taps {
  let pos = pos0 + vec4<i32>(i32(k) * p.Dk);
  let q = pos / vec4<i32>(DIV);
  let ok = (pos >= vec4<i32>(0)) & (q < vec4<i32>(i32(p.Tin))) & (q * vec4<i32>(DIV) == pos);
  return Taps(base + vec4<u32>(clamp(q, vec4<i32>(0), vec4<i32>(i32(p.Tin) - 1))), ok);
}

fn load4(t: Taps, r: u32) -> vec4<f32> {
  let i = t.at + vec4<u32>(r);
  return select(vec4<f32>(0.0), vec4<f32>(inp[i.x], inp[i.y], inp[i.z], inp[i.w]), t.ok);
}

/** Output offset of column n (without the channel term) into `outBase`, its first tap position into `pos0`. */
fn column(n: u32, g: u32) -> vec2<u32> {
  let b = n / p.Tout;
  let t = n % p.Tout;
  return vec2<u32>(b * p.CinTot * p.Tin + g * p.CinG * p.Tin, b * p.CoutTot * p.Tout + t);
}

fn firstPos(n: u32) -> i32 {
  return i32(n % p.Tout) * p.A + p.off;
}

fn put(at: u32, c: u32, n: u32, v: f32) {
  if (n < p.N && c < p.CoutTot) { out[at] = v; }
}

/** Stores one row of the tile: channel c (skipped past the group's end, `valid` false). */
fn store(c: u32, valid: bool, cols: array<u32, 16>, n0: u32, acc: Row16) {
  if (!valid) { return; }
  let co = c * p.Tout;
  put(cols[0] + co, c, n0, acc.c0.x);
  put(cols[1] + co, c, n0 + 1u, acc.c0.y);
  put(cols[2] + co, c, n0 + 2u, acc.c0.z);
  put(cols[3] + co, c, n0 + 3u, acc.c0.w);
  put(cols[4] + co, c, n0 + 4u, acc.c1.x);
  put(cols[5] + co, c, n0 + 5u, acc.c1.y);
  put(cols[6] + co, c, n0 + 6u, acc.c1.z);
  put(cols[7] + co, c, n0 + 7u, acc.c1.w);
  put(cols[8] + co, c, n0 + 8u, acc.c2.x);
  put(cols[9] + co, c, n0 + 9u, acc.c2.y);
  put(cols[10] + co, c, n0 + 10u, acc.c2.z);
  put(cols[11] + co, c, n0 + 11u, acc.c2.w);
  put(cols[12] + co, c, n0 + 12u, acc.c3.x);
  put(cols[13] + co, c, n0 + 13u, acc.c3.y);
  put(cols[14] + co, c, n0 + 14u, acc.c3.z);
  put(cols[15] + co, c, n0 + 15u, acc.c3.w);
}

fn initRow(c: u32) -> Row16 {
  let v = vec4<f32>(select(0.0, bias[c], p.hasBias != 0u));
  return Row16(v, v, v, v);
}

@compute @workgroup_size(4)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 16u;
  let g = gid.y / p.tilesPerGroup;
  let cl0 = (gid.y % p.tilesPerGroup) * ROWS; // first channel of the tile within its group
  if (n0 >= p.N) { return; }

  // Columns: clamped to the last one, so the hot loop needs no column checks.
  let last = p.N - 1u;
  let m0 = min(vec4<u32>(n0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last));
  let m1 = min(vec4<u32>(n0) + vec4<u32>(4u, 5u, 6u, 7u), vec4<u32>(last));
  let m2 = min(vec4<u32>(n0) + vec4<u32>(8u, 9u, 10u, 11u), vec4<u32>(last));
  let m3 = min(vec4<u32>(n0) + vec4<u32>(12u, 13u, 14u, 15u), vec4<u32>(last));
  let b0 = vec4<u32>(column(m0.x, g).x, column(m0.y, g).x, column(m0.z, g).x, column(m0.w, g).x);
  let b1 = vec4<u32>(column(m1.x, g).x, column(m1.y, g).x, column(m1.z, g).x, column(m1.w, g).x);
  let b2 = vec4<u32>(column(m2.x, g).x, column(m2.y, g).x, column(m2.z, g).x, column(m2.w, g).x);
  let b3 = vec4<u32>(column(m3.x, g).x, column(m3.y, g).x, column(m3.z, g).x, column(m3.w, g).x);
  let p0 = vec4<i32>(firstPos(m0.x), firstPos(m0.y), firstPos(m0.z), firstPos(m0.w));
  let p1 = vec4<i32>(firstPos(m1.x), firstPos(m1.y), firstPos(m1.z), firstPos(m1.w));
  let p2 = vec4<i32>(firstPos(m2.x), firstPos(m2.y), firstPos(m2.z), firstPos(m2.w));
  let p3 = vec4<i32>(firstPos(m3.x), firstPos(m3.y), firstPos(m3.z), firstPos(m3.w));

  // Rows: channel c = g·CoutG + cl, clamped to the group's last channel; weight row offsets.
  let lastC = p.CoutG - 1u;
  let cbase = g * p.CoutG;
  let wbase = g * p.wG;
  let c0 = cbase + min(cl0, lastC);
  let c1 = cbase + min(cl0 + 1u, lastC);
  let c2 = cbase + min(cl0 + 2u, lastC);
  let c3 = cbase + min(cl0 + 3u, lastC);
  let c4 = cbase + min(cl0 + 4u, lastC);
  let c5 = cbase + min(cl0 + 5u, lastC);
  let c6 = cbase + min(cl0 + 6u, lastC);
  let c7 = cbase + min(cl0 + 7u, lastC);
  let c8 = cbase + min(cl0 + 8u, lastC);
  let c9 = cbase + min(cl0 + 9u, lastC);
  let c10 = cbase + min(cl0 + 10u, lastC);
  let c11 = cbase + min(cl0 + 11u, lastC);
  let c12 = cbase + min(cl0 + 12u, lastC);
  let c13 = cbase + min(cl0 + 13u, lastC);
  let c14 = cbase + min(cl0 + 14u, lastC);
  let c15 = cbase + min(cl0 + 15u, lastC);
  let wc = p.wC;
  let o0 = wbase + (c0 - cbase) * wc; let o1 = wbase + (c1 - cbase) * wc;
  let o2 = wbase + (c2 - cbase) * wc; let o3 = wbase + (c3 - cbase) * wc;
  let o4 = wbase + (c4 - cbase) * wc; let o5 = wbase + (c5 - cbase) * wc;
  let o6 = wbase + (c6 - cbase) * wc; let o7 = wbase + (c7 - cbase) * wc;
  let o8 = wbase + (c8 - cbase) * wc; let o9 = wbase + (c9 - cbase) * wc;
  let o10 = wbase + (c10 - cbase) * wc; let o11 = wbase + (c11 - cbase) * wc;
  let o12 = wbase + (c12 - cbase) * wc; let o13 = wbase + (c13 - cbase) * wc;
  let o14 = wbase + (c14 - cbase) * wc; let o15 = wbase + (c15 - cbase) * wc;

  var a0 = initRow(c0); var a1 = initRow(c1); var a2 = initRow(c2); var a3 = initRow(c3);
  var a4 = initRow(c4); var a5 = initRow(c5); var a6 = initRow(c6); var a7 = initRow(c7);
  var a8: Row16; var a9: Row16; var a10: Row16; var a11: Row16;
  var a12: Row16; var a13: Row16; var a14: Row16; var a15: Row16;
  if (ROWS > 8u) {
    a8 = initRow(c8); a9 = initRow(c9); a10 = initRow(c10); a11 = initRow(c11);
    a12 = initRow(c12); a13 = initRow(c13); a14 = initRow(c14); a15 = initRow(c15);
  }

  for (var k = 0u; k < p.K; k++) {
    let t0 = taps(p0, b0, k);
    let t1 = taps(p1, b1, k);
    let t2 = taps(p2, b2, k);
    let t3 = taps(p3, b3, k);
    var ro = 0u; // r·Tin: where input channel r starts
    var wo = k;  // r·wR + k: where tap k of reduction channel r sits in a weight row
    for (var r = 0u; r < p.CinG; r++) {
      let xs = Row16(load4(t0, ro), load4(t1, ro), load4(t2, ro), load4(t3, ro));
      a0 = fmaRow(a0, w[o0 + wo], xs);
      a1 = fmaRow(a1, w[o1 + wo], xs);
      a2 = fmaRow(a2, w[o2 + wo], xs);
      a3 = fmaRow(a3, w[o3 + wo], xs);
      a4 = fmaRow(a4, w[o4 + wo], xs);
      a5 = fmaRow(a5, w[o5 + wo], xs);
      a6 = fmaRow(a6, w[o6 + wo], xs);
      a7 = fmaRow(a7, w[o7 + wo], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, w[o8 + wo], xs);
        a9 = fmaRow(a9, w[o9 + wo], xs);
        a10 = fmaRow(a10, w[o10 + wo], xs);
        a11 = fmaRow(a11, w[o11 + wo], xs);
        a12 = fmaRow(a12, w[o12 + wo], xs);
        a13 = fmaRow(a13, w[o13 + wo], xs);
        a14 = fmaRow(a14, w[o14 + wo], xs);
        a15 = fmaRow(a15, w[o15 + wo], xs);
      }
      ro += p.Tin;
      wo += p.wR;
    }
  }

  let cols = array<u32, 16>(
    column(m0.x, g).y, column(m0.y, g).y, column(m0.z, g).y, column(m0.w, g).y,
    column(m1.x, g).y, column(m1.y, g).y, column(m1.z, g).y, column(m1.w, g).y,
    column(m2.x, g).y, column(m2.y, g).y, column(m2.z, g).y, column(m2.w, g).y,
    column(m3.x, g).y, column(m3.y, g).y, column(m3.z, g).y, column(m3.w, g).y);
  store(c0, cl0 < p.CoutG, cols, n0, a0);
  store(c1, cl0 + 1u < p.CoutG, cols, n0, a1);
  store(c2, cl0 + 2u < p.CoutG, cols, n0, a2);
  store(c3, cl0 + 3u < p.CoutG, cols, n0, a3);
  store(c4, cl0 + 4u < p.CoutG, cols, n0, a4);
  store(c5, cl0 + 5u < p.CoutG, cols, n0, a5);
  store(c6, cl0 + 6u < p.CoutG, cols, n0, a6);
  store(c7, cl0 + 7u < p.CoutG, cols, n0, a7);
  if (ROWS > 8u) {
    store(c8, cl0 + 8u < p.CoutG, cols, n0, a8);
    store(c9, cl0 + 9u < p.CoutG, cols, n0, a9);
    store(c10, cl0 + 10u < p.CoutG, cols, n0, a10);
    store(c11, cl0 + 11u < p.CoutG, cols, n0, a11);
    store(c12, cl0 + 12u < p.CoutG, cols, n0, a12);
    store(c13, cl0 + 13u < p.CoutG, cols, n0, a13);
    store(c14, cl0 + 14u < p.CoutG, cols, n0, a14);
    store(c15, cl0 + 15u < p.CoutG, cols, n0, a15);
  }
}
