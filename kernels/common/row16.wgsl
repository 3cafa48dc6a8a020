// 16 values along a tile's columns as four vec4s, and acc + s·x on them; shared by the conv1d kernels
// (conv1d_tiled, conv1d_window, conv1d_grad_w_tiled), which define nothing it needs.
struct Row16 { c0: vec4<f32>, c1: vec4<f32>, c2: vec4<f32>, c3: vec4<f32> }

fn fmaRow(acc: Row16, s: f32, x: Row16) -> Row16 {
  let v = vec4<f32>(s);
  return Row16(fma(v, x.c0, acc.c0), fma(v, x.c1, acc.c1), fma(v, x.c2, acc.c2), fma(v, x.c3, acc.c3));
}
