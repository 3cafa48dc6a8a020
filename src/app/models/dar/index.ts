// DAR: config, model and building blocks.
export * from './config';
export * from './model';
export {
  Alignment, GroupedAttention, GroupedAttentionLayer, GroupedCrossEncoder, GroupedLayerNorm, GroupedLinear, GroupedMLP,
  GroupedTransformer, MLP, ModuleDict, perModality, clubUpperBoundFixed, MODALITIES, INPUT_FIELD, type Modality,
  type GroupedBlockOptions,
} from './blocks';
