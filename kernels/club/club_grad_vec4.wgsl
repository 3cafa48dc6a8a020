// club_grad_vec4: club_grad.wgsl four elements at a time, for cols = T·D divisible by 4; the same formulas
// (see there), with vec4 loads and stores from array<vec4<f32>> bindings.
//
// bindings: 0 uniform { total, cols: u32, scale: f32 }   1 mu   2 logvar   3 y  (each total floats)
//           4 stats (4·cols floats; any buffer in MODE 0)   5 gy: array<f32> (1)   6 dmu   7 dlogvar   8 dy
//           (all but gy array<vec4<f32>>)
// constants: MODE = 0 (log-likelihood) or 1 (upper bound).
// dispatch: grid1d(total / 4, 64) workgroups of 64.

override MODE: u32 = 0u;

struct Params { total: u32, cols: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mu: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> logvar: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> stats: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> gy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dmu: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dlogvar: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> dy: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * 64u;
  if (e >= p.total / 4u) { return; }
  let g = gy[0] * p.scale;
  let mi = mu[e];
  let lv = logvar[e];
  let yi = y[e];
  if (MODE == 0u) {
    let r = mi - yi;
    let iv = exp(-lv);
    dmu[e] = -2.0 * r * iv * g;
    dy[e] = 2.0 * r * iv * g;
    dlogvar[e] = (r * r * iv - 1.0) * g;
    return;
  }
  let c4 = p.cols / 4u;
  let c = e % c4;
  let m = stats[c];
  let v = stats[c4 + c];
  let wbar = stats[2u * c4 + c];
  let zbar = stats[3u * c4 + c];
  let w = 0.5 * exp(-lv);
  dmu[e] = 2.0 * w * (yi - m) * g;
  dlogvar[e] = -w * (v + (m - yi) * (m + yi - 2.0 * mi)) * g;
  dy[e] = (-2.0 * w * (yi - mi) + 2.0 * (yi * wbar - zbar)) * g;
}
