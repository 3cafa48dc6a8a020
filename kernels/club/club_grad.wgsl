// club_grad: gradients of a CLUB loss to mu, logvar and y, elementwise (one invocation per element of the
// (N, cols) view), g = gy[0] · scale with scale = 1/(N·T).
//
// MODE 0, log-likelihood, r = μ − y:   dμ = −2 r e^{−lv} g    dy = 2 r e^{−lv} g    dlv = (r² e^{−lv} − 1) g
// MODE 1, upper bound, w = e^{−lv}/2, with the column's saved stats m = E[y], V = Var[y], W̄ = E[w], Z̄ = E[wμ]:
//   dμ_i  = 2 w_i (y_i − m) g                                  (the positive and the all-pairs term together)
//   dlv_i = −w_i [ V + (m − μ_i)² − (y_i − μ_i)² ] g
//   dy_k  = [ −2 w_k (y_k − μ_k) + 2 (y_k W̄ − Z̄) ] g          (the second part is (2/N) Σ_i w_i (y_k − μ_i))
//
// bindings: 0 uniform { total, cols: u32, scale: f32 }   1 mu   2 logvar   3 y  (each total = N·cols)
//           4 stats: array<f32> (4·cols; any buffer in MODE 0)   5 gy: array<f32> (1)
//           6 dmu   7 dlogvar   8 dy  (each total)
// constants: MODE = 0 or 1.
// dispatch: grid1d(total, 64) workgroups of 64.

override MODE: u32 = 0u;

struct Params { total: u32, cols: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mu: array<f32>;
@group(0) @binding(2) var<storage, read> logvar: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read> gy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dmu: array<f32>;
@group(0) @binding(7) var<storage, read_write> dlogvar: array<f32>;
@group(0) @binding(8) var<storage, read_write> dy: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * 64u;
  if (e >= p.total) { return; }
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
  let c = e % p.cols;
  let m = stats[c];
  let v = stats[p.cols + c];
  let wbar = stats[2u * p.cols + c];
  let zbar = stats[3u * p.cols + c];
  let w = 0.5 * exp(-lv);
  dmu[e] = 2.0 * w * (yi - m) * g;
  dlogvar[e] = -w * (v + (m - yi) * (m + yi - 2.0 * mi)) * g;
  dy[e] = (-2.0 * w * (yi - mi) + 2.0 * (yi * wbar - zbar)) * g;
}
