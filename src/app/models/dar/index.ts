// DAR: config, model and building blocks.
export * from './config';
export * from './model';
// The grouped layers it is built from are the engine's (src/engine/nn/grouped.ts, exported by the engine's entry).
export { Alignment, perModality, clubUpperBoundFixed, MODALITIES, INPUT_FIELD, type Modality } from './blocks';
