// WGSL includes: a kernel line `//#include "common/erf.wgsl"` is replaced by that file, so helpers shared by several
// kernels live once under kernels/common/. The assembled source keeps, for each of its lines, the file and line it
// came from, so that a compile error names the included file and its own line rather than a line of the whole.

/** Where one line of an assembled kernel came from. */
export interface SourceLine {
  file: string;
  line: number;
}

/** A kernel's source with its includes expanded, and the origin of each line (index 0 = line 1). */
export interface Assembled {
  code: string;
  lines: SourceLine[];
}

const INCLUDE = /^\s*\/\/#include\s+"([^"]+)"\s*$/;

/**
 * Expands the `//#include "path"` lines of `code` (file name `file`) from `library` (path → source), recursively;
 * each file is included at most once. Throws an Error naming the file and line of an include it cannot resolve.
 */
export function assemble(file: string, code: string, library: Readonly<Record<string, string>>): Assembled {
  const out: Assembled = { code: '', lines: [] };
  const text: string[] = [];
  const seen = new Set<string>();
  const expand = (name: string, src: string) => {
    src.split('\n').forEach((line, i) => {
      const m = INCLUDE.exec(line);
      if (!m) {
        text.push(line);
        out.lines.push({ file: name, line: i + 1 });
        return;
      }
      const path = m[1];
      if (!(path in library))
        throw new Error(`${name}:${i + 1}: no WGSL include "${path}" (kernels/common, src/engine/kernels-common.ts)`);
      if (seen.has(path)) return;
      seen.add(path);
      expand(path, library[path].replace(/\n$/, ''));
    });
  };
  expand(file, code);
  out.code = text.join('\n');
  return out;
}

/** `file:line` of line `n` (1-based) of an assembled kernel. */
export function sourceOf(a: Assembled, n: number): string {
  const at = a.lines[n - 1];
  return at ? `${at.file}:${at.line}` : `${a.lines[0]?.file ?? '?'}:${n}`;
}
