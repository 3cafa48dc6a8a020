// The demo's 3D scatter plot: one screen-facing disc per point, drawn as an instanced 4-vertex triangle strip.
//
// Bindings: @group(0) @binding(0) uniform View { viewProj: mat4x4f (camera · perspective, from wgpu-matrix),
//           viewport: vec2f (canvas pixels), radius: f32 (disc radius in pixels) }.
// Vertex buffer (step mode instance), 6 floats per point: @location(0) centre xyz, @location(1) colour rgb.
// Draw: draw(4, points) with topology triangle-strip, a depth24plus depth buffer (less), one pass per frame.

struct View {
  viewProj: mat4x4f,
  viewport: vec2f,
  radius: f32,
  _pad: f32,
};
@group(0) @binding(0) var<uniform> view: View;

struct Varyings {
  @builtin(position) position: vec4f,
  @location(0) color: vec3f,
  @location(1) corner: vec2f, // (±1, ±1): where in the disc's square this fragment is
};

@vertex
fn vs(@builtin(vertex_index) v: u32, @location(0) centre: vec3f, @location(1) color: vec3f) -> Varyings {
  let corner = vec2f(f32(v & 1u) * 2.0 - 1.0, f32(v >> 1u) * 2.0 - 1.0);
  let clip = view.viewProj * vec4f(centre, 1.0);
  // Offset in clip space, scaled by w so the disc keeps its pixel size at any depth (2 / viewport NDC per pixel).
  let offset = corner * view.radius * 2.0 / view.viewport * clip.w;
  var out: Varyings;
  out.position = vec4f(clip.xy + offset, clip.zw);
  out.color = color;
  out.corner = corner;
  return out;
}

@fragment
fn fs(in: Varyings) -> @location(0) vec4f {
  let r2 = dot(in.corner, in.corner);
  if (r2 > 1.0) {
    discard;
  }
  // A darker rim so overlapping points stay distinguishable.
  let shade = select(1.0, 0.55, r2 > 0.6);
  return vec4f(in.color * shade, 1.0);
}
