// WGSL includes (src/engine/include.ts): expanded in place, once each, with every line of the result traced to its file and
// line (so a compile error names the included file). Pure TypeScript: runs in Node.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble, sourceOf } from '../src/engine/include';

const LIB = {
  'common/a.wgsl': 'fn a() -> f32 {\n  return 1.0;\n}\n',
  'common/b.wgsl': '//#include "common/a.wgsl"\nfn b() -> f32 { return a(); }\n',
};

describe('WGSL includes', () => {
  it('expands includes in place and maps each line back to its file and line', () => {
    const src = 'struct Params { n: u32 }\n//#include "common/a.wgsl"\nfn main() {}\n';
    const a = assemble('k.wgsl', src, LIB);
    expect(a.code).toBe('struct Params { n: u32 }\nfn a() -> f32 {\n  return 1.0;\n}\nfn main() {}\n');
    expect(sourceOf(a, 1)).toBe('k.wgsl:1');
    expect(sourceOf(a, 3)).toBe('common/a.wgsl:2');
    expect(sourceOf(a, 5)).toBe('k.wgsl:3');
  });

  it('includes a file once, also through another include', () => {
    const a = assemble('k.wgsl', '//#include "common/a.wgsl"\n//#include "common/b.wgsl"\n', LIB);
    expect(a.code.match(/fn a\(\)/g)).toHaveLength(1);
    expect(sourceOf(a, 4)).toBe('common/b.wgsl:2');
  });

  it('names the file and line of an include it cannot find', () => {
    expect(() => assemble('k.wgsl', 'fn x() {}\n//#include "common/nope.wgsl"\n', LIB)).toThrow(
      /^k\.wgsl:2: no WGSL include "common\/nope\.wgsl"/,
    );
  });

  it('every include a kernel names exists under kernels/', () => {
    // Include paths are relative to kernels/ itself ("common/x.wgsl"), whichever family folder the kernel sits in.
    const dir = new URL('../kernels/', import.meta.url);
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.wgsl'));
    for (const f of files) {
      for (const [, path] of fs.readFileSync(new URL(f, dir), 'utf8').matchAll(/^\s*\/\/#include\s+"([^"]+)"/gm)) {
        expect(fs.existsSync(new URL(path, dir)), `${f} includes ${path}`).toBe(true);
      }
    }
  });
});
