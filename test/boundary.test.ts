// The engine never imports the application: scripts/check-boundary.mjs (run first by `npm test`) passes on this
// repository and names the file, line and import of each violation in a tree that has some.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error scripts/check-boundary.mjs is plain JavaScript
import { findNodeEntryViolations, findViolations } from '../scripts/check-boundary.mjs';

const check = findViolations as (root: string) => string[];
const repo = fileURLToPath(new URL('..', import.meta.url));

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-boundary-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe('the engine boundary', () => {
  it('holds in this repository', () => {
    expect(check(repo)).toEqual([]);
  });

  it('names the file, line and import of each engine import that leaves the engine', () => {
    const root = tree({
      'src/engine/ops/good.ts':
        "import { Tensor } from '../tensor';\nimport wgsl from '../../../kernels/add.wgsl';\n// import { DAR } from '../../app/models/dar/index';\n",
      'src/engine/ops/bad.ts':
        "import { runtime } from '../engine';\n" +
        "import type { DAR } from '../../app/models/dar/index';\n" +
        "export * from '../../index';\n" +
        "const f = await import('node:fs');\n",
      'src/app/models/dar/index.ts': "import { Tensor } from '../../../engine/tensor';\n",
    });
    try {
      expect(check(root)).toEqual([
        "src/engine/ops/bad.ts:2 imports '../../app/models/dar/index' (src/app/models/dar/index), outside the engine",
        "src/engine/ops/bad.ts:3 imports '../../index' (src/index), outside the engine",
        "src/engine/ops/bad.ts:4 uses the package 'node:fs' (the engine has no dependencies)",
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the Node entry boundary (src/node/)', () => {
  const checkNode = findNodeEntryViolations as (root: string) => string[];
  it('holds in this repository', () => {
    expect(checkNode(repo)).toEqual([]);
  });

  it('allows the engine, node: modules and webgpu; names imports of the application or other packages', () => {
    const root = tree({
      'src/node/good.ts': "import { init } from '../engine/engine';\nimport fs from 'node:fs';\nconst d = await import('webgpu');\n",
      'src/node/bad.ts': "import { loadModel } from '../app/models/registry';\nimport puppeteer from 'puppeteer';\n",
    });
    try {
      expect(checkNode(root)).toEqual([
        "src/node/bad.ts:1 imports '../app/models/registry' (src/app/models/registry), outside the engine and src/node",
        "src/node/bad.ts:2 uses the package 'puppeteer' (the Node entry may use node: modules and webgpu only)",
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
