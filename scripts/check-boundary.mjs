// The engine never imports the application: every import in src/engine/ must resolve inside src/engine/ or to a WGSL
// kernel in kernels/, and the engine uses no package (it runs in any browser as it is). `npm test` runs this first;
// test/boundary.test.ts checks that it catches a bad import.
//
//   node scripts/check-boundary.mjs [root]   → exit 1, one line per offending import, if any

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders (relative to the root) that engine files may import from. */
const ALLOWED_DIRS = ['src/engine', 'kernels'];

// `from '…'`, `import '…'` and `import('…')`, type-only imports included: a type from the app is a dependency too.
const IMPORT = /\b(?:from|import)\s*\(?\s*(['"])([^'"]+)\1/g;

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

// Comments are blanked (keeping line breaks) so an import quoted in a comment is not taken for a real one.
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
}

function violation(root, file, spec) {
  if (!spec.startsWith('.')) return `uses the package '${spec}' (the engine has no dependencies)`;
  const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
  const inside = ALLOWED_DIRS.some((d) => target === d || target.startsWith(d + '/'));
  return inside ? null : `imports '${spec}' (${target}), outside the engine`;
}

/** Every import in root/src/engine that leaves the engine, as "file:line message". */
export function findViolations(root) {
  const out = [];
  for (const file of sourceFiles(path.join(root, 'src/engine'))) {
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    for (const m of text.matchAll(IMPORT)) {
      const why = violation(root, file, m[2]);
      if (!why) continue;
      const line = text.slice(0, m.index).split('\n').length;
      out.push(`${path.relative(root, file).split(path.sep).join('/')}:${line} ${why}`);
    }
  }
  return out;
}

/**
 * The Node entry (src/node/, dist/node.js) is the engine plus Dawn: it may import src/node, src/engine, kernels,
 * Node's built-in modules and the `webgpu` package, never the application.
 */
export function findNodeEntryViolations(root) {
  const dir = path.join(root, 'src/node');
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const file of sourceFiles(dir)) {
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[2];
      let why = null;
      if (!spec.startsWith('.')) {
        if (!spec.startsWith('node:') && spec !== 'webgpu') why = `uses the package '${spec}' (the Node entry may use node: modules and webgpu only)`;
      } else {
        const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
        if (!['src/node', 'src/engine', 'kernels'].some((d) => target === d || target.startsWith(d + '/'))) why = `imports '${spec}' (${target}), outside the engine and src/node`;
      }
      if (why) out.push(`${path.relative(root, file).split(path.sep).join('/')}:${text.slice(0, m.index).split('\n').length} ${why}`);
    }
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
  const found = findViolations(root);
  for (const v of found) console.error(`engine boundary: ${v}`);
  const node = findNodeEntryViolations(root);
  for (const v of node) console.error(`node entry boundary: ${v}`);
  if (found.length || node.length) process.exit(1);
  console.log('engine boundary: src/engine imports only src/engine and kernels; src/node only the engine, node: modules and webgpu');
}
