// The operator table, docs/operators.md, written from the code so that it cannot go stale: test/op-table.test.ts fails
// when the file differs from what this script writes.
//
// A public op is a function the engine's entry (src/engine/index.ts) exports that returns tensors (a Tensor, an array
// of them, or an object holding them, like lstm()'s result). Everything else in a row is read from the code with the
// TypeScript compiler:
//   - kernels: every `kernel('name', …)` declaration the op reaches, following the functions and constants it uses
//     through the engine's files (so a backward written with other ops lists their kernels too), forward from the
//     op's body and backward from its backward closures (isBackward);
//   - rungs: the string values of the `kernel` field of an options parameter (MatmulKernel, AttentionKernel, …);
//   - what it accepts: the signature, and the message of every check() the op's own file runs for it (the typed
//     errors of bad input: ranks, axes, shapes, options);
//   - what it does: the first paragraph of its doc comment. An op without one fails the script: describe it.
//
//   node scripts/op-table.mjs          → writes docs/operators.md (`npm run op-table`)
//   node scripts/op-table.mjs --check  → exit 1 if docs/operators.md is stale

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Exported functions that return a tensor without being ops, and why. A new one needs a line here or a row. */
export const NOT_OPS = {
  record: 'the tape helper every op calls: it returns the tensor it is given',
  keepTensor: "attention's mask helper: the validated masks as the keep tensor the kernels read",
  withLeadingKeys: "attention's mask helper: the masks widened for keys prepended to the sequence",
  checkAttnMask: "attention's mask helper: the validated attn mask (shape and kind), passed through",
  biasTensor: "attention's mask helper: the attn mask as the additive bias the kernels read",
  packMasks: "attention's mask helper: the keep mask and the bias in the one buffer the kernels bind",
  recordActivation: "matmul's helper: records relu/gelu of its product, already computed in the product's launch",
};

export const OUT = 'docs/operators.md';

/** The entry's exported symbols, aliases resolved, with the program's type checker. */
function entryExports(root) {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const entry = path.join(root, 'src/engine/index.ts');
  const wgsl = path.join(root, 'src/engine/wgsl.d.ts'); // the type of `import src from '….wgsl'`
  const program = ts.createProgram(fs.existsSync(wgsl) ? [entry, wgsl] : [entry], parsed.options);
  const checker = program.getTypeChecker();
  const symbols = checker
    .getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)))
    .map((s) => ({ name: s.name, symbol: s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s }));
  return { checker, symbols };
}

/** Whether values of this type are, or hold, tensors (the Tensor class of src/engine/tensor.ts). */
function holdsTensor(checker, type, depth = 0) {
  if (depth > 2) return false;
  const t = checker.getNonNullableType(type);
  if (t.isUnion()) return t.types.some((u) => holdsTensor(checker, u, depth));
  const sym = t.getSymbol();
  if (
    sym?.name === 'Tensor' &&
    sym.declarations?.some((d) => d.getSourceFile().fileName.endsWith('src/engine/tensor.ts'))
  )
    return true;
  if (checker.isArrayType(t) || checker.isTupleType(t))
    return checker.getTypeArguments(t).some((a) => holdsTensor(checker, a, depth + 1));
  if (sym?.name === 'Promise' || t.getCallSignatures().length) return false;
  if (t.flags & ts.TypeFlags.Object && sym && !sym.declarations?.some((d) => ts.isClassDeclaration(d))) {
    return t
      .getProperties()
      .some((p) => p.valueDeclaration && holdsTensor(checker, checker.getTypeOfSymbol(p), depth + 1));
  }
  return false;
}

const inEngine = (node) => {
  const f = node.getSourceFile().fileName;
  return f.includes('/src/engine/') && !f.endsWith('.reference.ts') && !f.endsWith('.d.ts');
};

/** check()'s message argument as text: a template's ${…} parts become '…'. */
function messageText(arg) {
  if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return arg.text;
  if (ts.isTemplateExpression(arg)) return arg.head.text + arg.templateSpans.map((s) => `…${s.literal.text}`).join('');
  return null;
}

