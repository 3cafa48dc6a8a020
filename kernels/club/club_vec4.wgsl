// club_vec4: club.wgsl with four adjacent columns per invocation, for cols = T·D divisible by 4 (DAR's
// 8·128). The maths, modes and outputs are club.wgsl's, element for element (the partials come out
// bit-identical); only the loads are vec4s from array<vec4<f32>> bindings, which measured 1.7-1.9× faster on
// SwiftShader than four scalar invocations (N = 64 and 512, T = 8, D = 128).
//
// bindings: 0 uniform { n, cols: u32 }   1 mu   2 logvar   3 y  (each N·cols floats)   4 part: (cols floats)
//           5 stats: (4·cols floats; a spare buffer unless MODE 1 with SAVE 1), all array<vec4<f32>>
// constants: MODE = 0 (log-likelihood) or 1 (upper bound);  SAVE = 0 or 1.
// dispatch: grid1d(cols / 4, 16) workgroups of 16.

override MODE: u32 = 0u;
override SAVE: u32 = 0u;

struct Params { n: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> mu: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> logvar: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> part: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec4<f32>>;

@compute @workgroup_size(16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x + gid.y * nwg.x * 16u;
  let c4 = p.cols / 4u;
  if (c >= c4) { return; }
  if (MODE == 0u) {
    var acc = vec4<f32>(0.0);
    for (var i = 0u; i < p.n; i++) {
      let e = i * c4 + c;
      let r = mu[e] - y[e];
      let lv = logvar[e];
      acc += -r * r * exp(-lv) - lv;
    }
    part[c] = acc;
    return;
  }
  var sy = vec4<f32>(0.0);
  for (var i = 0u; i < p.n; i++) { sy += y[i * c4 + c]; }
  let m = sy / f32(p.n);
  var v = vec4<f32>(0.0);   // Σ (y − m)²
  var acc = vec4<f32>(0.0); // Σ w [(m − μ)² − (y − μ)²]
  var sw = vec4<f32>(0.0);  // Σ w
  var swm = vec4<f32>(0.0); // Σ w μ
  for (var i = 0u; i < p.n; i++) {
    let e = i * c4 + c;
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
    stats[c4 + c] = var_y;
    stats[2u * c4 + c] = sw * inv_n;
    stats[3u * c4 + c] = swm * inv_n;
  }
}
