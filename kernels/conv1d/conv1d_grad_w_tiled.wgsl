// conv1d_grad_w_tiled: dL/dweight (and dL/dbias) of a 1-D convolution in gather form, as partial sums over chunks of the
// B·Tout outputs (WGSL has no float atomics, and one serial loop over all 64·500 outputs would leave the machine idle):
//   part[z, c, j] = Σ_{n in chunk z} gy[b, c, t] · col(n, j),   n = b·Tout + t
//   col(n, j) = x[b, g·CinG + r, t·stride + k·dil − padLeft] (zero outside [0, T)),  j = r·K + k < J = CinG·K
//   col(n, J) = 1 when hasBias: column J of each row collects dL/dbias[c].
// With one chunk and no bias column, part is dL/dweight itself; otherwise conv1d_grad_w_combine adds the chunks up.
//
// Each invocation computes ROWS output channels (one group) × 16 columns j. Per output n it loads ROWS values of gy
// and 16 of x and does ROWS·16 fma (the accumulators are named, not an array: see conv1d_tiled.wgsl). Rows past the
// group's end and columns past J1 = J + hasBias compute on clamped indices and are not stored.
//
// bindings: 0 uniform Params   1 x: array<f32> (B·Cin·T)   2 gy: array<f32> (B·Cout·Tout)
//           3 part: array<f32> (Z·Cout·J1)
// dispatch: grid1d(colTiles·rowTiles·Z, 4) workgroups of 4 invocations, colTiles = ceil(J1/16) and rowTiles =
// groups·tilesPerGroup. Invocation i takes column tile i % colTiles of row tile (i / colTiles) % rowTiles of chunk
// i / (colTiles·rowTiles): one flat index, so the 4 lanes of a workgroup are all busy even when J1 has one or two tiles.
// overrides: ROWS = 8 or 16.

override ROWS: u32 = 16u;

struct Params {
  N: u32,            // B·Tout
  Tout: u32,
  T: u32,
  Cout: u32,
  CoutG: u32,
  CinG: u32,
  Cin: u32,
  K: u32,
  J1: u32,           // columns: CinG·K, plus one for the bias
  stride: u32,
  dil: u32,
  padLeft: u32,
  chunk: u32,        // outputs n per chunk
  tilesPerGroup: u32,
  hasBias: u32,
  colTiles: u32,
  tiles: u32,        // colTiles·rowTiles·Z
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

//#include "common/row16.wgsl"

/** Four columns j: where input channel r starts (for channel g·CinG + r), tap offset k·dil − padLeft, bias flag. */
struct Cols { chan: vec4<u32>, tap: vec4<i32>, one: vec4<bool> }

fn cols4(j0: u32, g: u32) -> Cols {
  let J = p.CinG * p.K;
  let j = min(vec4<u32>(j0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.J1 - 1u));
  let one = j >= vec4<u32>(J);
  let jj = min(j, vec4<u32>(J - 1u));
  let r = jj / vec4<u32>(p.K);
  let k = jj % vec4<u32>(p.K);
  let chan = (vec4<u32>(g * p.CinG) + r) * vec4<u32>(p.T);
  let tap = vec4<i32>(k * vec4<u32>(p.dil)) - vec4<i32>(i32(p.padLeft));
  return Cols(chan, tap, one);
}

/** The four columns' values at output step t of sequence b (its x channels starting at xb). */
fn load4(c: Cols, xb: u32, ts: i32) -> vec4<f32> {
  let pos = vec4<i32>(ts) + c.tap;
  let ok = (pos >= vec4<i32>(0)) & (pos < vec4<i32>(i32(p.T)));
  let i = vec4<u32>(xb) + c.chan + vec4<u32>(clamp(pos, vec4<i32>(0), vec4<i32>(i32(p.T) - 1)));
  let v = select(vec4<f32>(0.0), vec4<f32>(x[i.x], x[i.y], x[i.z], x[i.w]), ok);
  return select(v, vec4<f32>(1.0), c.one);
}

fn put(at: u32, j: u32, v: f32) {
  if (j < p.J1) { part[at] = v; }
}

fn store(base: u32, c: u32, valid: bool, j0: u32, acc: Row16) {
  if (!valid) { return; }
  let at = base + c * p.J1 + j0;
  put(at, j0, acc.c0.x); put(at + 1u, j0 + 1u, acc.c0.y); put(at + 2u, j0 + 2u, acc.c0.z); put(at + 3u, j0 + 3u, acc.c0.w);
  put(at + 4u, j0 + 4u, acc.c1.x); put(at + 5u, j0 + 5u, acc.c1.y); put(at + 6u, j0 + 6u, acc.c1.z); put(at + 7u, j0 + 7u, acc.c1.w);
  put(at + 8u, j0 + 8u, acc.c2.x); put(at + 9u, j0 + 9u, acc.c2.y); put(at + 10u, j0 + 10u, acc.c2.z); put(at + 11u, j0 + 11u, acc.c2.w);
  put(at + 12u, j0 + 12u, acc.c3.x); put(at + 13u, j0 + 13u, acc.c3.y); put(at + 14u, j0 + 14u, acc.c3.z); put(at + 15u, j0 + 15u, acc.c3.w);
}

@compute @workgroup_size(4)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 4u;
  if (i >= p.tiles) { return; }
  let j0 = (i % p.colTiles) * 16u;
  let rt = i / p.colTiles; // row tile + chunk·rowTiles
  let rowTiles = (p.Cout / p.CoutG) * p.tilesPerGroup;
  let z = rt / rowTiles;
  let g = (rt % rowTiles) / p.tilesPerGroup;
  let cl0 = (rt % p.tilesPerGroup) * ROWS;

