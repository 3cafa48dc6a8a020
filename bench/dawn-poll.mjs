// How much CPU Dawn's wait for the GPU costs in Node, with its own busy polling ('spin') and with webgrad's backoff
// (src/node/poll.ts): wall time, CPU of the waiting (main) thread and CPU of the whole process per readback, the modes
// alternating in fresh processes. Workloads: 'matmul' (webgrad's 512×512×512 matmul, then its readback) and 'long'
// (one dispatch of 2^20 invocations × 200 sin() on the engine's device, then a 16-byte readback: a long wait).
//
//   node build.mjs && node bench/dawn-poll.mjs [rounds=2] [reps=5] [workload=matmul]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** CPU ms of this process's main thread so far (utime + stime from /proc; clock ticks of 10 ms). */
function mainThreadCpuMs() {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One long dispatch and a small readback, on the engine's device. */
function longWorkload(device) {
  const n = 1 << 20;
  const code = `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  var x = a[g.x]; for (var i = 0u; i < 200u; i++) { x = sin(x) + 1.0; } a[g.x] = x; }`;
  const pipe = device.createComputePipeline({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
  });
  const buf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const rb = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bg = device.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: buf } }],
  });
  return async () => {
    const enc = device.createCommandEncoder();
    const p = enc.beginComputePass();
    p.setPipeline(pipe);
    p.setBindGroup(0, bg);
    p.dispatchWorkgroups(n / 64);
    p.end();
    enc.copyBufferToBuffer(buf, 0, rb, 0, 16);
    device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    rb.unmap();
  };
}

async function measure(poll, reps, workload) {
  const wg = await import('../dist/node.js');
  await wg.init({ poll });
  const a = wg.rand([512, 512]);
  const b = wg.rand([512, 512]);
  const once =
    workload === 'long' ? longWorkload(wg.runtime().device) : () => wg.tidyAsync(() => wg.matmul(a, b).toArray());
  await once(); // compile and warm up
  const t0 = performance.now();
  const main0 = mainThreadCpuMs();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) await once();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    poll,
    wallMs: wall / reps,
    mainThreadCpuMs: (mainThreadCpuMs() - main0) / reps,
    processCpuMs: (cpu.user + cpu.system) / 1000 / reps,
  };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(process.argv[3], Number(process.argv[4]), process.argv[5])));
  process.exit(0);
}
const rounds = Number(process.argv[2] ?? 2);
const reps = Number(process.argv[3] ?? 5);
const workload = process.argv[4] ?? 'matmul';
if (!['matmul', 'long'].includes(workload)) throw new Error(`workload must be matmul or long, got ${workload}`);
console.log(
  `Dawn's wait for the GPU in Node: ${workload === 'long' ? 'one 2^20 × 200 sin() dispatch + 16-byte readback' : '512×512×512 matmul + readback'}, ` +
    `${reps} per process, modes alternating over ${rounds} rounds; load average ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}`,
);
console.log('poll      wall ms/readback   main-thread CPU ms   process CPU ms   main thread busy');
for (let r = 0; r < rounds; r++) {
  for (const poll of ['spin', 'backoff']) {
    const out = execFileSync(
      process.execPath,
      [new URL(import.meta.url).pathname, '--child', poll, String(reps), workload],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const m = JSON.parse(out.trim().split('\n').at(-1));
    console.log(
      `${poll.padEnd(9)} ${m.wallMs.toFixed(0).padStart(16)} ${m.mainThreadCpuMs.toFixed(0).padStart(20)} ${m.processCpuMs.toFixed(0).padStart(16)} ` +
        `${((100 * m.mainThreadCpuMs) / m.wallMs).toFixed(0).padStart(17)} %`,
    );
  }
}
console.log(
  `load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ')}`,
);
