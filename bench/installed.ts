// `webgrad-gpu bench` from an installed package (dist/bench.mjs): the benchmark of bench/main.ts on webgrad alone.
// An install has neither the peers (tfjs, onnxruntime-web, jax-js are dev dependencies; build.mjs leaves them out of
// the installed pages) nor the PyTorch script nor the repository's bench/results/, so it runs with --peers none and
// --no-torch and saves nothing; a clone's `npm run bench` does all three.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './main';

/** Options that need a clone of the repository, and why. */
const CLONE_ONLY: Record<string, string> = {
  '--peers': 'the peers (tfjs, onnxruntime-web, jax-js) are not part of the package',
  '--save': 'results are saved into the repository (bench/results/)',
  '--report': 'results are saved into the repository (bench/results/)',
};

/** The arguments the benchmark gets from an install, or the reason it refuses them. */
export function installedBenchArgs(argv: readonly string[]): { args: string[] } | { error: string } {
  for (const [i, a] of argv.entries()) {
    const [name, inline] = a.split('=', 2) as [string, string | undefined];
    const why = CLONE_ONLY[name];
    const value = inline ?? argv[i + 1];
    if (why && !(name === '--peers' && value === 'none')) {
      return { error: `${name} needs a clone of the repository (npm run bench there): ${why}` };
    }
  }
  return { args: ['--peers', 'none', '--no-torch', '--no-save', ...argv] };
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const r = installedBenchArgs(process.argv.slice(2));
  if ('error' in r) {
    console.error(`error: ${r.error}`);
    process.exit(2);
  }
  main(path.join(here, 'www'), r.args, path.dirname(here)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
