// lstm_grad_gemm: the fused gate-gradient kernel of the 'gemm' rung: ONE backward step s (run s = T−1 … 0) of one
// LSTM layer, both directions, one invocation per (direction, row, hidden unit). The recurrent part of dL/dh is not
// gathered here: after each dispatch one GEMM on the 64×64 workgroup tile forms dh_rec = dG_s·W_hh for step s−1
// (matmul_shared.wgsl, into `dhRec`), and the weight gradients are big GEMMs over all steps afterwards. The maths of
// lstm_grad_naive.wgsl, for direction d, row b, unit j at time t (t = s forward, T−1−s reverse):
//   dh = dL/dout[b,t, d·H+j] + (s = T−1 ? dL/dh_N : dhRec[d,b,j])
//   dc = (s = T−1 ? dL/dc_N : carried dc) + dh·o·(1 − tanh²(c))
//   dG = (dc·g·i(1−i),  dc·c_prev·f(1−f),  dc·i·(1−g²),  dh·tanh(c)·o(1−o))    (gate order i, f, g, o)
//   carried dc for step s−1 = dc·f, kept in dInit's dc0 half (which ends up holding dL/dc0)
// dG goes to dG (all steps, for the weight gradients) and to dGcur (this step's, the next GEMM's operand).
//
// bindings: 0 uniform Params
//           1 gates: array<f32>  (D, B, T, 4H) activated i, f, g, o    2 cs: array<f32> (D, B, T+1, H)
//           3 gOut: array<f32>   (B, T, D·H) dL/d(this layer's output)
//           4 gState: array<f32> dL/d[h_N | c_N] at gsOff, each (L·D, B, H); this layer's rows at lOff
//           5 dhRec: array<f32>  (D, B, H) dG_{s+1}·W_hh (not read at s = T−1)
//           6 dG: array<f32>     (D, B, T, 4H), written at time t     7 dGcur: array<f32> (D, B, 4H), written
//           8 dInit: array<f32>  [dh0 | dc0], each (L·D, B, H), same offsets as gState
// dispatch: (ceil(B·H/64), D) workgroups of 64.

struct Params {
  B: u32, T: u32, H: u32, D: u32,
  s: u32, lOff: u32, half: u32, gsOff: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gates: array<f32>;
@group(0) @binding(2) var<storage, read> cs: array<f32>;
@group(0) @binding(3) var<storage, read> gOut: array<f32>;
@group(0) @binding(4) var<storage, read> gState: array<f32>;
@group(0) @binding(5) var<storage, read> dhRec: array<f32>;
@group(0) @binding(6) var<storage, read_write> dG: array<f32>;
@group(0) @binding(7) var<storage, read_write> dGcur: array<f32>;
@group(0) @binding(8) var<storage, read_write> dInit: array<f32>;

//#include "common/tanh.wgsl"

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
  let local = (d * p.B + b) * H + j;   // (d, b, j) in this layer's (D, B, H) block
  let row = p.lOff + local;            // ... and in the (L·D, B, H) blocks of gState and dInit

  var dh = gOut[(b * T + t) * p.D * H + d * H + j];
  var dcIn: f32;
  if (s + 1u == T) {
    dh += gState[p.gsOff + row];
    dcIn = gState[p.gsOff + p.half + row];
  } else {
    dh += dhRec[local];
    dcIn = dInit[p.half + row];
  }
  let g0 = ((d * p.B + b) * T + t) * 4u * H + j;
  let ig = gates[g0];
  let fg = gates[g0 + H];
  let gg = gates[g0 + 2u * H];
  let og = gates[g0 + 3u * H];
  let cRow = (d * p.B + b) * (T + 1u) * H + j;
  let c = cs[cRow + (s + 1u) * H];
  let cp = cs[cRow + s * H];
  let tc = tanhAccurate(vec4<f32>(c)).x;
  let dc = dcIn + dh * og * (1.0 - tc * tc);
  let dAi = dc * gg * ig * (1.0 - ig);
  let dAf = dc * cp * fg * (1.0 - fg);
  let dAg = dc * ig * (1.0 - gg * gg);
  let dAo = dh * tc * og * (1.0 - og);
  dG[g0] = dAi;
  dG[g0 + H] = dAf;
  dG[g0 + 2u * H] = dAg;
  dG[g0 + 3u * H] = dAo;
  let r0 = (d * p.B + b) * 4u * H + j;   // dGcur[d, b, j]
  dGcur[r0] = dAi;
  dGcur[r0 + H] = dAf;
  dGcur[r0 + 2u * H] = dAg;
  dGcur[r0 + 3u * H] = dAo;
  dInit[p.half + row] = dc * fg;
}
