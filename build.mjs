// Bundles webgrad with esbuild. WGSL kernels are inlined as strings (loader: text).
//
//   node build.mjs            → dist/webgrad.js (the engine, ESM for browsers), dist/webgrad-models.js (the models and
//                               their training) and dist/www/ (test + app pages)
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
  start: 'src/app/cli/start-page.ts',
  demo: 'src/app/demo/main.ts',
};

/** Pages that people load (not tests): minified, with the source map in a separate file so the page loads fast. */
const PAGE_OPTIONS = {
  demo: { minify: true, sourcemap: 'linked' },
};

/** Node programs (CLI drivers): bundled for node, dependencies left in node_modules. */
export const NODE_PROGRAMS = {
  start: 'src/app/cli/start.ts',
  'start-worker': 'src/app/cli/start-worker.ts', // --runtime node: the page program in a worker thread on Dawn
  compare: 'src/app/cli/compare.ts',
  demo: 'src/app/node/demo.ts',
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

/** The engine (the package entry) and, apart from it, the models and their training (the application's entry). */
export const LIBRARIES = {
  webgrad: 'src/index.ts',
  'webgrad-models': 'src/app/index.ts',
};

/**
 * The models' bundle imports the engine from ./webgrad.js instead of carrying a copy: one copy means one runtime, so
 * `init()` from webgrad.js serves the models too. Every engine name the application imports is exported by the
 * engine's entry (src/engine/index.ts).
 */
const engineExternal = {
  name: 'engine-external',
  setup(b) {
    const engine = path.join(root, 'src/engine') + path.sep;
    b.onResolve({ filter: /^\./ }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      return args.importer.startsWith(engine) || !target.startsWith(engine) ? undefined : { path: './webgrad.js', external: true };
    });
  },
};

export async function buildLibrary(outdir = path.join(root, 'dist'), libraries = LIBRARIES) {
  await Promise.all(
    Object.entries(libraries).map(([name, entry]) =>
      build({ ...common, entryPoints: [path.join(root, entry)], outfile: path.join(outdir, `${name}.js`), sourcemap: true,
        plugins: name === 'webgrad' ? [] : [engineExternal] }),
    ),
  );
}

// ---- Node entry (`<package>/node`): dist/node.js, the engine for Node through Dawn (src/node/). Like the models'
// bundle it imports the engine from ./webgrad.js (one copy, one runtime); Dawn (`webgpu`, an optional peer dependency)
// stays an import resolved at run time.
export const NODE_ENTRY = { node: 'src/node/index.ts' };

export async function buildNodeEntry(outdir = path.join(root, 'dist'), entries = NODE_ENTRY) {
  await Promise.all(
    Object.entries(entries).map(([name, entry]) =>
      build({ ...common, entryPoints: [path.join(root, entry)], outfile: path.join(outdir, `${name}.js`), platform: 'node',
        target: 'node20', external: ['webgpu'], sourcemap: true, plugins: [engineExternal] }),
    ),
  );
}
// ---- end of the Node entry

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
  await buildNodeEntry();
  await buildPages(path.join(root, 'dist/www'));
  await buildNodePrograms(path.join(root, 'dist'));
  console.log('built dist/webgrad.js, dist/webgrad-models.js, dist/node.js, dist/www/ and dist/*.mjs');
}
