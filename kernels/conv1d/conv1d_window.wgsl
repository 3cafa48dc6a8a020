// conv1d_window: the register-tiled 1-D convolution for stride 1, dilation 1 and kernels of up to 7 taps (DAR's
// 'same' convolutions over time), forward and dL/dx. The sum of conv1d_tiled.wgsl, but the 16 columns of a tile are
// 16 consecutive steps of one sequence, so the inputs that tap s + 1 reads are those of tap s shifted by one step:
// per reduction channel the kernel loads a window of 16 inputs, then per further tap moves it down one lane and
// loads one new input: 16 + K − 1 loads instead of 16·K.
//   out[b, c, t] = bias[c] + Σ_{r < CinG} Σ_{s < K} W[c, r, kw0 + s·kwStep] · in[b, g·CinG + r, t + off + s]
// with in reading zero outside [0, Tin), g = c / CoutG and W[c, r, k] = w[g·wG + (c % CoutG)·wC + r·wR + k].
//   forward:  in = x, out = y; off = −padLeft, kw0 = 0, kwStep = 1; wC = CinG·K, wR = K.
//   dL/dx:    in = gy, out = dx; off = padLeft − (K − 1), kw0 = K − 1, kwStep = −1 (tap k = K − 1 − s reads gy at
//             t + padLeft − k); wC = K, wR = Cin/groups·K: the weight read transposed.
//
// Each invocation computes ROWS channels of one group × 16 steps t0 .. t0+15 of sequence b (steps past Tout compute
// on masked inputs and are not stored). The taps are written out, one block each, guarded by the override KS = K: on
// SwiftShader a loop over K taps inside the loop over channels ran at half the speed (every loop entry and exit costs
// as much as a tap), while a block whose override guard is false costs nothing. Positions and zero-padding masks are
// the same for every channel, so they are worked out once. Named accumulators, no arrays: see conv1d_tiled.wgsl.
//
// bindings: 0 uniform Params   1 inp: array<f32>   2 w: array<f32>   3 bias: array<f32> (any buffer when hasBias = 0)
//           4 out: array<f32> (B·CoutTot·Tout)
// dispatch: (ceil(B·tilesT / 4), groups·tilesPerGroup) workgroups of 4 invocations, tilesT = ceil(Tout/16).
// overrides: ROWS = 8 or 16 (rows of the tile), KS = K in 1 .. 7.

override ROWS: u32 = 16u;
override KS: u32 = 3u;

struct Params {
  B: u32,
  Tout: u32,
  Tin: u32,
  CoutTot: u32,
  CoutG: u32,
  CinG: u32,
  CinTot: u32,
  K: u32,
  wG: u32, wC: u32, wR: u32,
  off: i32,
  kw0: u32,
  kwStep: u32,       // 1 or −1 (as u32: adding it wraps around)
  tilesT: u32,
  tilesPerGroup: u32,
  hasBias: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

//#include "common/row16.wgsl"

/** The window one step further: every value moves down one lane, `next` enters at the end. */
fn shift(xs: Row16, next: f32) -> Row16 {
  return Row16(
    vec4<f32>(xs.c0.yzw, xs.c1.x),
    vec4<f32>(xs.c1.yzw, xs.c2.x),
    vec4<f32>(xs.c2.yzw, xs.c3.x),
    vec4<f32>(xs.c3.yzw, next),
  );
}

/** Positions pos, clamped into [0, Tin) (where they are read), and whether they lie inside (else the value is 0). */
fn inside(pos: vec4<i32>) -> vec4<bool> {
  return (pos >= vec4<i32>(0)) & (pos < vec4<i32>(i32(p.Tin)));
}
fn clamped(pos: vec4<i32>) -> vec4<u32> {
  return vec4<u32>(clamp(pos, vec4<i32>(0), vec4<i32>(i32(p.Tin) - 1)));
}

fn load4(row: u32, i: vec4<u32>, ok: vec4<bool>) -> vec4<f32> {
  let a = vec4<u32>(row) + i;
  return select(vec4<f32>(0.0), vec4<f32>(inp[a.x], inp[a.y], inp[a.z], inp[a.w]), ok);
}

fn put4(at: u32, t: u32, v: vec4<f32>) {
  if (t < p.Tout) { out[at] = v.x; }
  if (t + 1u < p.Tout) { out[at + 1u] = v.y; }
  if (t + 2u < p.Tout) { out[at + 2u] = v.z; }
  if (t + 3u < p.Tout) { out[at + 3u] = v.w; }
}

/** One row of the tile: channel c (skipped past the group's end: `valid` false), steps t0 .. t0+15 of the sequence
    whose outputs start at ob. */
fn store(ob: u32, c: u32, valid: bool, t0: u32, acc: Row16) {
  if (!valid) { return; }
  let at = ob + c * p.Tout + t0;
  put4(at, t0, acc.c0);
  put4(at + 4u, t0 + 4u, acc.c1);
  put4(at + 8u, t0 + 8u, acc.c2);
  put4(at + 12u, t0 + 12u, acc.c3);
}

fn initRow(c: u32) -> Row16 {
  let v = vec4<f32>(select(0.0, bias[c], p.hasBias != 0u));
  return Row16(v, v, v, v);
}

@compute @workgroup_size(4)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let tile = gid.x;
  if (tile >= p.B * p.tilesT) { return; }
  let b = tile / p.tilesT;
  let t0 = (tile % p.tilesT) * 16u;
  let g = gid.y / p.tilesPerGroup;
  let cl0 = (gid.y % p.tilesPerGroup) * ROWS;

