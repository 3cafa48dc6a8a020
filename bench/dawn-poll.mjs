// How much CPU Dawn's wait for the GPU costs in Node, with its own busy polling ('spin') and with webgrad's backoff
// (src/node/poll.ts): wall time, CPU of the waiting (main) thread and CPU of the whole process per readback of a
// 512×512×512 matmul, the modes alternating in fresh processes.
//
//   node build.mjs && node bench/dawn-poll.mjs [rounds=2] [reps=5]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** CPU ms of this process's main thread so far (utime + stime from /proc; clock ticks of 10 ms). */
function mainThreadCpuMs() {
  const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measure(poll, reps) {
  const wg = await import('../dist/node.js');
  await wg.init({ poll });
  const a = wg.rand([512, 512]);
  const b = wg.rand([512, 512]);
  await wg.matmul(a, b).toArray(); // compile and warm up
  const t0 = performance.now();
  const main0 = mainThreadCpuMs();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) await wg.tidyAsync(() => wg.matmul(a, b).toArray());
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { poll, wallMs: wall / reps, mainThreadCpuMs: (mainThreadCpuMs() - main0) / reps, processCpuMs: (cpu.user + cpu.system) / 1000 / reps };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await measure(process.argv[3], Number(process.argv[4]))));
  process.exit(0);
}
const rounds = Number(process.argv[2] ?? 2);
const reps = Number(process.argv[3] ?? 5);
console.log(`Dawn's wait for the GPU in Node: 512×512×512 matmul + readback, ${reps} per process, modes alternating over ${rounds} rounds`);
console.log('poll      wall ms/readback   main-thread CPU ms   process CPU ms   main thread busy');
for (let r = 0; r < rounds; r++) {
  for (const poll of ['spin', 'backoff']) {
    const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, '--child', poll, String(reps)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = JSON.parse(out.trim().split('\n').at(-1));
    console.log(`${poll.padEnd(9)} ${m.wallMs.toFixed(0).padStart(16)} ${m.mainThreadCpuMs.toFixed(0).padStart(20)} ${m.processCpuMs.toFixed(0).padStart(16)} ` +
      `${((100 * m.mainThreadCpuMs) / m.wallMs).toFixed(0).padStart(17)} %`);
  }
}
console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
