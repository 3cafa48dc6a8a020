// DERL: config, model and building blocks (the grouped layers are DAR's, exported from models/dar).
export * from './config';
export { DERL, createDerl, FUSION_EXPERTS, type DerlExpertUsage, type ModalityUsage } from './model';
export {
  InputDecoder,
  ImportanceScorer,
  routerGates,
  switchBalance,
  softOrthogonality,
  centralMomentDiscrepancy,
} from './blocks';
export { topkSoftmax } from '../../../engine/ops/topk';
