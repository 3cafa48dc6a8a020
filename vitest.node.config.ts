// The Node test job (`npm run test:node`): the same harness as the browser tests, run in-process on a Dawn device
// (test/node/page.ts) instead of in Chromium. A small selection: one gradient check per kernel family
// (test/node/gradcheck.test.ts), DAR's PyTorch parity test, the inference tests, init() itself (test/node/init.test.ts)
// `npm start -- --runtime node` (test/node/start.test.ts), loadBertFolder (test/node/bert.test.ts) and the bench's
// jax-js peer on Dawn (test/node/jax-peer.test.ts).

import fs from 'node:fs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Kernels are imported as text, as esbuild's text loader does for the browser bundles (build.mjs).
  plugins: [
    {
      name: 'wgsl-text',
      load: (id) => (id.endsWith('.wgsl') ? `export default ${JSON.stringify(fs.readFileSync(id, 'utf8'))};` : null),
    },
  ],
  test: {
    include: ['test/node/*.test.ts', 'test/dar.test.ts', 'test/inference.test.ts'],
    // dar.test.ts: its parity test only (the others are training-step timings and behaviour, covered in the browser).
    testNamePattern: /^(?!DAR )|DAR matches the PyTorch reference/,
    globalSetup: ['test/node/globalSetup.ts'],
    env: { WEBGRAD_RUNTIME: 'node' },
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