/**
 * Whether a function is a backward closure: the last argument of record(), or a function taking the upstream
 * gradient `gy` (what every op's backward calls it, also when a helper passes the closure on to record()).
 */
function isBackward(node) {
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return false;
  const call = node.parent;
  if (
    ts.isCallExpression(call) &&
    ts.isIdentifier(call.expression) &&
    call.expression.text === 'record' &&
    call.arguments.at(-1) === node
  )
    return true;
  return node.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === 'gy');
}

/** The kernels an op reaches forward and in its backward closures, and the check() messages of its own file. */
function reach(checker, decl) {
  const kernels = { forward: new Set(), backward: new Set() };
  const checks = new Set();
  const ownFile = decl.getSourceFile();
  const seen = new Map(); // declaration → the `${pass} ${property or *}` it was followed for
  const once = (d, key) => {
    const keys = seen.get(d) ?? new Set();
    seen.set(d, keys);
    if (keys.has(key) || keys.has(key.replace(/ .*/, ' *'))) return false;
    keys.add(key);
    return true;
  };
  // Follows a name to the engine function or constant it names; `prop` is the property read from it (`K.fwd`), so
  // of a constant object of kernels only that one counts, also through `const K = tiled ? TILED : NAIVE`.
  const follow = (ident, pass, prop) => {
    let sym = checker.getSymbolAtLocation(ident);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    for (const d of sym?.declarations ?? []) {
      if (
        !(ts.isFunctionDeclaration(d) || ts.isVariableDeclaration(d)) ||
        !inEngine(d) ||
        !once(d, `${pass} ${prop ?? '*'}`)
      )
        continue;
      if (ts.isFunctionDeclaration(d)) visit(d, pass);
      else if (d.initializer) value(d.initializer, pass, prop);
    }
  };
  const value = (expr, pass, prop) => {
    if (ts.isParenthesizedExpression(expr)) return value(expr.expression, pass, prop);
    if (ts.isIdentifier(expr)) return follow(expr, pass, prop);
    if (ts.isConditionalExpression(expr)) {
      visit(expr.condition, pass);
      value(expr.whenTrue, pass, prop);
      return value(expr.whenFalse, pass, prop);
    }
    const picked =
      ts.isObjectLiteralExpression(expr) &&
      expr.properties.find((p) => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === prop);
    visit(picked ? picked.initializer : expr, pass);
  };
  const isSelection = (e) =>
    ts.isIdentifier(e) || (ts.isConditionalExpression(e) && isSelection(e.whenTrue) && isSelection(e.whenFalse));
  const visit = (node, pass) => {
    // `const K = tiled ? TILED : NAIVE` only picks a value: what it picks counts where K is read (follow).
    if (ts.isVariableDeclaration(node) && node.initializer && isSelection(node.initializer)) return;
    if (isBackward(node)) pass = 'backward';
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
      const [first, , third] = node.arguments;
      if (node.expression.text === 'kernel' && first && ts.isStringLiteral(first)) kernels[pass].add(first.text);
      if (node.expression.text === 'check' && third && node.getSourceFile() === ownFile) {
        const text = messageText(third);
        if (text) checks.add(text);
      }
    }
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) {
      const read =
        ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node
          ? node.parent.name.text
          : undefined;
      follow(node, pass, read);
    }
    ts.forEachChild(node, (child) => visit(child, pass));
  };
  once(decl, 'forward *');
  visit(decl, 'forward');
  return { forward: [...kernels.forward].sort(), backward: [...kernels.backward].sort(), checks: [...checks] };
}

/** The values of the `kernel` option among an op's parameters, in the order the type lists them. */
function rungsOf(checker, signature) {
  for (const p of signature.getParameters()) {
    const type = checker.getNonNullableType(checker.getTypeOfSymbol(p));
    const prop = type.getProperty?.('kernel');
    if (!prop) continue;
    const kt = checker.getNonNullableType(checker.getTypeOfSymbol(prop));
    const values = (kt.isUnion() ? kt.types : [kt]).filter((t) => t.isStringLiteral()).map((t) => t.value);
    if (values.length) return values;
  }
  return [];
}

