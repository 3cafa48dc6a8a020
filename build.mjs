// Bundles webgrad with esbuild. WGSL kernels are inlined as strings (loader: text).
//
//   node build.mjs            → dist/webgrad.js (the engine, ESM for browsers), dist/webgrad-models.js (the models and
//                               their training), dist/www/ (test + app pages) and dist/*.mjs (the CLI and its programs)
//   node build.mjs --package  → the same plus dist/types/ (the .d.ts of every entry in package.json's exports); what
//                               `npm pack` runs first (prepack)
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
  start: { minify: true, sourcemap: 'linked' },
  bench: { minify: true, sourcemap: 'linked' },
  dar: { minify: true, sourcemap: 'linked' },
};

/**
 * Node programs: the CLI (`webgrad-gpu train|demo|bench|compare`, bin of the package) and the programs it runs. Each
 * is bundled whole except the packages in NODE_EXTERNALS, which are the package's runtime dependencies, so an install
 * runs them without our dev dependencies.
 */
export const NODE_PROGRAMS = {
  start: 'src/app/cli/start.ts',
  'start-worker': 'src/app/cli/start-worker.ts', // --runtime node: the page program in a worker thread on Dawn
  compare: 'src/app/cli/compare.ts',
  demo: 'src/app/node/demo.ts',
  cli: 'src/app/cli/package-cli.ts',
  bench: 'bench/installed.ts',
};
const NODE_EXTERNALS = ['puppeteer-core', '@puppeteer/browsers', 'webgpu'];

/**
 * The benchmark's pages as an install ships them: webgrad only. The peers (tfjs, onnxruntime-web, jax-js; dev
 * dependencies, megabytes) are replaced by empty modules; the installed CLI refuses `--peers` (bench/installed.ts).
 */
