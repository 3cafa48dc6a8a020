// lstm_tiled: steps of one LSTM layer's recurrence, both directions at once, on register tiles.
//
// For direction d at processing step s (time t = s forward, T−1−s reverse), row b and hidden unit j:
//   a_q = gates[d,b,t, q·H+j] + b_ih[d, q·H+j] + b_hh[d, q·H+j] + Σ_k W_hh[d, q·H+j, k] · h_prev[b, k]   (q = i, f, g, o)
//   i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o);   c = f·c_prev + i·g;   h = o·tanh(c)
// where `gates` holds x·W_ihᵀ on entry (one matmul over all steps) and the activated i, f, g, o on exit, for the
// backward pass. h_prev and c_prev are h0 and c0 at s = 0.
//
// Differs from lstm_naive (one invocation per unit) by register tiles: one workgroup owns 16 batch rows of one
// direction and every hidden unit of them; each invocation computes blocks of 16 rows × 4 units × 4 gates (256
// accumulators, as in matmul_tiled.wgsl) per step, so one k step costs 16 loads of h and 16 of W_hh for 256
// multiply-adds; 4-5× faster than naive at DAR's shape (docs/decisions/lstm.md). A dispatch runs `steps` steps from
// s0: steps = 1 is the 'tiled' rung, one dispatch per time step; steps = T is 'looped', the whole sequence in one
// dispatch with a storage barrier after each step, since the next step reads every unit's h. Rows past B repeat row
// B−1 in the hot loop and are skipped after it; units past H repeat unit H−1 and are stored again with the same value
// (no per-element branches). The per-row work around the hot loop goes through a private array in a loop: unrolled
// 16 times, its code made SwiftShader's compile hang.
//
// Every write is to elements the invocation owns, except hprev's next slot, which the barrier (or the next dispatch)
// orders before anyone reads it. The state other layers and the backward pass need:
//   cs[d,b,s+1,j] = c after step s, cs[d,b,0,j] = c0 (processing order, so the backward reads c_prev at slot s);
//   hprev[d,b,t,j] = the h step t started from (time order, so dW_hh = Σ dGatesᵀ·hprev is one matmul);
//   out[b,t,d·H+j] = h;   state = [h | c] after the last step.
//
// bindings: 0 uniform Params
//           1 rec: array<f32>   [W_hh (D,4H,H) | b_ih (D,4H) | b_hh (D,4H)]
//           2 init: array<f32>  [h0 | c0], each (L·D, B, H); this layer's rows start at lOff, c0 at half + lOff
//           3 gates: array<f32> (D, B, T, 4H), read then overwritten
//           4 cs: array<f32> (D, B, T+1, H)   5 hprev: array<f32> (D, B, T, H)   6 out: array<f32> (B, T, D·H)
//           7 state: array<f32> [h | c], each (L·D, B, H), same offsets as init
// dispatch: (ceil(B/16), D) workgroups of WG invocations; invocation l takes unit blocks l, l + WG, ... of ceil(H/4).

override WG: u32 = 16;

struct Params {
  B: u32, T: u32, H: u32, D: u32,
  s0: u32, steps: u32, lOff: u32, half: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rec: array<f32>;
@group(0) @binding(2) var<storage, read> init: array<f32>;
@group(0) @binding(3) var<storage, read_write> gates: array<f32>;
@group(0) @binding(4) var<storage, read_write> cs: array<f32>;
@group(0) @binding(5) var<storage, read_write> hprev: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> state: array<f32>;

/** The four gates' pre-activations (or values) for 4 consecutive hidden units. */
struct G4 { i: vec4<f32>, f: vec4<f32>, g: vec4<f32>, o: vec4<f32> }

fn sigmoid4(v: vec4<f32>) -> vec4<f32> {
  return 1.0 / (1.0 + exp(-v));
}

// tanh without the builtin (SwiftShader's overflows to NaN for large |x|): tanhAccurate.
//#include "common/tanh.wgsl"

fn fmaG(acc: G4, h: f32, w: G4) -> G4 {
  let x = vec4<f32>(h);
  return G4(fma(x, w.i, acc.i), fma(x, w.f, acc.f), fma(x, w.g, acc.g), fma(x, w.o, acc.o));
}

fn gather(o: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(rec[o.x], rec[o.y], rec[o.z], rec[o.w]);
}

/** W_hh[d, q·H + j, k] for the four gates q, given the offsets of the gate-i rows of the 4 units. */
fn wcol(wi: vec4<u32>, k: u32) -> G4 {
  let hh = p.H * p.H;
  let o = wi + vec4<u32>(k);
  return G4(gather(o), gather(o + hh), gather(o + 2u * hh), gather(o + 3u * hh));
}

fn gates4(o: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(gates[o.x], gates[o.y], gates[o.z], gates[o.w]);
}

// Stores of 4 units at element offsets o. Units past H were clamped to H−1 and computed the same value as unit H−1
// from the same loads, so writing them there again is harmless and saves a branch per element.
fn putGates(o: vec4<u32>, v: vec4<f32>) { gates[o.x] = v.x; gates[o.y] = v.y; gates[o.z] = v.z; gates[o.w] = v.w; }
fn putCs(o: vec4<u32>, v: vec4<f32>) { cs[o.x] = v.x; cs[o.y] = v.y; cs[o.z] = v.z; cs[o.w] = v.w; }
fn putHprev(o: vec4<u32>, v: vec4<f32>) { hprev[o.x] = v.x; hprev[o.y] = v.y; hprev[o.z] = v.z; hprev[o.w] = v.w; }
fn putOut(o: vec4<u32>, v: vec4<f32>) { out[o.x] = v.x; out[o.y] = v.y; out[o.z] = v.z; out[o.w] = v.w; }
fn putState(o: vec4<u32>, v: vec4<f32>) { state[o.x] = v.x; state[o.y] = v.y; state[o.z] = v.z; state[o.w] = v.w; }
fn initAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(init[o.x], init[o.y], init[o.z], init[o.w]); }
fn csAt(o: vec4<u32>) -> vec4<f32> { return vec4<f32>(cs[o.x], cs[o.y], cs[o.z], cs[o.w]); }

