// club: per-column partial sums of the CLUB losses. mu, logvar and y are (N, T, D) viewed as (N, cols) with
// cols = T·D; one invocation owns column c = (t, d) and loops over the N samples (no barriers, no N×N×D tensor).
//
// MODE 0, the estimator's log-likelihood:   part[c] = Σ_i [ −(μ_i − y_i)² · exp(−logvar_i) − logvar_i ]
// MODE 1, the mutual-information upper bound, Σ_i [ ℓ_c(i,i) − (1/N) Σ_j ℓ_c(i,j) ] with
//   ℓ_c(i,j) = −(y_j − μ_i)² · w_i, w_i = exp(−logvar_i) / 2. The all-pairs mean expands around the column's batch
//   moments of y, m = E[y] and V = E[(y − m)²] (two passes: no E[y²] − m² cancellation):
//     (1/N) Σ_j (y_j − μ_i)² = V + (m − μ_i)²
//   so part[c] = Σ_i w_i [ V + (m − μ_i)² − (y_i − μ_i)² ],  with (m − μ)² − (y − μ)² = (m − y)(m + y − 2μ).
//   SAVE 1 also stores, for the backward, stats = [m; V; W̄; Z̄] (each cols long), W̄ = E_i[w_i], Z̄ = E_i[w_i μ_i].
// club_sum.wgsl then adds the partials and divides by N·T.
//
// bindings: 0 uniform { n, cols: u32 }   1 mu   2 logvar   3 y  (each N·cols)   4 part: array<f32> (cols)
//           5 stats: array<f32> (4·cols; a spare buffer unless MODE 1 with SAVE 1)
// constants: MODE = 0 or 1;  SAVE = 0 or 1.
// dispatch: grid1d(cols, 64) workgroups of 64.

override MODE: u32 = 0u;
override SAVE: u32 = 0u;

struct Params { n: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mu: array<f32>;
@group(0) @binding(2) var<storage, read> logvar: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> part: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x + gid.y * nwg.x * 64u;
  if (c >= p.cols) { return; }
  if (MODE == 0u) {
    var acc = 0.0;
    for (var i = 0u; i < p.n; i++) {
      let e = i * p.cols + c;
      let r = mu[e] - y[e];
      let lv = logvar[e];
      acc += -r * r * exp(-lv) - lv;
    }
    part[c] = acc;
    return;
  }
  var sy = 0.0;
  for (var i = 0u; i < p.n; i++) { sy += y[i * p.cols + c]; }
  let m = sy / f32(p.n);
  var v = 0.0;   // Σ (y − m)²
  var acc = 0.0; // Σ w [(m − μ)² − (y − μ)²]
  var sw = 0.0;  // Σ w
  var swm = 0.0; // Σ w μ
  for (var i = 0u; i < p.n; i++) {
    let e = i * p.cols + c;
    let yi = y[e];
    let mi = mu[e];
    let w = 0.5 * exp(-logvar[e]);
    let dy = yi - m;
    v += dy * dy;
    acc += w * (m - yi) * (m + yi - 2.0 * mi);
    sw += w;
    swm += w * mi;
  }
  let inv_n = 1.0 / f32(p.n);
  let var_y = v * inv_n;
  part[c] = acc + var_y * sw;
  if (SAVE == 1u) {
    stats[c] = m;
    stats[p.cols + c] = var_y;
    stats[2u * p.cols + c] = sw * inv_n;
    stats[3u * p.cols + c] = swm * inv_n;
  }
}
