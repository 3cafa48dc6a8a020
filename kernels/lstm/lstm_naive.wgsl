// lstm_naive: the plain version of lstm_tiled.wgsl, kept beside it as the obviously-right reference rung.
// One invocation per (direction, row, hidden unit) runs ONE processing step s = s0 (one dispatch per step):
//   a_q = gates[d,b,t, q·H+j] + b_ih + b_hh + Σ_k W_hh[d, q·H+j, k] · h_prev[b, k]   (q = i, f, g, o; t = s or T−1−s)
//   i, f, o = σ(a), g = tanh(a);  c = f·c_prev + i·g;  h = o·tanh(c)    (h_prev, c_prev = h0, c0 at s = 0)
// Same bindings, buffer layouts and uniforms as lstm_tiled.wgsl (see there); `steps` is ignored.
//
// bindings: 0 uniform Params   1 rec   2 init   3 gates   4 cs   5 hprev   6 out   7 state
// dispatch: (ceil(B·H/64), D) workgroups of 64.

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

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// tanh without the builtin (see lstm_tiled.wgsl).
fn tanhf(x: f32) -> f32 {
  if (abs(x) < 0.3) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0
           + x2 * (-1382.0 / 155925.0))))));
  }
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

/** h_prev[k] for row b: h0 at the first step, else what the previous step left in hprev at time t. */
fn hPrev(d: u32, b: u32, s: u32, t: u32, k: u32) -> f32 {
  if (s == 0u) { return init[p.lOff + (d * p.B + b) * p.H + k]; }
  return hprev[((d * p.B + b) * p.T + t) * p.H + k];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let H = p.H;
  let T = p.T;
  let d = gid.y;
  if (gid.x >= p.B * H) { return; }
  let b = gid.x / H;
  let j = gid.x % H;
  let s = p.s0;
  let t = select(T - 1u - s, s, d == 0u);
  let g0 = ((d * p.B + b) * T + t) * 4u * H;
  let bias = p.D * 4u * H * H + d * 4u * H; // b_ih[d, 0] in rec; b_hh follows D·4H later

  var a: array<f32, 4>;
  for (var q = 0u; q < 4u; q++) {
    let r = q * H + j;
    var acc = gates[g0 + r] + rec[bias + r] + rec[bias + p.D * 4u * H + r];
    for (var k = 0u; k < H; k++) {
      acc += rec[(d * 4u * H + r) * H + k] * hPrev(d, b, s, t, k);
    }
    a[q] = acc;
  }
  let ig = sigmoid(a[0]);
  let fg = sigmoid(a[1]);
  let gg = tanhf(a[2]);
  let og = sigmoid(a[3]);

  let row = (d * p.B + b) * H + j;              // (d, b, j) in a (D, B, H) block
  let cRow = (d * p.B + b) * (T + 1u) * H + j;  // cs[d, b, 0, j]
  var cp: f32;
  if (s == 0u) {
    cp = init[p.half + p.lOff + row];
    cs[cRow] = cp;
    hprev[((d * p.B + b) * T + t) * H + j] = init[p.lOff + row];
  } else {
    cp = cs[cRow + s * H];
  }
  let c = fg * cp + ig * gg;
  let h = og * tanhf(c);
  gates[g0 + j] = ig;
  gates[g0 + H + j] = fg;
  gates[g0 + 2u * H + j] = gg;
  gates[g0 + 3u * H + j] = og;
  cs[cRow + (s + 1u) * H] = c;
  out[(b * T + t) * p.D * H + d * H + j] = h;
  if (s + 1u == T) {
    state[p.lOff + row] = h;
    state[p.half + p.lOff + row] = c;
  } else {
    let tn = select(t - 1u, t + 1u, d == 0u);
    hprev[((d * p.B + b) * T + tn) * H + j] = h;
  }
}