/** b_ih + b_hh of direction d for units j, all four gates (the same for every row). */
fn biases(d: u32, j: vec4<u32>) -> G4 {
  let H = p.H;
  let bi = vec4<u32>(p.D * 4u * H * H + d * 4u * H) + j;   // b_ih[d, j] in rec
  let bh = bi + vec4<u32>(p.D * 4u * H);                   // b_hh[d, j]
  let q = vec4<u32>(H);
  return G4(gather(bi) + gather(bh), gather(bi + q) + gather(bh + q),
            gather(bi + 2u * q) + gather(bh + 2u * q), gather(bi + 3u * q) + gather(bh + 3u * q));
}

/** x·W_ihᵀ + b_ih + b_hh for row b at time t, units j. */
fn preact(d: u32, b: u32, t: u32, j: vec4<u32>, bias: G4) -> G4 {
  let x = vec4<u32>(((d * p.B + b) * p.T + t) * 4u * p.H) + j;   // gates[d, b, t, j]
  let q = vec4<u32>(p.H);
  return G4(gates4(x) + bias.i, gates4(x + q) + bias.f, gates4(x + 2u * q) + bias.g, gates4(x + 3u * q) + bias.o);
}

/** Activations, cell update and stores for row b < B and units j (clamped to H−1). */
fn finish(d: u32, s: u32, t: u32, b: u32, j: vec4<u32>, a: G4) {
  let H = p.H;
  let T = p.T;
  let ig = sigmoid4(a.i);
  let fg = sigmoid4(a.f);
  let gg = tanhAccurate(a.g);
  let og = sigmoid4(a.o);
  let row = vec4<u32>((d * p.B + b) * H) + j;               // (d, b, j) in the (D, B, H) blocks of init and state
  let cRow = vec4<u32>((d * p.B + b) * (T + 1u) * H) + j;   // cs[d, b, 0, j]
  let hRow = vec4<u32>((d * p.B + b) * T * H) + j;          // hprev[d, b, 0, j]
  var cp: vec4<f32>;
  if (s == 0u) {
    cp = initAt(row + vec4<u32>(p.half + p.lOff));
    putCs(cRow, cp);
    putHprev(hRow + vec4<u32>(t * H), initAt(row + vec4<u32>(p.lOff)));
  } else {
    cp = csAt(cRow + vec4<u32>(s * H));
  }
  let c = fg * cp + ig * gg;
  let h = og * tanhAccurate(c);
  let g = vec4<u32>(((d * p.B + b) * T + t) * 4u * H) + j;
  let q = vec4<u32>(H);
  putGates(g, ig);
  putGates(g + q, fg);
  putGates(g + 2u * q, gg);
  putGates(g + 3u * q, og);
  putCs(cRow + vec4<u32>((s + 1u) * H), c);
  putOut(vec4<u32>((b * T + t) * p.D * H + d * H) + j, h);
  if (s + 1u == T) {
    putState(row + vec4<u32>(p.lOff), h);
    putState(row + vec4<u32>(p.half + p.lOff), c);
  } else {
    let tn = select(t - 1u, t + 1u, d == 0u);  // the time step processed next
    putHprev(hRow + vec4<u32>(tn * H), h);
  }
}

/** Element offsets of 16 rows (or of where their data starts). */
struct Rows16 { a: vec4<u32>, b: vec4<u32>, c: vec4<u32>, d: vec4<u32> }

