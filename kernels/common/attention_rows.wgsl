// A row of Dh ≤ 64 floats held in registers as up to four 16-float blocks, and its dot product; included by the
// attention_*_tiled kernels, which define NB (blocks per row) before including it.
/** 16 floats of a row; a row is up to 4 blocks (Dh ≤ 64). Vec4s past DH4 are zero. */
struct D16 { a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32> }
struct Row { x0: D16, x1: D16, x2: D16, x3: D16 }

fn dot16(x: D16, y: D16) -> vec4<f32> { return x.a * y.a + x.b * y.b + x.c * y.c + x.d * y.d; }
fn dotRow(x: Row, y: Row) -> f32 {
  var s = dot16(x.x0, y.x0);
  if (NB > 1u) { s += dot16(x.x1, y.x1); }
  if (NB > 2u) { s += dot16(x.x2, y.x2); }
  if (NB > 3u) { s += dot16(x.x3, y.x3); }
  return s.x + s.y + s.z + s.w;
}
