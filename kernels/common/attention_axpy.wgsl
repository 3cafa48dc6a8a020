// x + w·y on rows of common/attention_rows.wgsl; included by attention_grad_q_tiled and attention_grad_kv_tiled.
/** x + w·y */
fn axpy16(x: D16, w: f32, y: D16) -> D16 { return D16(x.a + w * y.a, x.b + w * y.b, x.c + w * y.c, x.d + w * y.d); }
fn axpyRow(x: Row, w: f32, y: Row) -> Row {
  var r = x;
  r.x0 = axpy16(x.x0, w, y.x0);
  if (NB > 1u) { r.x1 = axpy16(x.x1, w, y.x1); }
  if (NB > 2u) { r.x2 = axpy16(x.x2, w, y.x2); }
  if (NB > 3u) { r.x3 = axpy16(x.x3, w, y.x3); }
  return r;
}