fn rows16(first: vec4<u32>, last: u32, stride: u32, base: u32) -> Rows16 {
  let l = vec4<u32>(last);
  let o = vec4<u32>(base);
  let s = vec4<u32>(stride);
  return Rows16(min(first, l) * s + o, min(first + 4u, l) * s + o, min(first + 8u, l) * s + o, min(first + 12u, l) * s + o);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = wid.y;
  let H = p.H;
  let T = p.T;
  let b0 = wid.x * 16u;
  let first = vec4<u32>(b0) + vec4<u32>(0u, 1u, 2u, 3u);
  let blocks = (H + 3u) / 4u;
  let rowsHere = min(16u, p.B - b0); // rows of this workgroup that exist
  for (var n = 0u; n < p.steps; n++) {
    let s = p.s0 + n;
    let t = select(T - 1u - s, s, d == 0u);
    // Where each row's h_prev starts: h0 in init at the first step, else hprev[d, b, t, 0].
    var src: Rows16;
    if (s == 0u) { src = rows16(first, p.B - 1u, H, p.lOff + d * p.B * H); }
    else { src = rows16(first, p.B - 1u, T * H, (d * p.B * T + t) * H); }
    for (var jb = lid.x; jb < blocks; jb += WG) {
      let j0 = jb * 4u;
      let j = min(vec4<u32>(j0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(H - 1u));
      let wi = (vec4<u32>(d * 4u * H) + j) * H; // W_hh[d, j, 0] for the 4 units (gate i)
      let bias = biases(d, j);
      // Per-row work outside the hot loop goes through an array, so its code exists once rather than 16 times.
      var acc: array<G4, 16>;
      for (var r = 0u; r < 16u; r++) { acc[r] = preact(d, min(b0 + r, p.B - 1u), t, j, bias); }
      var a0 = acc[0u];
      var a1 = acc[1u];
      var a2 = acc[2u];
      var a3 = acc[3u];
      var a4 = acc[4u];
      var a5 = acc[5u];
      var a6 = acc[6u];
      var a7 = acc[7u];
      var a8 = acc[8u];
      var a9 = acc[9u];
      var a10 = acc[10u];
      var a11 = acc[11u];
      var a12 = acc[12u];
      var a13 = acc[13u];
      var a14 = acc[14u];
      var a15 = acc[15u];
      if (s == 0u) {
        for (var k = 0u; k < H; k++) {
          let w = wcol(wi, k);
          a0 = fmaG(a0, init[src.a.x + k], w);
          a1 = fmaG(a1, init[src.a.y + k], w);
          a2 = fmaG(a2, init[src.a.z + k], w);
          a3 = fmaG(a3, init[src.a.w + k], w);
          a4 = fmaG(a4, init[src.b.x + k], w);
          a5 = fmaG(a5, init[src.b.y + k], w);
          a6 = fmaG(a6, init[src.b.z + k], w);
          a7 = fmaG(a7, init[src.b.w + k], w);
          a8 = fmaG(a8, init[src.c.x + k], w);
          a9 = fmaG(a9, init[src.c.y + k], w);
          a10 = fmaG(a10, init[src.c.z + k], w);
          a11 = fmaG(a11, init[src.c.w + k], w);
          a12 = fmaG(a12, init[src.d.x + k], w);
          a13 = fmaG(a13, init[src.d.y + k], w);
          a14 = fmaG(a14, init[src.d.z + k], w);
          a15 = fmaG(a15, init[src.d.w + k], w);
        }
      } else {
        for (var k = 0u; k < H; k++) {
          let w = wcol(wi, k);
          a0 = fmaG(a0, hprev[src.a.x + k], w);
          a1 = fmaG(a1, hprev[src.a.y + k], w);
          a2 = fmaG(a2, hprev[src.a.z + k], w);
          a3 = fmaG(a3, hprev[src.a.w + k], w);
          a4 = fmaG(a4, hprev[src.b.x + k], w);
          a5 = fmaG(a5, hprev[src.b.y + k], w);
          a6 = fmaG(a6, hprev[src.b.z + k], w);
          a7 = fmaG(a7, hprev[src.b.w + k], w);
          a8 = fmaG(a8, hprev[src.c.x + k], w);
          a9 = fmaG(a9, hprev[src.c.y + k], w);
          a10 = fmaG(a10, hprev[src.c.z + k], w);
          a11 = fmaG(a11, hprev[src.c.w + k], w);
          a12 = fmaG(a12, hprev[src.d.x + k], w);
          a13 = fmaG(a13, hprev[src.d.y + k], w);
          a14 = fmaG(a14, hprev[src.d.z + k], w);
          a15 = fmaG(a15, hprev[src.d.w + k], w);
        }
      }
      acc[0u] = a0;
      acc[1u] = a1;
      acc[2u] = a2;
      acc[3u] = a3;
      acc[4u] = a4;
      acc[5u] = a5;
      acc[6u] = a6;
      acc[7u] = a7;
      acc[8u] = a8;
      acc[9u] = a9;
      acc[10u] = a10;
      acc[11u] = a11;
      acc[12u] = a12;
      acc[13u] = a13;
      acc[14u] = a14;
      acc[15u] = a15;
      for (var r = 0u; r < rowsHere; r++) { finish(d, s, t, b0 + r, j, acc[r]); }
    }
    // The next step reads h of every unit of these rows: wait for the whole workgroup (uniform: p.steps is).
    if (p.steps > 1u) { storageBarrier(); }
  }
}
