// ESLint rules `webgrad/engine-boundary` and `webgrad/node-entry-boundary`. The engine never imports the application. Every import in src/engine/ must
// resolve inside src/engine/ or to a WGSL kernel in kernels/, and the engine uses no package (it runs in any browser
// as it is). Type-only imports count (a type from the app is a dependency too), and so do `export … from` and
// dynamic `import()`. The Node entry (src/node/: the engine plus Dawn) may import src/node, the engine, kernels, Node's
// built-in modules and the `webgpu` package, never the application. eslint.config.js turns them on for src/engine/**
// and src/node/**; test/boundary.test.ts checks that each catches a bad import.
//
// Why a local rule rather than no-restricted-imports: that rule matches the written specifier, not where it leads,
// so '../../app' and './../../app' would need a pattern each, per folder depth, and it ignores dynamic imports.

import path from 'node:path';

/** Where a relative import leads, relative to the repository root, with forward slashes. */
function targetOf(root, file, spec) {
  return path
    .relative(root, path.resolve(path.dirname(file), spec))
    .split(path.sep)
    .join('/');
}

const inside = (target, dirs) => dirs.some((d) => target === d || target.startsWith(d + '/'));

/** Why `spec`, imported by the engine file `file`, leaves the engine; null when it does not. */
export function boundaryViolation(root, file, spec) {
  if (!spec.startsWith('.')) return `uses the package '${spec}' (the engine has no dependencies)`;
  const target = targetOf(root, file, spec);
  return inside(target, ['src/engine', 'kernels']) ? null : `imports '${spec}' (${target}), outside the engine`;
}

/** Why `spec`, imported by the Node entry's file `file`, is not allowed there; null when it is. */
export function nodeEntryViolation(root, file, spec) {
  if (!spec.startsWith('.')) {
    return spec.startsWith('node:') || spec === 'webgpu'
      ? null
      : `uses the package '${spec}' (the Node entry may use node: modules and webgpu only)`;
  }
  const target = targetOf(root, file, spec);
  return inside(target, ['src/node', 'src/engine', 'kernels'])
    ? null
    : `imports '${spec}' (${target}), outside the engine and src/node`;
}

/** A rule reporting every import, export-from and dynamic import for which `violation` gives a reason. */
function importRule(description, label, violation) {
  return {
    meta: { type: 'problem', docs: { description }, schema: [] },
    create(context) {
      const root = context.cwd;
      const check = (source) => {
        if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
        const why = violation(root, context.filename, source.value);
        if (why) context.report({ node: source, message: `${label}: ${why}` });
      };
      return {
        ImportDeclaration: (node) => check(node.source),
        ExportNamedDeclaration: (node) => check(node.source),
        ExportAllDeclaration: (node) => check(node.source),
        ImportExpression: (node) => check(node.source),
        // `import x = require('…')` in TypeScript.
        TSExternalModuleReference: (node) => check(node.expression),
      };
    },
  };
}

export const engineBoundary = importRule(
  'src/engine imports only src/engine and kernels, and no package',
  'engine boundary',
  boundaryViolation,
);
export const nodeEntryBoundary = importRule(
  'src/node imports only src/node, the engine, kernels, node: modules and webgpu',
  'node entry boundary',
  nodeEntryViolation,
);

export default engineBoundary;
