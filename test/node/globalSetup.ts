// Once per Node test run (vitest.node.config.ts): a file for the kernels each test file dispatched, and at the end a
// check that every kernel family with a differentiable kernel had one of its kernels inside a gradient check in Node.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

/** Families whose kernels have no gradient (optimizer steps, clipping): gradient checks cannot reach them. */
const NO_GRADIENT_FAMILIES = new Set(['optim', 'common']);

export default function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-node-tests-'));
  const kernelLog = path.join(dir, 'kernels-dispatched.txt');
  fs.writeFileSync(kernelLog, '');
  project.provide('kernelLog', kernelLog);
  return () => {
    const grad = new Set(
      fs
        .readFileSync(kernelLog, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('grad '))
        .map((l) => l.slice(5)),
    );
    const families = kernelFamilies();
    const unchecked = [...families]
      .filter(([f, ks]) => !NO_GRADIENT_FAMILIES.has(f) && !ks.some((k) => grad.has(k)))
      .map(([f]) => f);
    fs.rmSync(dir, { recursive: true, force: true });
    const selection = process.argv.slice(2).filter((a) => !['run', '--config', 'vitest.node.config.ts'].includes(a));
    if (unchecked.length && selection.length === 0) {
      process.exitCode = 1;
      throw new Error(`kernel families without a gradient check under Node: ${unchecked.join(', ')}`);
    }
    console.log(
      `Node: ${families.size - NO_GRADIENT_FAMILIES.size - unchecked.length} kernel families gradient-checked on Dawn` +
        (unchecked.length ? ` (not in this selection: ${unchecked.join(', ')})` : ''),
    );
  };
}

/** kernels/<family>/<kernel>.wgsl → family → kernel names. */
function kernelFamilies(): Map<string, string[]> {
  const root = fileURLToPath(new URL('../../kernels/', import.meta.url));
  const out = new Map<string, string[]>();
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (e.isDirectory())
      out.set(
        e.name,
        fs
          .readdirSync(path.join(root, e.name))
          .filter((f) => f.endsWith('.wgsl'))
          .map((f) => f.slice(0, -5)),
      );
  }
  return out;
}
