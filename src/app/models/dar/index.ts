// DAR: config, model and building blocks.
export * from './config';
export * from './model';
export { Alignment, perModality, clubUpperBoundFixed, MODALITIES, INPUT_FIELD, type Modality } from './blocks';
// Its grouped layers are the engine's (src/engine/nn/grouped.ts), exported by the engine's entry.