  // Rows: channels g·CoutG + l, l clamped to the group's last channel; where their weight rows start.
  let lastC = p.CoutG - 1u;
  let cbase = g * p.CoutG;
  let wbase = g * p.wG;
  let l0 = min(cl0, lastC); let l1 = min(cl0 + 1u, lastC); let l2 = min(cl0 + 2u, lastC); let l3 = min(cl0 + 3u, lastC);
  let l4 = min(cl0 + 4u, lastC); let l5 = min(cl0 + 5u, lastC); let l6 = min(cl0 + 6u, lastC); let l7 = min(cl0 + 7u, lastC);
  let l8 = min(cl0 + 8u, lastC); let l9 = min(cl0 + 9u, lastC); let l10 = min(cl0 + 10u, lastC); let l11 = min(cl0 + 11u, lastC);
  let l12 = min(cl0 + 12u, lastC); let l13 = min(cl0 + 13u, lastC); let l14 = min(cl0 + 14u, lastC); let l15 = min(cl0 + 15u, lastC);
  let wc = p.wC;
  let o0 = wbase + l0 * wc; let o1 = wbase + l1 * wc; let o2 = wbase + l2 * wc; let o3 = wbase + l3 * wc;
  let o4 = wbase + l4 * wc; let o5 = wbase + l5 * wc; let o6 = wbase + l6 * wc; let o7 = wbase + l7 * wc;
  let o8 = wbase + l8 * wc; let o9 = wbase + l9 * wc; let o10 = wbase + l10 * wc; let o11 = wbase + l11 * wc;
  let o12 = wbase + l12 * wc; let o13 = wbase + l13 * wc; let o14 = wbase + l14 * wc; let o15 = wbase + l15 * wc;

  var a0 = initRow(cbase + l0); var a1 = initRow(cbase + l1); var a2 = initRow(cbase + l2); var a3 = initRow(cbase + l3);
  var a4 = initRow(cbase + l4); var a5 = initRow(cbase + l5); var a6 = initRow(cbase + l6); var a7 = initRow(cbase + l7);
  var a8: Row16; var a9: Row16; var a10: Row16; var a11: Row16;
  var a12: Row16; var a13: Row16; var a14: Row16; var a15: Row16;
  if (ROWS > 8u) {
    a8 = initRow(cbase + l8); a9 = initRow(cbase + l9); a10 = initRow(cbase + l10); a11 = initRow(cbase + l11);
    a12 = initRow(cbase + l12); a13 = initRow(cbase + l13); a14 = initRow(cbase + l14); a15 = initRow(cbase + l15);
  }

  // The window of tap 0 (steps first .. first+15) and the steps that taps 1 .. 6 add (first+16 .. first+21).
  let first = vec4<i32>(i32(t0) + p.off) + vec4<i32>(0, 1, 2, 3);
  let p0 = first; let p1 = first + vec4<i32>(4); let p2 = first + vec4<i32>(8); let p3 = first + vec4<i32>(12);
  let i0 = clamped(p0); let i1 = clamped(p1); let i2 = clamped(p2); let i3 = clamped(p3);
  let k0 = inside(p0); let k1 = inside(p1); let k2 = inside(p2); let k3 = inside(p3);
  let ti0 = clamped(first + vec4<i32>(16)); let tk0 = inside(first + vec4<i32>(16));
  let ti1 = clamped(first + vec4<i32>(20)); let tk1 = inside(first + vec4<i32>(20));

