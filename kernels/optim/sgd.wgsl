// sgd: one SGD step on one parameter, in place (torch.optim.SGD with dampening 0):
//   d = grad + weightDecay·p
//   MOMENTUM = 1:  buf = momentum·buf + d;   d = NESTEROV ? d + momentum·buf : buf
//   p = p − lr·d
// lr, momentum and weightDecay are uniforms, so changing the learning rate never recompiles.
//
// bindings: 0 uniform { n4: u32, lr: f32, momentum: f32, weightDecay: f32 }
//           1 grad: array<vec4<f32>> (n4)   2 p: array<vec4<f32>> (n4), read and written
//           3 buf: array<vec4<f32>> (n4) momentum buffer, read and written (a 16-byte placeholder when MOMENTUM = 0)
// dispatch: grid1d(n4, 64) with n4 = ceil(n / 4). Each invocation updates 4 elements; buffers are padded to 16 bytes,
//           so the last vec4 may compute on padding, which no tensor ever reads.

override MOMENTUM: u32 = 0u;
override NESTEROV: u32 = 0u;

struct Params { n4: u32, lr: f32, momentum: f32, weightDecay: f32 }
@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> buf: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n4) { return; }
  let w = p[i];
  var d = grad[i] + u.weightDecay * w;
  if (MOMENTUM != 0u) {
    let b = u.momentum * buf[i] + d;
    buf[i] = b;
    d = select(b, d + u.momentum * b, NESTEROV != 0u);
  }
  p[i] = w - u.lr * d;
}
