// lstm_grad_naive: the plain version of lstm_grad_tiled.wgsl, kept beside it as the obviously-right reference rung.
// One invocation per (direction, row, hidden unit) runs ONE backward step q = q0 = s + 1 (one dispatch per step, q
// from T down to 0); the maths, bindings, buffer layouts and uniforms are those of lstm_grad_tiled.wgsl (see there).
//
// bindings: 0 uniform Params   1 rec   2 gates   3 cs   4 gOut   5 gState   6 dG   7 dInit
// dispatch: (ceil(B·H/64), D) workgroups of 64.

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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let H = p.H;
  let T = p.T;
  let d = gid.y;
  if (gid.x >= p.B * H) { return; }
  let b = gid.x / H;
  let j = gid.x % H;
  let q = p.q0;
  let row = p.lOff + (d * p.B + b) * H + j; // (d, b, j) in the (L·D, B, H) blocks of gState and dInit

  // dL/dh from the later steps: through W_hh from step s + 1's gate gradients, or dL/dh_N at the last step.
  var dhRec = 0.0;
  if (q == T) {
    dhRec = gState[p.gsOff + row];
  } else {
    let tn = select(T - 1u - q, q, d == 0u);
    let gn = ((d * p.B + b) * T + tn) * 4u * H;
    for (var m = 0u; m < 4u * H; m++) {
      dhRec += rec[(d * 4u * H + m) * H + j] * dG[gn + m];
    }
  }
  if (q == 0u) {
    dInit[row] = dhRec;
    return;
  }
  let s = q - 1u;
  let t = select(T - 1u - s, s, d == 0u);
  let dh = dhRec + gOut[(b * T + t) * p.D * H + d * H + j];
  var dcIn: f32;
  if (q == T) { dcIn = gState[p.gsOff + p.half + row]; } else { dcIn = dInit[p.half + row]; }

  let g0 = ((d * p.B + b) * T + t) * 4u * H;
  let ig = gates[g0 + j];
  let fg = gates[g0 + H + j];
  let gg = gates[g0 + 2u * H + j];
  let og = gates[g0 + 3u * H + j];
  let cRow = (d * p.B + b) * (T + 1u) * H + j;
  let c = cs[cRow + q * H];
  let cp = cs[cRow + s * H];
  let tc = tanhf(c);
  let dc = dcIn + dh * og * (1.0 - tc * tc);
  dG[g0 + j] = dc * gg * ig * (1.0 - ig);
  dG[g0 + H + j] = dc * cp * fg * (1.0 - fg);
  dG[g0 + 2u * H + j] = dc * ig * (1.0 - gg * gg);
  dG[g0 + 3u * H + j] = dh * tc * og * (1.0 - og);
  dInit[p.half + row] = dc * fg;
}