  var row = (b * p.CinTot + g * p.CinG) * p.Tin; // where input channel r of sequence b starts
  var wr = p.kw0;                                 // r·wR + kw0: tap 0's weight in channel r
  for (var r = 0u; r < p.CinG; r++) {
    var xs = Row16(load4(row, i0, k0), load4(row, i1, k1), load4(row, i2, k2), load4(row, i3, k3));
    var wo = wr;
    a0 = fmaRow(a0, w[o0 + wo], xs); a1 = fmaRow(a1, w[o1 + wo], xs);
    a2 = fmaRow(a2, w[o2 + wo], xs); a3 = fmaRow(a3, w[o3 + wo], xs);
    a4 = fmaRow(a4, w[o4 + wo], xs); a5 = fmaRow(a5, w[o5 + wo], xs);
    a6 = fmaRow(a6, w[o6 + wo], xs); a7 = fmaRow(a7, w[o7 + wo], xs);
    if (ROWS > 8u) {
      a8 = fmaRow(a8, w[o8 + wo], xs); a9 = fmaRow(a9, w[o9 + wo], xs);
      a10 = fmaRow(a10, w[o10 + wo], xs); a11 = fmaRow(a11, w[o11 + wo], xs);
      a12 = fmaRow(a12, w[o12 + wo], xs); a13 = fmaRow(a13, w[o13 + wo], xs);
      a14 = fmaRow(a14, w[o14 + wo], xs); a15 = fmaRow(a15, w[o15 + wo], xs);
    }
    if (KS > 1u) { // tap 1
      xs = shift(xs, select(0.0, inp[row + ti0.x], tk0.x));
      wo += p.kwStep;
      a0 = fmaRow(a0, w[o0 + wo], xs); a1 = fmaRow(a1, w[o1 + wo], xs);
      a2 = fmaRow(a2, w[o2 + wo], xs); a3 = fmaRow(a3, w[o3 + wo], xs);
      a4 = fmaRow(a4, w[o4 + wo], xs); a5 = fmaRow(a5, w[o5 + wo], xs);
      a6 = fmaRow(a6, w[o6 + wo], xs); a7 = fmaRow(a7, w[o7 + wo], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, w[o8 + wo], xs); a9 = fmaRow(a9, w[o9 + wo], xs);
        a10 = fmaRow(a10, w[o10 + wo], xs); a11 = fmaRow(a11, w[o11 + wo], xs);
        a12 = fmaRow(a12, w[o12 + wo], xs); a13 = fmaRow(a13, w[o13 + wo], xs);
        a14 = fmaRow(a14, w[o14 + wo], xs); a15 = fmaRow(a15, w[o15 + wo], xs);
      }
    }
    if (KS > 2u) { // tap 2
      xs = shift(xs, select(0.0, inp[row + ti0.y], tk0.y));
      wo += p.kwStep;
      a0 = fmaRow(a0, w[o0 + wo], xs); a1 = fmaRow(a1, w[o1 + wo], xs);
      a2 = fmaRow(a2, w[o2 + wo], xs); a3 = fmaRow(a3, w[o3 + wo], xs);
      a4 = fmaRow(a4, w[o4 + wo], xs); a5 = fmaRow(a5, w[o5 + wo], xs);
      a6 = fmaRow(a6, w[o6 + wo], xs); a7 = fmaRow(a7, w[o7 + wo], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, w[o8 + wo], xs); a9 = fmaRow(a9, w[o9 + wo], xs);
        a10 = fmaRow(a10, w[o10 + wo], xs); a11 = fmaRow(a11, w[o11 + wo], xs);
        a12 = fmaRow(a12, w[o12 + wo], xs); a13 = fmaRow(a13, w[o13 + wo], xs);
        a14 = fmaRow(a14, w[o14 + wo], xs); a15 = fmaRow(a15, w[o15 + wo], xs);
      }
    }
    if (KS > 3u) { // tap 3
      xs = shift(xs, select(0.0, inp[row + ti0.z], tk0.z));
      wo += p.kwStep;
      a0 = fmaRow(a0, w[o0 + wo], xs); a1 = fmaRow(a1, w[o1 + wo], xs);
      a2 = fmaRow(a2, w[o2 + wo], xs); a3 = fmaRow(a3, w[o3 + wo], xs);
      a4 = fmaRow(a4, w[o4 + wo], xs); a5 = fmaRow(a5, w[o5 + wo], xs);
      a6 = fmaRow(a6, w[o6 + wo], xs); a7 = fmaRow(a7, w[o7 + wo], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, w[o8 + wo], xs); a9 = fmaRow(a9, w[o9 + wo], xs);
        a10 = fmaRow(a10, w[o10 + wo], xs); a11 = fmaRow(a11, w[o11 + wo], xs);
        a12 = fmaRow(a12, w[o12 + wo], xs); a13 = fmaRow(a13, w[o13 + wo], xs);
        a14 = fmaRow(a14, w[o14 + wo], xs); a15 = fmaRow(a15, w[o15 + wo], xs);
      }
    }
    if (KS > 4u) { // tap 4
      xs = shift(xs, select(0.0, inp[row + ti0.w], tk0.w));
      wo += p.kwStep;
      a0 = fmaRow(a0, w[o0 + wo], xs); a1 = fmaRow(a1, w[o1 + wo], xs);
      a2 = fmaRow(a2, w[o2 + wo], xs); a3 = fmaRow(a3, w[o3 + wo], xs);
      a4 = fmaRow(a4, w[o4 + wo], xs); a5 = fmaRow(a5, w[o5 + wo], xs);
      a6 = fmaRow(a6, w[o6 + wo], xs); a7 = fmaRow(a7, w[o7 + wo], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, w[o8 + wo], xs); a9 = fmaRow(a9, w[o9 + wo], xs);
        a10 = fmaRow(a10, w[o10 + wo], xs); a11 = fmaRow(a11, w[o11 + wo], xs);
        a12 = fmaRow(a12, w[o12 + wo], xs); a13 = fmaRow(a13, w[o13 + wo], xs);
        a14 = fmaRow(a14, w[o14 + wo], xs); a15 = fmaRow(a15, w[o15 + wo], xs);
      }
    }
    if (KS > 5u) { // tap 5
      xs = shift(xs, select(0.0, inp[row + ti1.x], tk1.x));
      wo += p.kwStep;
      a0 = fmaRow(a0, w[o0 + wo], xs); a1 = fmaRow(a1, w[o1 + wo], xs);
      a2 = fmaRow(a2, w[o2 + wo], xs); a3 = fmaRow(a3, w[o3 + wo], xs);
      a4 = fmaRow(a4, w[o4 + wo], xs); a5 = fmaRow(a5, w[o5 + wo], xs);
      a6 = fmaRow(a6, w[o6 + wo], xs); a7 = fmaRow(a7, w[o7 + wo], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, w[o8 + wo], xs); a9 = fmaRow(a9, w[o9 + wo], xs);
        a10 = fmaRow(a10, w[o10 + wo], xs); a11 = fmaRow(a11, w[o11 + wo], xs);
        a12 = fmaRow(a12, w[o12 + wo], xs); a13 = fmaRow(a13, w[o13 + wo], xs);
        a14 = fmaRow(a14, w[o14 + wo], xs); a15 = fmaRow(a15, w[o15 + wo], xs);
      }
    }
    if (KS > 6u) { // tap 6
      xs = shift(xs, select(0.0, inp[row + ti1.y], tk1.y));
      wo += p.kwStep;
      a0 = fmaRow(a0, w[o0 + wo], xs); a1 = fmaRow(a1, w[o1 + wo], xs);
      a2 = fmaRow(a2, w[o2 + wo], xs); a3 = fmaRow(a3, w[o3 + wo], xs);
      a4 = fmaRow(a4, w[o4 + wo], xs); a5 = fmaRow(a5, w[o5 + wo], xs);
      a6 = fmaRow(a6, w[o6 + wo], xs); a7 = fmaRow(a7, w[o7 + wo], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, w[o8 + wo], xs); a9 = fmaRow(a9, w[o9 + wo], xs);
        a10 = fmaRow(a10, w[o10 + wo], xs); a11 = fmaRow(a11, w[o11 + wo], xs);
        a12 = fmaRow(a12, w[o12 + wo], xs); a13 = fmaRow(a13, w[o13 + wo], xs);
        a14 = fmaRow(a14, w[o14 + wo], xs); a15 = fmaRow(a15, w[o15 + wo], xs);
      }
    }
    row += p.Tin;
    wr += p.wR;
  }

  let ob = b * p.CoutTot * p.Tout;
  store(ob, cbase + l0, cl0 < p.CoutG, t0, a0);
  store(ob, cbase + l1, cl0 + 1u < p.CoutG, t0, a1);
  store(ob, cbase + l2, cl0 + 2u < p.CoutG, t0, a2);
  store(ob, cbase + l3, cl0 + 3u < p.CoutG, t0, a3);
  store(ob, cbase + l4, cl0 + 4u < p.CoutG, t0, a4);
  store(ob, cbase + l5, cl0 + 5u < p.CoutG, t0, a5);
  store(ob, cbase + l6, cl0 + 6u < p.CoutG, t0, a6);
  store(ob, cbase + l7, cl0 + 7u < p.CoutG, t0, a7);
  if (ROWS > 8u) {
    store(ob, cbase + l8, cl0 + 8u < p.CoutG, t0, a8);
    store(ob, cbase + l9, cl0 + 9u < p.CoutG, t0, a9);
    store(ob, cbase + l10, cl0 + 10u < p.CoutG, t0, a10);
    store(ob, cbase + l11, cl0 + 11u < p.CoutG, t0, a11);
    store(ob, cbase + l12, cl0 + 12u < p.CoutG, t0, a12);
    store(ob, cbase + l13, cl0 + 13u < p.CoutG, t0, a13);
    store(ob, cbase + l14, cl0 + 14u < p.CoutG, t0, a14);
    store(ob, cbase + l15, cl0 + 15u < p.CoutG, t0, a15);
  }
}
