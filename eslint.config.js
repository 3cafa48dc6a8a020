// Lint rules (`npm run lint`, run first by `npm test`): ESLint's and typescript-eslint's recommended sets without type
// information (fast enough for every test run), a few of them relaxed where this code base has a reason, and the
// engine boundary: src/engine never imports the application or a package, and src/node (the engine plus Dawn) imports
// only the engine, node: modules and webgpu (scripts/eslint-engine-boundary.mjs).

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { engineBoundary, nodeEntryBoundary } from './scripts/eslint-engine-boundary.mjs';

export default defineConfig(
  { ignores: ['dist/**', 'runs/**', 'test/artifacts/**', 'node_modules/**', 'docs/api/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // Test pages, peers' APIs and JSON read from disk are typed loosely on purpose; `any` there is a choice.
      '@typescript-eslint/no-explicit-any': 'off',
      // `_name` marks a parameter a signature needs but the body does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    plugins: { webgrad: { rules: { 'engine-boundary': engineBoundary, 'node-entry-boundary': nodeEntryBoundary } } },
  },
  { files: ['src/engine/**/*.{ts,mts,js,mjs}'], rules: { 'webgrad/engine-boundary': 'error' } },
  { files: ['src/node/**/*.{ts,mts,js,mjs}'], rules: { 'webgrad/node-entry-boundary': 'error' } },
);
