// The engine and the application in one namespace, for the drivers and the test and bench pages that reach both
// through one `wg` (the package entry, src/index.ts, is the engine alone).

export * from '../engine/index';
export * from './index';
