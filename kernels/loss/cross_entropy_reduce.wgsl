// cross_entropy_reduce: 'mean' or 'sum' of the per-row losses of cross_entropy.wgsl, and the factor its backward
// scales by. 'mean' divides by the number of rows not ignored, as PyTorch does (NaN when every row is ignored,
// 0 / 0, also as PyTorch). One invocation adds the rows serially: a batch's rows are few (N·S), and one launch with no
// partials is cheaper than a tree at that size.
//
// bindings: 0 uniform { rows: u32 }   1 loss: array<f32> (rows)   2 valid: array<f32> (rows)
//           3 y: array<f32> (1)   4 scale: array<f32> (1; 1 for 'sum', 1 / count for 'mean')
// constants: MEAN = 0 ('sum') or 1 ('mean').
// dispatch: 1 workgroup of 1.

override MEAN: u32 = 1u;

struct Params { rows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> loss: array<f32>;
@group(0) @binding(2) var<storage, read> valid: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> scale: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var total = 0.0;
  var count = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    total += loss[r];
    count += valid[r];
  }
  let s = select(1.0, 1.0 / count, MEAN == 1u);
  y[0] = total * s;
  scale[0] = s;
}
