// lstm_gemm: the fused gate kernel of the 'gemm' rung (the GPU profile's, for large B·H): ONE processing step s of
// one LSTM layer, both directions, one invocation per (direction, row, hidden unit). The products are not here: the
// input projection x·W_ihᵀ + b_ih + b_hh of every step is one GEMM before the recurrence (in `gates`), and the
// recurrent product h_{t−1}·W_hhᵀ of this step is one GEMM on the 64×64 workgroup tile just before this dispatch
// (matmul_shared.wgsl, in `rh`). For direction d at step s (time t = s forward, T−1−s reverse), row b, unit j:
//   a_q = gates[d,b,t, q·H+j] + rh[d,b, q·H+j]      (q = i, f, g, o)
//   i, f, o = σ(a), g = tanh(a);   c = f·c_prev + i·g;   h = o·tanh(c)      (c_prev = c0 at s = 0)
// Stores what the next step and the backward pass need, in the layouts of lstm_tiled.wgsl (see there): the activated
// gates over the projection, cs, hprev, out, state after the last step; and h in hcur, the next step's GEMM operand.
//
// bindings: 0 uniform Params
//           1 rh: array<f32>    (D, B, 4H) h_{t−1}·W_hhᵀ of this step
//           2 init: array<f32>  [h0 | c0], each (L·D, B, H); this layer's rows start at lOff, c0 at half + lOff
//           3 gates: array<f32> (D, B, T, 4H): x·W_ihᵀ + biases, overwritten at time t by the activated gates
//           4 cs: array<f32> (D, B, T+1, H)   5 hprev: array<f32> (D, B, T, H)   6 out: array<f32> (B, T, D·H)
//           7 state: array<f32> [h | c], each (L·D, B, H), same offsets as init
//           8 hcur: array<f32> (D, B, H) h after this step (the host copies h0 there before step 0)
// dispatch: (ceil(B·H/64), D) workgroups of 64.

struct Params {
  B: u32, T: u32, H: u32, D: u32,
  s: u32, lOff: u32, half: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rh: array<f32>;
@group(0) @binding(2) var<storage, read> init: array<f32>;
@group(0) @binding(3) var<storage, read_write> gates: array<f32>;
@group(0) @binding(4) var<storage, read_write> cs: array<f32>;
@group(0) @binding(5) var<storage, read_write> hprev: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> state: array<f32>;
@group(0) @binding(8) var<storage, read_write> hcur: array<f32>;

// tanh without the builtin (SwiftShader's overflows to NaN for large |x|): tanhAccurate, on vec4.
//#include "common/tanh.wgsl"

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let H = p.H;
  let T = p.T;
  let d = gid.y;
  if (gid.x >= p.B * H) { return; }
  let b = gid.x / H;
  let j = gid.x % H;
  let s = p.s;
  let t = select(T - 1u - s, s, d == 0u);
  let g0 = ((d * p.B + b) * T + t) * 4u * H + j;   // gates[d, b, t, j]
  let r0 = (d * p.B + b) * 4u * H + j;             // rh[d, b, j]
  let ig = sigmoid(gates[g0] + rh[r0]);
  let fg = sigmoid(gates[g0 + H] + rh[r0 + H]);
  let gg = tanhAccurate(vec4<f32>(gates[g0 + 2u * H] + rh[r0 + 2u * H])).x;
  let og = sigmoid(gates[g0 + 3u * H] + rh[r0 + 3u * H]);

  let row = (d * p.B + b) * H + j;              // (d, b, j) in a (D, B, H) block
  let cRow = (d * p.B + b) * (T + 1u) * H + j;  // cs[d, b, 0, j]
  let hRow = (d * p.B + b) * T * H + j;         // hprev[d, b, 0, j]
  var cp: f32;
  if (s == 0u) {
    cp = init[p.half + p.lOff + row];
    cs[cRow] = cp;
    hprev[hRow + t * H] = init[p.lOff + row];
  } else {
    cp = cs[cRow + s * H];
  }
  let c = fg * cp + ig * gg;
  let h = og * tanhAccurate(vec4<f32>(c)).x;
  gates[g0] = ig;
  gates[g0 + H] = fg;
  gates[g0 + 2u * H] = gg;
  gates[g0 + 3u * H] = og;
  cs[cRow + (s + 1u) * H] = c;
  out[(b * T + t) * p.D * H + d * H + j] = h;
  hcur[row] = h;
  if (s + 1u == T) {
    state[p.lOff + row] = h;
    state[p.half + p.lOff + row] = c;
  } else {
    let tn = select(t - 1u, t + 1u, d == 0u);  // the time step processed next
    hprev[hRow + tn * H] = h;
  }
}
