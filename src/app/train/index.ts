// Training and robustness evaluation of sentiment models on WebGPU (page-side; no Node APIs).

export { lazyInputs, lazyTrainingBatch } from './batches';
export {
  trainModel,
  validate,
  checkpointMeta,
  TrainingDiverged,
  CHECKPOINT_META_FORMAT,
  type TrainOptions,
  type TrainHooks,
  type TrainProgress,
  type EpochSummary,
  type CheckpointInfo,
  type StepContext,
  type TrainResult,
  type TrainCheckpointMeta,
} from './trainer';
export { restoreCheckpoint, type RestoredModel } from './restore';
export {
  evaluateRobustness,
  evaluateModalityDrop,
  constantPredictorMetrics,
  modalitySetLabel,
  MODALITY_DROPS,
  type RateResult,
  type EvaluateOptions,
  type EvalProbes,
  type ModalitySet,
  type ModalityDropResult,
} from './evaluate';
export { pretrainBertMlm, type MlmOptions } from './pretrain-bert';
