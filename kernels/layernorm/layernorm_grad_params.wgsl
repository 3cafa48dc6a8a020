// layernorm_grad_params: dL/dgamma and dL/dbeta of layer normalisation, summed over rows without atomics: one
// invocation per (chunk of rows, channel) loops over its rows and writes partial sums; when there is more than one
// chunk, the ops layer adds the (P, C) partials up with the reduce_sum kernel.
//   dgamma_part[p, c] = Σ_{rows in chunk p} gy[row, c] · (x[row, c] − mean[row]) · rstd[row]
//   dbeta_part[p, c]  = Σ_{rows in chunk p} gy[row, c]
//
// bindings: 0 uniform { rows, C, chunk, nchunks = P }   1 x: array<f32> (rows·C)   2 mean: array<f32> (rows)
//           3 rstd: array<f32> (rows)   4 gy: array<f32> (rows·C)   5 dgamma: array<f32> (P·C)   6 dbeta: array<f32> (P·C)
// dispatch: grid1d(P·C, 64) workgroups of 64. Neighbouring invocations take neighbouring channels of the same rows.

struct Params { rows: u32, c: u32, chunk: u32, nchunks: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> gy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * 64u;
  if (t >= p.nchunks * p.c) { return; }
  let ch = t % p.c;
  let part = t / p.c;
  let r0 = part * p.chunk;
  let r1 = min(r0 + p.chunk, p.rows);
  var sg = 0.0;
  var sb = 0.0;
  for (var row = r0; row < r1; row++) {
    let k = row * p.c + ch;
    let g = gy[k];
    sg += g * (x[k] - mean[row]) * rstd[row];
    sb += g;
  }
  dgamma[t] = sg;
  dbeta[t] = sb;
}
