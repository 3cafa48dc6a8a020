// The engine never imports the application: the lint rule webgrad/engine-boundary (scripts/eslint-engine-boundary.mjs,
// turned on for src/engine/** by eslint.config.js; `npm test` lints first) passes on this repository and names the
// line and import of each violation, with the repository's own lint config.

import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('..', import.meta.url));
const RULE = 'webgrad/engine-boundary';
const eslint = new ESLint({ cwd: repo });

const boundary = (results: ESLint.LintResult[]) =>
  results.flatMap((r) =>
    r.messages.filter((m: Linter.LintMessage) => m.ruleId === RULE).map((m) => `${m.line} ${m.message}`),
  );

describe('the engine boundary', () => {
  it('holds in this repository', async () => {
    const results = await eslint.lintFiles(['src/engine']);
    expect(results.length).toBeGreaterThan(40); // the engine's files were linted, not skipped
    expect(boundary(results)).toEqual([]);
  });

  it('names the line and import of each engine import that leaves the engine', async () => {
    const bad =
      "import { runtime } from '../engine';\n" +
      "import type { DAR } from '../../app/models/dar/index';\n" +
      "export * from '../../index';\n" +
      "const f = await import('node:fs');\n" +
      "import wgsl from '../../../kernels/add.wgsl';\n" +
      "export { x } from './../../app/x';\n" +
      "// import { DAR } from '../../app/models/dar/index';\n" +
      'export { runtime, f, wgsl };\n';
    expect(boundary(await eslint.lintText(bad, { filePath: 'src/engine/ops/bad.ts' }))).toEqual([
      "2 engine boundary: imports '../../app/models/dar/index' (src/app/models/dar/index), outside the engine",
      "3 engine boundary: imports '../../index' (src/index), outside the engine",
      "4 engine boundary: uses the package 'node:fs' (the engine has no dependencies)",
      "6 engine boundary: imports './../../app/x' (src/app/x), outside the engine",
    ]);
  });

  it('leaves the application free to import the engine and packages', async () => {
    const app = "import { Tensor } from '../../../engine/tensor';\nimport fs from 'node:fs';\nexport { Tensor, fs };\n";
    expect(boundary(await eslint.lintText(app, { filePath: 'src/app/models/dar/x.ts' }))).toEqual([]);
  });
});

describe('the Node entry boundary (src/node/)', () => {
  const NODE_RULE = 'webgrad/node-entry-boundary';
  const nodeBoundary = (results: ESLint.LintResult[]) =>
    results.flatMap((r) =>
      r.messages.filter((m: Linter.LintMessage) => m.ruleId === NODE_RULE).map((m) => `${m.line} ${m.message}`),
    );

  it('holds in this repository', async () => {
    const results = await eslint.lintFiles(['src/node']);
    expect(results.length).toBeGreaterThan(2);
    expect(nodeBoundary(results)).toEqual([]);
  });

  it('allows the engine, node: modules and webgpu; names imports of the application or other packages', async () => {
    const good =
      "import { init } from '../engine/engine';\nimport fs from 'node:fs';\nconst d = await import('webgpu');\nexport { init, fs, d };\n";
    expect(nodeBoundary(await eslint.lintText(good, { filePath: 'src/node/good.ts' }))).toEqual([]);
    const bad =
      "import { loadModel } from '../app/models/registry';\nimport puppeteer from 'puppeteer';\nexport { loadModel, puppeteer };\n";
    expect(nodeBoundary(await eslint.lintText(bad, { filePath: 'src/node/bad.ts' }))).toEqual([
      "1 node entry boundary: imports '../app/models/registry' (src/app/models/registry), outside the engine and src/node",
      "2 node entry boundary: uses the package 'puppeteer' (the Node entry may use node: modules and webgpu only)",
    ]);
  });
});
