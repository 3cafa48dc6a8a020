// One DAR `small` training step (batch 64, synthetic MOSI shapes) in headless Chromium and in Node on Dawn, measured
// in the same run: `npm run bench -- --only dar` for each runtime in turn, alternating over the rounds so that the
// machine's load falls on all alike. Node runs twice: with webgrad's poll backoff (the default) and with Dawn's own
// busy polling (WEBGRAD_DAWN_POLL=spin), the before and after of src/node/poll.ts.
//
//   node bench/dar-runtimes.mjs [rounds=2] [steps=3]

import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const rounds = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 3);
const VARIANTS = {
  browser: { args: ['--runtime', 'browser'], env: {} },
  node: { args: ['--runtime', 'node'], env: { WEBGRAD_DAWN_POLL: 'backoff' } },
  'node-spin': { args: ['--runtime', 'node'], env: { WEBGRAD_DAWN_POLL: 'spin' } },
};
const results = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
console.log(
  `DAR small, batch 64: ms per training step (${steps} timed after 2 warm-up), ${rounds} alternating rounds; ` +
    `load average at start ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}`,
);
for (let r = 0; r < rounds; r++) {
  for (const [runtime, v] of Object.entries(VARIANTS)) {
    const out = execFileSync(
      process.execPath,
      [
        path.join(root, 'bench/run.mjs'),
        '--only',
        'dar',
        '--presets',
        'small',
        '--no-torch',
        '--dar-steps',
        String(steps),
        ...v.args,
      ],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...v.env } },
    );
    const m = /webgrad small\s+([\d.]+) ms\/step.*first step ([\d.]+) ms/.exec(out);
    if (!m) throw new Error(`no DAR step in the ${runtime} run's output:\n${out}`);
    results[runtime].push(Number(m[1]));
    console.log(
      `round ${r + 1}  ${runtime.padEnd(9)} ${m[1].padStart(6)} ms/step  (first step, compiling: ${m[2]} ms)`,
    );
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};
const [b, n, spin] = [median(results.browser), median(results.node), median(results['node-spin'])];
console.log(
  `median: Chromium ${b.toFixed(0)} ms/step, Node ${n.toFixed(0)} ms/step (Node / Chromium = ${(n / b).toFixed(2)}), ` +
    `Node with Dawn's busy polling ${spin.toFixed(0)} ms/step (${(spin / b).toFixed(2)}); load average at end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' / ')}`,
);
