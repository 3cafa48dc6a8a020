// lstm_grad_tiled: steps of backpropagation through time for one LSTM layer, both directions at once, register tiles.
//
// Steps run in reverse processing order. With q = s + 1 (so q runs T, T−1, …, 0), for direction d, row b, unit j:
//   dh = dL/dout[b,t, d·H+j] + (q = T ? dL/dh_N : Σ_m W_hh[d, m, j] · dG[d,b,t_next, m])   (t_next: step s+1's time)
//   dc = (q = T ? dL/dc_N : carried dc) + dh·o·(1 − tanh²(c))
//   dG[d,b,t] = (dc·g·i(1−i),  dc·c_prev·f(1−f),  dc·i·(1−g²),  dh·tanh(c)·o(1−o))    (gate order i, f, g, o)
//   carried dc for step s−1 = dc·f
// and the extra step q = 0 (s = −1) only forms dL/dh0 = Σ_m W_hh[d, m, j] · dG[d,b,t_first, m]; the carried dc after
// step 0 is dL/dc0. Nothing is atomic: each invocation gathers the 4H gate gradients of its rows (a small matmul,
// dh_prev = dG·W_hh) and writes only its own units.
//
// Tiles (differing from lstm_grad_naive's one invocation per unit; docs/decisions/lstm.md): one workgroup per 16
// rows of one direction, holding every unit of them; each invocation takes blocks of RB rows × 16 units (per m of
// the hot loop: RB loads of dG and 16 of W_hh for 16·RB multiply-adds, as in matmul_tiled.wgsl; 16 rows × 4 units
// measured the same), then runs the per-unit update on 4 units at a time.
//   RB = 16: invocation l takes unit blocks l, l + WG, … of all 16 rows. A storage barrier separates steps when a
//            dispatch runs several (dG of step s+1, written by every invocation, must be complete before step s).
//   RB = 4:  for H ≤ 48 (fewer unit blocks than 4): invocation l takes rows 4l … 4l+3 of the workgroup's 16 and every
//            unit block of them, so 4 invocations (one SIMD group on SwiftShader) are busy rather than 1–3, and no
//            barrier is needed: a row's step s reads only the dG its own invocation wrote for step s+1.
// The dc carried between steps lives in the dc0 half of dInit, which ends up holding dL/dc0.
//
// bindings: 0 uniform Params
//           1 rec: array<f32>    [W_hh (D,4H,H) | biases] (only W_hh is read)
//           2 gates: array<f32>  (D, B, T, 4H) activated i, f, g, o from the forward pass
//           3 cs: array<f32>     (D, B, T+1, H) cell states, slot s+1 after step s, slot 0 = c0
//           4 gOut: array<f32>   (B, T, D·H) dL/d(this layer's output)
//           5 gState: array<f32> dL/d[h_N | c_N] at gsOff, each (L·D, B, H); this layer's rows at lOff
//           6 dG: array<f32>     (D, B, T, 4H) dL/d(gate pre-activations), written
//           7 dInit: array<f32>  [dh0 | dc0], each (L·D, B, H), same offsets as gState
// dispatch: (ceil(B/16), D) workgroups of WG invocations; RB = 16: any WG, invocation l takes unit blocks l, l + WG,
// … of ceil(H/16); RB = 4: WG = 4.

override WG: u32 = 16;
override RB: u32 = 16;

struct Params {
  B: u32, T: u32, H: u32, D: u32,
  q0: u32, steps: u32, lOff: u32, half: u32,
  gsOff: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rec: array<f32>;
@group(0) @binding(2) var<storage, read> gates: array<f32>;
@group(0) @binding(3) var<storage, read> cs: array<f32>;
@group(0) @binding(4) var<storage, read> gOut: array<f32>;
@group(0) @binding(5) var<storage, read> gState: array<f32>;
@group(0) @binding(6) var<storage, read_write> dG: array<f32>;
@group(0) @binding(7) var<storage, read_write> dInit: array<f32>;

// tanh without the builtin (SwiftShader's overflows to NaN for large |x|): tanhAccurate.
//#include "common/tanh.wgsl"

fn recAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(rec[o.x], rec[o.y], rec[o.z], rec[o.w]); }
fn gatesAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(gates[o.x], gates[o.y], gates[o.z], gates[o.w]); }
fn csAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(cs[o.x], cs[o.y], cs[o.z], cs[o.w]); }
fn gOutAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(gOut[o.x], gOut[o.y], gOut[o.z], gOut[o.w]); }
fn gStateAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(gState[o.x], gState[o.y], gState[o.z], gState[o.w]); }
fn dInitAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(dInit[o.x], dInit[o.y], dInit[o.z], dInit[o.w]); }