/** Every public op, in the entry's order. Throws for an op with no doc comment. */
export function collectOps(root) {
  const { checker, symbols } = entryExports(root);
  const ops = [];
  const undescribed = [];
  for (const { name, symbol } of symbols) {
    const decl = symbol.valueDeclaration;
    if (!decl || !(ts.isFunctionDeclaration(decl) || ts.isVariableDeclaration(decl)) || name in NOT_OPS) continue;
    const signatures = checker.getTypeOfSymbol(symbol).getCallSignatures();
    if (!signatures.length || !signatures.some((s) => holdsTensor(checker, s.getReturnType()))) continue;
    const doc = ts
      .displayPartsToString(symbol.getDocumentationComment(checker))
      .split(/\n\s*\n/)[0]
      .replace(/\s+/g, ' ')
      .trim();
    if (!doc) undescribed.push(`${name} (${path.relative(root, decl.getSourceFile().fileName)})`);
    const { forward, backward, checks } = reach(checker, decl);
    ops.push({
      name,
      file: path.relative(root, decl.getSourceFile().fileName).split(path.sep).join('/'),
      signatures: signatures.map(
        (s) => `${name}${checker.signatureToString(s, undefined, ts.TypeFormatFlags.NoTruncation)}`,
      ),
      doc,
      forward,
      backward,
      rungs: rungsOf(checker, signatures[0]),
      checks,
    });
  }
  if (undescribed.length) {
    throw new Error(
      `scripts/op-table.mjs: these public ops have no doc comment; describe each in a /** … */ above it:\n  ${undescribed.join('\n  ')}`,
    );
  }
  return ops;
}

const code = (list) => (list.length ? list.map((k) => `\`${k}\``).join(', ') : '—');
const cell = (s) => s.replace(/\|/g, '\\|');

/** docs/operators.md as the code describes it today. */
export function renderOpTable(root) {
  const ops = collectOps(root);
  const lines = [
    '# Operators',
    '',
    '<!-- Written by scripts/op-table.mjs from the code: do not edit by hand; run `npm run op-table` after changing an op. -->',
    '',
    `The engine's entry (\`src/engine/index.ts\`) exports **${ops.length} public ops**: the functions that return tensors.`,
    'Every tensor holds float32 (integer inputs such as row indices are float32 values too). For each op:',
    '',
    '- **kernels**: the WGSL kernels (`kernels/<family>/<name>.wgsl`) its code can dispatch, in the forward pass and in',
    '  its backward (a backward written with other ops lists their kernels; a helper shared by both passes lists its',
    '  kernels in both; which ones run depends on the shapes and options: the `_vec4` variants, the rungs);',
    '- **rungs**: the values of its `kernel` option, the implementations of the same maths it can choose among;',
    '- **accepts**: its signature, and below it every check its file makes (each failure is a `WebgradError` naming',
    '  the op and the shapes; `…` stands for a value filled in at run time).',
    '',
    '| op | file | forward kernels | backward kernels | rungs |',
    '| --- | --- | --- | --- | --- |',
    ...ops.map(
      (o) =>
        `| [\`${o.name}\`](#${o.name.toLowerCase()}) | \`${o.file}\` | ${code(o.forward)} | ${code(o.backward)} | ${code(o.rungs)} |`,
    ),
    '',
  ];
  for (const o of ops) {
    lines.push(`## ${o.name}`, '', o.doc, '', '```ts', ...o.signatures, '```', '');
    if (o.checks.length)
      lines.push(
        'Its checks (the messages of the `WebgradError`s it throws):',
        '',
        ...o.checks.map((c) => `- ${cell(c)}`),
        '',
      );
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const text = renderOpTable(root);
  const file = path.join(root, OUT);
  if (process.argv.includes('--check')) {
    const same = fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text;
    console.log(same ? `${OUT} is up to date` : `${OUT} is stale: run \`npm run op-table\` and commit it`);
    process.exit(same ? 0 : 1);
  }
  fs.writeFileSync(file, text);
  console.log(`wrote ${OUT}`);
}
