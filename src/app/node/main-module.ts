// Whether a bundled Node entry point (dist/start.mjs, dist/compare.mjs, dist/demo.mjs) is the program being run, rather
// than a module imported by a test: only then does it parse process.argv and exit.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when the module at `metaUrl` (its import.meta.url) is the script node was started with. */
export function isMainModule(metaUrl: string): boolean {
  try {
    return !!process.argv[1] && fileURLToPath(metaUrl) === path.resolve(process.argv[1]);
  } catch {
    return false;
  }
}