fn putDG(o: vec4<u32>, v: vec4<f32>) { dG[o.x] = v.x; dG[o.y] = v.y; dG[o.z] = v.z; dG[o.w] = v.w; }
fn putDInit(o: vec4<u32>, v: vec4<f32>) { dInit[o.x] = v.x; dInit[o.y] = v.y; dInit[o.z] = v.z; dInit[o.w] = v.w; }

// Units past H are clamped to H−1 (as in lstm_tiled.wgsl): within one step() call they compute the same values as
// unit H−1 from the same loads, so the stores are unconditional and a duplicate rewrites the same value. But step()
// updates the carried dc in place, so it must never run twice for the same unit or row: rows past B (clamped for the
// loads of the hot loop) and groups of 4 units wholly past H are skipped.

/** The gate gradients of step s for row b, units j, given the recurrent part of dL/dh. */
fn step(d: u32, s: u32, t: u32, b: u32, j: vec4<u32>, dhRec: vec4<f32>) {
  let H = p.H;
  let T = p.T;
  let row = vec4<u32>(p.lOff + (d * p.B + b) * H) + j;   // (d, b, j) in the (L·D, B, H) blocks
  let dh = dhRec + gOutAt(vec4<u32>((b * T + t) * p.D * H + d * H) + j);
  var dcIn: vec4<f32>;
  if (s + 1u == T) {
    dcIn = gStateAt(vec4<u32>(p.gsOff + p.half) + row);
  } else {
    dcIn = dInitAt(vec4<u32>(p.half) + row);
  }
  let x = vec4<u32>(((d * p.B + b) * T + t) * 4u * H) + j;
  let q = vec4<u32>(H);
  let ig = gatesAt(x);
  let fg = gatesAt(x + q);
  let gg = gatesAt(x + 2u * q);
  let og = gatesAt(x + 3u * q);
  let cRow = vec4<u32>((d * p.B + b) * (T + 1u) * H) + j;
  let c = csAt(cRow + vec4<u32>((s + 1u) * H));
  let cp = csAt(cRow + vec4<u32>(s * H));
  let tc = tanhAccurate(c);
  let dc = dcIn + dh * og * (1.0 - tc * tc);
  putDG(x, dc * gg * ig * (1.0 - ig));
  putDG(x + q, dc * cp * fg * (1.0 - fg));
  putDG(x + 2u * q, dc * ig * (1.0 - gg * gg));
  putDG(x + 3u * q, dh * tc * og * (1.0 - og));
  putDInit(vec4<u32>(p.half) + row, dc * fg);
}

/** Element offsets of 16 rows (or of where their data starts). */
struct Rows16 { a: vec4<u32>, b: vec4<u32>, c: vec4<u32>, d: vec4<u32> }

fn rows16(first: vec4<u32>, last: u32, stride: u32, base: u32) -> Rows16 {
  let l = vec4<u32>(last);
  let o = vec4<u32>(base);
  let s = vec4<u32>(stride);
  return Rows16(min(first, l) * s + o, min(first + 4u, l) * s + o, min(first + 8u, l) * s + o, min(first + 12u, l) * s + o);
}

/** 16 consecutive hidden units of one row. */
struct U16 { a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32> }

/** Element offsets of 16 units. */
struct Offs16 { a: vec4<u32>, b: vec4<u32>, c: vec4<u32>, d: vec4<u32> }

/** W_hh[d, m, units], given the units' offsets in row 0. */
fn wrow(o: Offs16, m: u32) -> U16 {
  let x = vec4<u32>(m * p.H);
  return U16(recAt(o.a + x), recAt(o.b + x), recAt(o.c + x), recAt(o.d + x));
}

fn fmaU(acc: U16, g: f32, w: U16) -> U16 {
  let x = vec4<f32>(g);
  return U16(fma(x, w.a, acc.a), fma(x, w.b, acc.b), fma(x, w.c, acc.c), fma(x, w.d, acc.d));
}

