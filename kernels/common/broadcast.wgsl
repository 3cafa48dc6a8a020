// Broadcast indexing for binary.wgsl and binary_grad.wgsl, which define RANK, p.axes and the vec4 arrays a and b.

// Offsets of y's element e in a and b, and e's coordinate on the innermost axis: peel the multi-index off e from
// the innermost axis out. Written out per axis with constant indices (RANK is a pipeline constant): a loop over the
// axes made the whole kernel twice as slow on SwiftShader.
fn peel(ax: vec4<u32>, rest: ptr<function, u32>, o: ptr<function, vec3<u32>>) {
  let c = *rest % ax.x;
  *rest = *rest / ax.x;
  *o += vec3<u32>(c * ax.y, c * ax.z, 0u);
}

fn locate(e: u32) -> vec3<u32> {
  if (RANK == 1u) { return vec3<u32>(e * p.axes[0].y, e * p.axes[0].z, e); }
  let inner = p.axes[0];
  let c = e % inner.x;
  var rest = e / inner.x;
  var o = vec3<u32>(c * inner.y, c * inner.z, c);
  if (RANK > 2u) { peel(p.axes[1], &rest, &o); }
  if (RANK > 3u) { peel(p.axes[2], &rest, &o); }
  if (RANK > 4u) { peel(p.axes[3], &rest, &o); }
  if (RANK > 5u) { peel(p.axes[4], &rest, &o); }
  if (RANK > 6u) { peel(p.axes[5], &rest, &o); }
  if (RANK > 7u) { peel(p.axes[6], &rest, &o); }
  // What is left is the coordinate on the outermost axis (e < n, so it needs no division).
  let outer = p.axes[RANK - 1u];
  o += vec3<u32>(rest * outer.y, rest * outer.z, 0u);
  return o;
}

// Element k of a contiguous float array stored as vec4s.
fn loadA(k: u32) -> f32 { return a[k >> 2u][k & 3u]; }
fn loadB(k: u32) -> f32 { return b[k >> 2u][k & 3u]; }