  let q0 = cols4(j0, g);
  let q1 = cols4(j0 + 4u, g);
  let q2 = cols4(j0 + 8u, g);
  let q3 = cols4(j0 + 12u, g);

  // Rows: offsets of channels c = g·CoutG + cl within one sequence of gy (clamped to the group's last channel).
  let lastC = p.CoutG - 1u;
  let cbase = g * p.CoutG;
  let To = p.Tout;
  let g0 = (cbase + min(cl0, lastC)) * To; let g1 = (cbase + min(cl0 + 1u, lastC)) * To;
  let g2 = (cbase + min(cl0 + 2u, lastC)) * To; let g3 = (cbase + min(cl0 + 3u, lastC)) * To;
  let g4 = (cbase + min(cl0 + 4u, lastC)) * To; let g5 = (cbase + min(cl0 + 5u, lastC)) * To;
  let g6 = (cbase + min(cl0 + 6u, lastC)) * To; let g7 = (cbase + min(cl0 + 7u, lastC)) * To;
  let g8 = (cbase + min(cl0 + 8u, lastC)) * To; let g9 = (cbase + min(cl0 + 9u, lastC)) * To;
  let g10 = (cbase + min(cl0 + 10u, lastC)) * To; let g11 = (cbase + min(cl0 + 11u, lastC)) * To;
  let g12 = (cbase + min(cl0 + 12u, lastC)) * To; let g13 = (cbase + min(cl0 + 13u, lastC)) * To;
  let g14 = (cbase + min(cl0 + 14u, lastC)) * To; let g15 = (cbase + min(cl0 + 15u, lastC)) * To;

  var a0: Row16; var a1: Row16; var a2: Row16; var a3: Row16;
  var a4: Row16; var a5: Row16; var a6: Row16; var a7: Row16;
  var a8: Row16; var a9: Row16; var a10: Row16; var a11: Row16;
  var a12: Row16; var a13: Row16; var a14: Row16; var a15: Row16;

  // Outputs n0 .. n1 − 1 of the flattened B·Tout, one sequence at a time so the hot loop has no branches.
  let n0 = z * p.chunk;
  let n1 = min(n0 + p.chunk, p.N);
  let xStep = p.Cin * p.T;
  let gStep = p.Cout * To;
  var n = n0;
  loop {
    if (n >= n1) { break; }
    let b = n / To;
    let tStart = n % To;
    let tEnd = min(To, tStart + (n1 - n));
    let xb = b * xStep;              // sequence b's start in x
    var gb = b * gStep + tStart;     // sequence b's start in gy, plus t
    var ts = i32(tStart * p.stride); // t·stride
    for (var t = tStart; t < tEnd; t++) {
      let xs = Row16(load4(q0, xb, ts), load4(q1, xb, ts), load4(q2, xb, ts), load4(q3, xb, ts));
      a0 = fmaRow(a0, gy[gb + g0], xs);
      a1 = fmaRow(a1, gy[gb + g1], xs);
      a2 = fmaRow(a2, gy[gb + g2], xs);
      a3 = fmaRow(a3, gy[gb + g3], xs);
      a4 = fmaRow(a4, gy[gb + g4], xs);
      a5 = fmaRow(a5, gy[gb + g5], xs);
      a6 = fmaRow(a6, gy[gb + g6], xs);
      a7 = fmaRow(a7, gy[gb + g7], xs);
      if (ROWS > 8u) {
        a8 = fmaRow(a8, gy[gb + g8], xs);
        a9 = fmaRow(a9, gy[gb + g9], xs);
        a10 = fmaRow(a10, gy[gb + g10], xs);
        a11 = fmaRow(a11, gy[gb + g11], xs);
        a12 = fmaRow(a12, gy[gb + g12], xs);
        a13 = fmaRow(a13, gy[gb + g13], xs);
        a14 = fmaRow(a14, gy[gb + g14], xs);
        a15 = fmaRow(a15, gy[gb + g15], xs);
      }
      gb++;
      ts += i32(p.stride);
    }
    n += tEnd - tStart;
  }

  let base = z * p.Cout * p.J1;
  store(base, cbase + cl0, cl0 < p.CoutG, j0, a0);
  store(base, cbase + cl0 + 1u, cl0 + 1u < p.CoutG, j0, a1);
  store(base, cbase + cl0 + 2u, cl0 + 2u < p.CoutG, j0, a2);
  store(base, cbase + cl0 + 3u, cl0 + 3u < p.CoutG, j0, a3);
  store(base, cbase + cl0 + 4u, cl0 + 4u < p.CoutG, j0, a4);
  store(base, cbase + cl0 + 5u, cl0 + 5u < p.CoutG, j0, a5);
  store(base, cbase + cl0 + 6u, cl0 + 6u < p.CoutG, j0, a6);
  store(base, cbase + cl0 + 7u, cl0 + 7u < p.CoutG, j0, a7);
  if (ROWS > 8u) {
    store(base, cbase + cl0 + 8u, cl0 + 8u < p.CoutG, j0, a8);
    store(base, cbase + cl0 + 9u, cl0 + 9u < p.CoutG, j0, a9);
    store(base, cbase + cl0 + 10u, cl0 + 10u < p.CoutG, j0, a10);
    store(base, cbase + cl0 + 11u, cl0 + 11u < p.CoutG, j0, a11);
    store(base, cbase + cl0 + 12u, cl0 + 12u < p.CoutG, j0, a12);
    store(base, cbase + cl0 + 13u, cl0 + 13u < p.CoutG, j0, a13);
    store(base, cbase + cl0 + 14u, cl0 + 14u < p.CoutG, j0, a14);
    store(base, cbase + cl0 + 15u, cl0 + 15u < p.CoutG, j0, a15);
  }
}