export const INSTALLED_BENCH_PAGES = { bench: 'bench/page.ts', dar: 'bench/dar-page.ts' };
const withoutPeers = {
  name: 'without-peers',
  setup(b) {
    b.onResolve(
      { filter: /^(@tensorflow\/tfjs|@tensorflow\/tfjs-backend-webgpu|@jax-js\/jax|onnx-proto|onnxruntime-web.*)$/ },
      (args) => ({ path: args.path, namespace: 'no-peer' }),
    );
    // Any property of the stand-in (at any depth) is the stand-in, so the adapters' module-level constants evaluate;
    // calling it throws. CommonJS, so that esbuild does not check the names the adapters import.
    b.onLoad({ filter: /.*/, namespace: 'no-peer' }, (args) => ({
      loader: 'js',
      contents: `const why = ${JSON.stringify(`${args.path} is not part of the installed package; the benchmark's peers need a clone`)};
        const peer = new Proxy(function () {}, {
          get: (t, k) => (k === Symbol.toPrimitive ? () => '' : k === '__esModule' ? false : peer),
          getPrototypeOf: () => peer,
          apply() { throw new Error(why); },
          construct() { throw new Error(why); },
        });
        module.exports = peer;`,
    }));
  },
};

export async function buildPages(outdir, pages = PAGES, plugins = []) {
  fs.mkdirSync(outdir, { recursive: true });
  await Promise.all(
    Object.entries(pages).map(async ([name, entry]) => {
      await build({
        ...common,
        entryPoints: [path.join(root, entry)],
        outfile: path.join(outdir, `${name}.js`),
        sourcemap: 'inline',
        plugins,
        ...PAGE_OPTIONS[name],
      });
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
      return args.importer.startsWith(engine) || !target.startsWith(engine)
        ? undefined
        : { path: './webgrad.js', external: true };
    });
  },
};

export async function buildLibrary(outdir = path.join(root, 'dist'), libraries = LIBRARIES) {
  const results = await Promise.all(
    Object.entries(libraries).map(([name, entry]) =>
      build({
        ...common,
        entryPoints: [path.join(root, entry)],
        outfile: path.join(outdir, `${name}.js`),
        sourcemap: true,
        metafile: true,
        plugins: name === 'webgrad' ? [] : [engineExternal],
      }),
    ),
  );
  const names = Object.keys(libraries);
  const engine = results[names.indexOf('webgrad')];
  if (engine)
    checkEngineImports(
      outdir,
      names.filter((n) => n !== 'webgrad'),
      Object.values(engine.metafile.outputs).flatMap((o) => o.exports),
    );
}

/**
 * esbuild does not check names imported from an external file, so an engine name the application imports but the
 * engine's entry does not export would only fail in the user's bundler. Checked here instead.
 */
function checkEngineImports(outdir, bundles, engineExports) {
  const exported = new Set(engineExports);
  for (const name of bundles) {
    const text = fs.readFileSync(path.join(outdir, `${name}.js`), 'utf8');
    const imported = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\/webgrad\.js"/g)].flatMap((m) =>
      m[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]),
    );
    const missing = [...new Set(imported.filter((n) => n && !exported.has(n)))];
    if (missing.length)
      throw new Error(
        `dist/${name}.js imports ${missing.join(', ')} from the engine, which src/engine/index.ts does not export`,
      );
  }
}

// ---- Node entry (`<package>/node`): dist/node.js, the engine for Node through Dawn (src/node/). Like the models'
// bundle it imports the engine from ./webgrad.js (one copy, one runtime); Dawn (`webgpu`, an optional peer dependency)
// stays an import resolved at run time.
export const NODE_ENTRY = { node: 'src/node/index.ts' };

export async function buildNodeEntry(outdir = path.join(root, 'dist'), entries = NODE_ENTRY) {
  await Promise.all(
    Object.entries(entries).map(([name, entry]) =>
      build({
        ...common,
        entryPoints: [path.join(root, entry)],
        outfile: path.join(outdir, `${name}.js`),
        platform: 'node',
        target: 'node20',
        external: ['webgpu'],
        sourcemap: true,
        plugins: [engineExternal],
      }),
    ),
  );
}
// ---- end of the Node entry

/**
 * The programs carry their source map inline for stack traces in a clone (`node --enable-source-maps`); the package
 * ships them without (`--package`): an inline map triples a bundle that users run but do not debug.
 */
export async function buildNodePrograms(outdir, programs = NODE_PROGRAMS, { sourcemap = 'inline' } = {}) {
  await Promise.all(
    Object.entries(programs).map(([name, entry]) =>
      build({
        ...common,
        entryPoints: [path.join(root, entry)],
        outfile: path.join(outdir, `${name}.mjs`),
        platform: 'node',
        target: 'node20',
        external: NODE_EXTERNALS,
        sourcemap,
        ...(name === 'cli' ? { banner: { js: '#!/usr/bin/env node' } } : {}),
      }),
    ),
  );
}

/**
 * The declarations of every entry of package.json's exports (types ./dist/types/X.d.ts come from src/X.ts), emitted
 * by TypeScript. The .wgsl imports stay inside the JavaScript bundles: no declaration mentions them.
 */
export async function buildTypes(outdir = path.join(root, 'dist/types')) {
  const ts = (await import('typescript')).default;
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const entries = Object.values(pkg.exports)
    .map((e) => (typeof e === 'object' ? e.types : undefined))
    .filter(Boolean)
    .map((t) => path.join(root, t.replace(/^\.\/dist\/types\//, 'src/').replace(/\.d\.ts$/, '.ts')));
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  const options = {
    ...config.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    outDir: outdir,
    rootDir: path.join(root, 'src'),
  };
  fs.rmSync(outdir, { recursive: true, force: true });
  const program = ts.createProgram([...entries, path.join(root, 'src/engine/wgsl.d.ts')], options);
  const result = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (errors.length) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' };
    throw new Error(`declarations:\n${ts.formatDiagnostics(errors, host)}`);
  }
  for (const f of declarationFiles(outdir)) fs.writeFileSync(f, withJsExtensions(f, fs.readFileSync(f, 'utf8')));
}

function declarationFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? declarationFiles(path.join(dir, e.name))
        : e.name.endsWith('.d.ts')
          ? [path.join(dir, e.name)]
          : [],
    );
}

/**
 * Our sources import `./x` without an extension (Bundler resolution); a consumer on Node16/NodeNext resolution needs
 * `./x.js` or `./x/index.js` in an ESM package, so the declarations spell them out.
 */
function withJsExtensions(file, text) {
  return text.replace(/(from\s+|import\(\s*)(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g, (m, lead, q, spec) => {
    const base = path.resolve(path.dirname(file), spec);
    if (fs.existsSync(`${base}.d.ts`)) return `${lead}${q}${spec}.js${q}`;
    if (fs.existsSync(path.join(base, 'index.d.ts'))) return `${lead}${q}${spec}/index.js${q}`;
    throw new Error(`${file}: cannot resolve ${spec}`);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await buildLibrary();
  await buildNodeEntry();
  await buildPages(path.join(root, 'dist/www'));
  await buildPages(path.join(root, 'dist/www'), INSTALLED_BENCH_PAGES, [withoutPeers]);
  await buildNodePrograms(path.join(root, 'dist'), NODE_PROGRAMS, {
    sourcemap: process.argv.includes('--package') ? false : 'inline',
  });
  if (process.argv.includes('--package')) await buildTypes();
  console.log(
    `built dist/webgrad.js, dist/webgrad-models.js, dist/node.js, dist/www/, dist/*.mjs${process.argv.includes('--package') ? ' and dist/types/' : ''}`,
  );
}
