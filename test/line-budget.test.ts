// The engine's line budget (scripts/line-budget.mjs, run by `npm test` before vitest): it counts code lines only, so
// comments stay free, and the engine is within budget today.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error scripts/line-budget.mjs is plain JavaScript
import { BUDGETS, codeLines, countEngine } from '../scripts/line-budget.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));

describe('the engine line budget', () => {
  it('counts code lines, not blank lines or comments', () => {
    const text = [
      '// a comment',
      '',
      'const a = 1; // trailing',
      '/* block',
      ' * still',
      ' */',
      '/** one line */ let b;',
      '  ',
      'fn main() {}',
    ];
    expect(codeLines(text.join('\n'))).toBe(3);
  });

  it('holds for the engine as it is', () => {
    const counts = countEngine(repo) as Record<string, number>;
    expect(counts.typescript).toBeGreaterThan(1000); // the engine's files were found
    expect(counts.wgsl).toBeGreaterThan(1000);
    for (const part of Object.keys(BUDGETS)) expect(counts[part], part).toBeLessThanOrEqual(BUDGETS[part]);
  });
});
