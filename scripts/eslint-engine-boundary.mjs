// ESLint rule `webgrad/engine-boundary`: the engine never imports the application. Every import in src/engine/ must
// resolve inside src/engine/ or to a WGSL kernel in kernels/, and the engine uses no package (it runs in any browser
// as it is). Type-only imports count (a type from the app is a dependency too), and so do `export … from` and
// dynamic `import()`. eslint.config.js turns it on for src/engine/**; test/boundary.test.ts checks that it catches a
// bad import.
//
// Why a local rule rather than no-restricted-imports: that rule matches the written specifier, not where it leads,
// so '../../app' and './../../app' would need a pattern each, per folder depth, and it ignores dynamic imports.

import path from 'node:path';

/** Folders (relative to the repository root) that engine files may import from. */
const ALLOWED_DIRS = ['src/engine', 'kernels'];

/** Why `spec`, imported by `file`, leaves the engine; null when it does not. */
export function boundaryViolation(root, file, spec) {
  if (!spec.startsWith('.')) return `uses the package '${spec}' (the engine has no dependencies)`;
  const target = path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
  const inside = ALLOWED_DIRS.some((d) => target === d || target.startsWith(d + '/'));
  return inside ? null : `imports '${spec}' (${target}), outside the engine`;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'src/engine imports only src/engine and kernels, and no package' },
    schema: [],
  },
  create(context) {
    const root = context.cwd;
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = boundaryViolation(root, context.filename, source.value);
      if (why) context.report({ node: source, message: `engine boundary: ${why}` });
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
