import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/node/: the Node job's own files (vitest.node.config.ts), run on Dawn by `npm run test:node`.
    exclude: [...configDefaults.exclude, 'test/node/**'],
    globalSetup: ['test/globalSetup.ts'],
    // One Chromium serves every file; files run one after another (the machine has 2 cores, SwiftShader uses both).
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
