// Bundles webgrad with esbuild. WGSL kernels are inlined as strings (loader: text).
//
//   node build.mjs            → dist/webgrad.js (the library, ESM for browsers) and dist/www/ (test + app pages)
//   import { buildPages } ... → the same, into a directory of the caller's choosing (tests build into a temp dir so
//                               concurrent runs never overwrite each other's bundle)

import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const common = { bundle: true, format: 'esm', target: 'chrome120', loader: { '.wgsl': 'text' }, logLevel: 'warning' };

/** Page entry points: each becomes <name>.js with an index page <name>.html that loads it. */
export const PAGES = {
  test: 'test/page/entry.ts',
  start: 'src/cli/start-page.ts',
  demo: 'src/demo/main.ts',
};

/** Pages that people load (not tests): minified, with the source map in a separate file so the page loads fast. */
const PAGE_OPTIONS = {
  demo: { minify: true, sourcemap: 'linked' },
};

/** Node programs (CLI drivers): bundled for node, dependencies left in node_modules. */
export const NODE_PROGRAMS = {
  start: 'src/cli/start.ts',
  compare: 'src/cli/compare.ts',
  demo: 'src/node/demo.ts',
};

export async function buildPages(outdir, pages = PAGES) {
  fs.mkdirSync(outdir, { recursive: true });
  await Promise.all(
    Object.entries(pages).map(async ([name, entry]) => {
      await build({ ...common, entryPoints: [path.join(root, entry)], outfile: path.join(outdir, `${name}.js`), sourcemap: 'inline', ...PAGE_OPTIONS[name] });
      fs.writeFileSync(
        path.join(outdir, `${name}.html`),
        `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>webgrad ${name}</title>` +
          `<script type="module" src="./${name}.js"></script>\n`,
      );
    }),
  );
}

export async function buildLibrary(outfile = path.join(root, 'dist/webgrad.js')) {
  await build({ ...common, entryPoints: [path.join(root, 'src/index.ts')], outfile, sourcemap: true });
}

export async function buildNodePrograms(outdir, programs = NODE_PROGRAMS) {
  await Promise.all(
    Object.entries(programs).map(([name, entry]) =>
      build({ ...common, entryPoints: [path.join(root, entry)], outfile: path.join(outdir, `${name}.mjs`), platform: 'node',
        target: 'node20', packages: 'external', sourcemap: 'inline' }),
    ),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await buildLibrary();
  await buildPages(path.join(root, 'dist/www'));
  await buildNodePrograms(path.join(root, 'dist'));
  console.log('built dist/webgrad.js, dist/www/ and dist/*.mjs');
}