/** Sub-block k (units j0+4k .. j0+4k+3) of a row's 16. */
fn part4(v: U16, k: u32) -> vec4<f32> {
  switch k {
    case 0u: { return v.a; }
    case 1u: { return v.b; }
    case 2u: { return v.c; }
    default: { return v.d; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = wid.y;
  let H = p.H;
  let T = p.T;
  let quarter = RB < 16u;
  let b0 = wid.x * 16u + select(0u, lid.x * RB, quarter); // this invocation's first row
  let first = vec4<u32>(b0) + vec4<u32>(0u, 1u, 2u, 3u);
  let blocks = (H + 15u) / 16u;
  let rowsHere = select(0u, min(RB, p.B - b0), b0 < p.B); // rows of this invocation that exist
  let jFirst = select(lid.x, 0u, quarter);
  let jStep = select(WG, 1u, quarter);
  for (var n = 0u; n < p.steps; n++) {
    let q = p.q0 - n; // s + 1
    for (var jb = jFirst; jb < blocks && rowsHere > 0u; jb += jStep) {
      let j0 = jb * 16u;
      let j = min(vec4<u32>(j0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(H - 1u)); // first 4 of the 16 units
      // dL/dh of rows b0 .. b0+15, units j0 .. j0+15, from the later steps; an array so the per-row code below
      // exists once (the hot loop keeps them in named variables).
      var acc: array<U16, 16>;
      if (q == T) {
        for (var r = 0u; r < rowsHere; r++) {
          let o = vec4<u32>(p.gsOff + p.lOff + (d * p.B + b0 + r) * H);
          acc[r] = U16(gStateAt(o + min(j, vec4<u32>(H - 1u))), gStateAt(o + min(j + 4u, vec4<u32>(H - 1u))),
                       gStateAt(o + min(j + 8u, vec4<u32>(H - 1u))), gStateAt(o + min(j + 12u, vec4<u32>(H - 1u))));
        }
      } else {
        let tn = select(T - 1u - q, q, d == 0u); // time of step s + 1
        let src = rows16(first, p.B - 1u, T * 4u * H, (d * p.B * T + tn) * 4u * H); // dG[d, b, tn, 0]
        let w0 = vec4<u32>(d * 4u * H * H);                                          // W_hh[d, 0, 0]
        let last = vec4<u32>(H - 1u);
        let wb = Offs16(w0 + j, w0 + min(j + 4u, last), w0 + min(j + 8u, last), w0 + min(j + 12u, last));
        // The accumulators start from 0 explicitly: declared inside the step loop, they must be reset every step.
        let z = U16(vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0));
        var r0 = z;
        var r1 = z;
        var r2 = z;
        var r3 = z;
        var r4 = z;
        var r5 = z;
        var r6 = z;
        var r7 = z;
        var r8 = z;
        var r9 = z;
        var r10 = z;
        var r11 = z;
        var r12 = z;
        var r13 = z;
        var r14 = z;
        var r15 = z;
        for (var m = 0u; m < 4u * H; m++) {
          let w = wrow(wb, m);
          r0 = fmaU(r0, dG[src.a.x + m], w);
          r1 = fmaU(r1, dG[src.a.y + m], w);
          r2 = fmaU(r2, dG[src.a.z + m], w);
          r3 = fmaU(r3, dG[src.a.w + m], w);
          if (RB == 16u) { // a pipeline constant: the RB = 4 build has no code here
            r4 = fmaU(r4, dG[src.b.x + m], w);
            r5 = fmaU(r5, dG[src.b.y + m], w);
            r6 = fmaU(r6, dG[src.b.z + m], w);
            r7 = fmaU(r7, dG[src.b.w + m], w);
            r8 = fmaU(r8, dG[src.c.x + m], w);
            r9 = fmaU(r9, dG[src.c.y + m], w);
            r10 = fmaU(r10, dG[src.c.z + m], w);
            r11 = fmaU(r11, dG[src.c.w + m], w);
            r12 = fmaU(r12, dG[src.d.x + m], w);
            r13 = fmaU(r13, dG[src.d.y + m], w);
            r14 = fmaU(r14, dG[src.d.z + m], w);
            r15 = fmaU(r15, dG[src.d.w + m], w);
          }
        }
        acc[0u] = r0;
        acc[1u] = r1;
        acc[2u] = r2;
        acc[3u] = r3;
        acc[4u] = r4;
        acc[5u] = r5;
        acc[6u] = r6;
        acc[7u] = r7;
        acc[8u] = r8;
        acc[9u] = r9;
        acc[10u] = r10;
        acc[11u] = r11;
        acc[12u] = r12;
        acc[13u] = r13;
        acc[14u] = r14;
        acc[15u] = r15;
      }
      for (var k = 0u; k < 4u; k++) {
        if (j0 + 4u * k >= H) { break; } // sub-blocks wholly past H: nothing to do (and step() must not run twice)
        let jk = min(j + vec4<u32>(4u * k), vec4<u32>(H - 1u));
        if (q == 0u) {
          for (var r = 0u; r < rowsHere; r++) {
            putDInit(vec4<u32>(p.lOff + (d * p.B + b0 + r) * H) + jk, part4(acc[r], k)); // dL/dh0
          }
        } else {
          let s = q - 1u;
          let t = select(T - 1u - s, s, d == 0u);
          for (var r = 0u; r < rowsHere; r++) { step(d, s, t, b0 + r, jk, part4(acc[r], k)); }
        }
      }
    }
    // Step s − 1 reads dG of step s for every unit of these rows (uniform: p.steps and RB are).
    if (p.steps > 1u && RB == 16u) { storageBarrier(); }
  }
}
