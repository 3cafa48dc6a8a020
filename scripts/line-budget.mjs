// The engine's line budget (as tinygrad keeps one): `npm test` fails when the engine grows past it, so growth is a
// decision (raise the number here, in the same commit, and say why) rather than drift.
//
// What counts: code lines (not blank, not only a comment; comments teach and are free) of
//   - the engine's TypeScript, src/engine/**/*.ts, without the float64 references (*.reference.ts: test oracles,
//     kept as plain as possible on purpose) and declaration files (*.d.ts);
//   - its kernels, kernels/**/*.wgsl (the shared includes in kernels/common/ too).
//
//   node scripts/line-budget.mjs   → one line per part and the total; exit 1 above a budget

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * About 3 % above what the engine needs (December 2026, formatted by Prettier at 120 columns, after issue 17's ops:
 * TypeScript 7,290, WGSL 3,983 code lines). History: 5,037 / 3,489 when the budget was set; Prettier's line breaking
 * added about 1,200 TypeScript lines; issue 17's ops (elementwise, reductions, shape, classification losses, any-axis
 * softmax/layerNorm, any-rank matmul, attention masks, causal, GQA) about 750 TypeScript and 500 WGSL lines.
 * Issue 14's GPU-profile rungs: GEMM (matmul 'shared' + split-K, conv1d 'gemm') +200 TypeScript, +350 WGSL; rows
 * (workgroup / subgroup rungs of softmax, layerNorm and the reductions, permute's tiled rung) +200 TypeScript, +300 WGSL;
 * attention's flash rung (forward, dq, dk/dv with workgroup-memory tiles) +160 WGSL; multi-tensor Adam and gradient
 * clipping, folded small sums +210 TypeScript. Issue 16's BERT (nn/bert.ts, its Hugging Face checkpoint loader) +400.
 * LSTM's 'gemm' rung (issue 14 part 2: the fused gate and gate-gradient kernels lstm{,_grad}_gemm.wgsl) +115 WGSL.
 */
// wgsl +100: issue 14's launch fusions (affine, affine_grad and the ACCUMULATE options of slice, concat, layernorm_grad_x
// and infonce_renorm; docs/decisions/optim.md).
// typescript +15: issue 16's per-parameter learning rates (the optimizers' lrScale: param groups for the tiny BERT).
// ts +100, wgsl +75: issue 14's third round of launch fusions (matmul_tiled's DBIAS and ACT, infonce_rows' MEAN).
// ts +135, wgsl +70: issue 14's fourth round (weightedSum, infoNCE over P problems, affine_grad's and gather_rows_grad's acc).
// ts +20, wgsl +100: issue 16's third round on npm start's time (affine's vec4 kernels, affine{,_grad}_vec4.wgsl;
// layernorm's and layernorm_grad_x's output loops four at a time).
export const BUDGETS = { typescript: 8780, wgsl: 5370 };

function files(dir, keep) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p, keep);
    return keep(e.name) ? [p] : [];
  });
}

/** Lines that are not blank and not only a comment (`//`, or inside / opening / closing a block comment). */
export function codeLines(text) {
  let inBlock = false;
  let n = 0;
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (inBlock) {
      const end = line.indexOf('*/');
      if (end < 0) continue;
      inBlock = false;
      line = line.slice(end + 2).trim();
    }
    if (line.startsWith('/*')) {
      const end = line.indexOf('*/', 2);
      if (end < 0) {
        inBlock = true;
        continue;
      }
      line = line.slice(end + 2).trim();
    }
    if (line && !line.startsWith('//')) n++;
  }
  return n;
}

/** The engine's code lines, by part. */
export function countEngine(root) {
  const count = (list) => list.reduce((sum, f) => sum + codeLines(fs.readFileSync(f, 'utf8')), 0);
  const ts = files(
    path.join(root, 'src/engine'),
    (n) => n.endsWith('.ts') && !n.endsWith('.reference.ts') && !n.endsWith('.d.ts'),
  );
  const wgsl = files(path.join(root, 'kernels'), (n) => n.endsWith('.wgsl'));
  return { typescript: count(ts), wgsl: count(wgsl) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const counts = countEngine(root);
  let over = false;
  for (const [part, n] of Object.entries(counts)) {
    const budget = BUDGETS[part];
    over ||= n > budget;
    console.log(`engine ${part}: ${n} code lines (budget ${budget})${n > budget ? '  OVER BUDGET' : ''}`);
  }
  console.log(`engine total: ${counts.typescript + counts.wgsl} code lines`);
  if (over) {
    console.error('line budget exceeded: shorten the code, or raise BUDGETS in scripts/line-budget.mjs and say why');
    process.exit(1);
  }
}
