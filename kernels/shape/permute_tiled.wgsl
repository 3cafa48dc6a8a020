// permute_tiled: a permute that swaps the last two (merged) axes, through a 32×32 tile in workgroup memory (the gpu
// rung; permute.wgsl, the strided copy, is the serial one and takes every other permute).
//   y[b, i, j] = x[off(b) + j·R + i]      y: (batch…, R, C) with x's block for b a contiguous (C, R)
// where off(b) is x's offset of y's leading axes b (any order: their x strides come from the host, as for permute).
// A plain transpose reads or writes with a stride of R or C words; here a workgroup of 32×8 reads a 32×32 block of x
// along its rows (neighbours read neighbouring words), and writes it to y along y's rows. The tile's rows are 33 wide,
// so reading a column of it touches 32 different banks.
//
// bindings: 0 uniform { shape[6]: y's merged shape, stride[6]: x's stride for each of y's merged axes }
//           1 x: array<f32>   2 y: array<f32>
// constants: RANK = number of merged axes (2..6); the last two are (R, C) with x strides (1, R).
// dispatch: (ceil(C / 32), ceil(R / 32), batch) workgroups of (32, 8).

override RANK: u32 = 2u;

struct Params {
  shape: array<vec4<u32>, 2>,  // entry k is at [k / 4][k % 4]
  stride: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const TILE: u32 = 32u;
var<workgroup> tile: array<array<f32, 33>, 32>; // [j][i]: 32 rows of x's block, padded to 33

fn at(a: array<vec4<u32>, 2>, k: u32) -> u32 {
  return a[k / 4u][k % 4u];
}

@compute @workgroup_size(32, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let rlen = at(p.shape, RANK - 2u); // R
  let clen = at(p.shape, RANK - 1u); // C
  // x's offset of batch b = wg.z, from y's leading axes (innermost first).
  var rem = wg.z;
  var off = 0u;
  for (var k = RANK - 2u; k > 0u; k--) {
    let d = at(p.shape, k - 1u);
    off += (rem % d) * at(p.stride, k - 1u);
    rem /= d;
  }
  let j0 = wg.x * TILE; // along C
  let i0 = wg.y * TILE; // along R
  // Read: x's rows j0.. (each of length R), columns i0..: invocation (tx, ty) reads column i0 + tx of rows ty + 8k.
  for (var k = lid.y; k < TILE; k += 8u) {
    let j = j0 + k;
    let i = i0 + lid.x;
    if (j < clen && i < rlen) { tile[k][lid.x] = x[off + j * rlen + i]; }
  }
  workgroupBarrier();
  // Write: y's rows i0.. (each of length C), columns j0..: invocation (tx, ty) writes column j0 + tx of rows ty + 8k.
  let ybase = wg.z * rlen * clen;
  for (var k = lid.y; k < TILE; k += 8u) {
    let i = i0 + k;
    let j = j0 + lid.x;
    if (i < rlen && j < clen) { y[ybase + i * clen + j] = tile[lid.x][k]; }
  }
}
