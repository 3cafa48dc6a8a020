// The contract between sentiment models (DAR, DERL, the late-fusion baseline) and the trainer/evaluator.

import type { Module } from '../../engine/nn/module';
import type { Tensor } from '../../engine/tensor';
import type { DatasetDims } from '../data/types';
import type { Optimizer } from '../../engine/optim/optimizer';

/** One batch of one view of the three modalities, as GPU tensors. */
export interface ModalityInputs {
  text: Tensor; //   (B, T_l, d_l)   MOSI: (B, 50, 768)
  audio: Tensor; //  (B, T_a, d_a)   MOSI: (B, 375, 5)
  vision: Tensor; // (B, T_v, d_v)   MOSI: (B, 500, 20)
  /** 1 where a text token was dropped by the missing-data protocol (B, T_l); lets a model substitute a learned [UNK]. */
  textDropped?: Tensor;
  /**
   * (B, 3, T_l) BERT inputs on the CPU: token ids (dropped → [UNK] in a corrupted view), attention mask, segment ids.
   * Models whose text encoder is BERT read these instead of `text`.
   */
  textBert?: Int32Array;
}

export interface TrainingBatch {
  /** The complete input (training targets for reconstruction); models that do not use it may ignore it. */
  complete: ModalityInputs;
  /** The input after the missing-data protocol: what the model sees at test time. */
  corrupted: ModalityInputs;
  labels: Tensor; // (B, 1)
}

export interface LossTerms {
  /** The scalar the main optimizer minimises (e.g. DAR's L_total). */
  total: Tensor;
  /** Named scalar terms for logging (e.g. task, boot, sim, diff, re, recon); each a 1-element tensor. */
  terms: Record<string, Tensor>;
  /** Predictions (B, 1) from the corrupted input. */
  pred: Tensor;
}

/**
 * One training step's scratch space, passed by the caller to auxiliaryStep() and then to losses() on the same batch:
 * the work both need is done once (DAR: the alignment and encoders, about a third of its forward). Make a fresh one
 * per step, inside the step's tidy(): its tensors live in that scope. Without it, losses() computes everything itself,
 * with identical results.
 */
/**
 * What the decoupling probes (src/app/eval/probes.ts) read per sample of a pass, groups [com l, v, a; spec l, v, a]:
 * z (6, B, d) the time means of the features, zSim what L_sim compares, gate (6, B) the mean gate, hatErr and tildeErr
 * (6, B) the distances of the reconstructed and of the corrupted features from the complete input's.
 */
export type ProbeReadings = Record<'z' | 'gate' | 'hatErr' | 'tildeErr', Tensor> & { zSim?: Tensor };

export interface StepCache {
  /** The batch `value` was computed from; losses() on another batch ignores it. */
  batch?: TrainingBatch;
  /** The model's own record (DAR: its encodings, still on the tape). */
  value?: unknown;
}

export interface SentimentModel extends Module {
  /** The model's name in checkpoints and the model registry (src/app/models/registry.ts): 'dar', 'latefusion', ... (catalog.ts) */
  readonly kind: string;
  /**
   * Everything needed to rebuild the model (plain JSON, stored in every checkpoint's meta as `modelConfig`), including
   * the (T, d) of each modality the model was built for.
   */
  readonly config: { readonly dims: DatasetDims; readonly seed?: number };
  /**
   * Training-mode forward with every loss term; call backward() on `total`. With the `cache` that auxiliaryStep() filled
   * on the same batch, the model may start from what that step computed instead of computing it again.
   */
  losses(batch: TrainingBatch, cache?: StepCache): LossTerms;
  /** Inference: predictions (B, 1) from (possibly incomplete) inputs only. */
  predict(x: ModalityInputs): Tensor;
  /**
   * Optional, for inspection (the demo's 3D view): the model's decoupled feature spaces on (possibly incomplete)
   * inputs, each (3, B, d) with modalities in the model's order, averaged over time; no tape.
   */
  decoupled?(x: ModalityInputs): { common: Tensor; specific: Tensor };
  /**
   * Optional (DAR): losses() on a batch and, from the same pass, what the decoupling probes read of it
   * (src/app/eval/probes.ts); for validation, without the tape. Validation then probes at no extra pass.
   */
  lossesInspect?(batch: TrainingBatch): { losses: LossTerms; readings: ProbeReadings };
  /** Parameters the main optimizer updates (DAR leaves out its CLUB estimator, which has its own optimizer). */
  mainParameters(): [string, Tensor][];
  /**
   * Optional extra optimisation run before each main step on the same batch (DAR: the CLUB estimator's inner steps,
   * with its own optimizer, on detached features). Returns named scalar terms for logging. Called inside the training
   * step's tidy() like losses(); given a `cache`, it leaves there what losses() on the same batch can reuse.
   */
  auxiliaryStep?(batch: TrainingBatch, cache?: StepCache): Record<string, Tensor>;
  /**
   * What model selection minimises, from the mean validation terms (`total` and the model's terms); default `total`.
   * DAR leaves its CLUB term out (see DarConfig.selection).
   */
  selectionLoss?(validTerms: Readonly<Record<string, number>>): number;
  /** The optimizers auxiliaryStep uses, by name; checkpoints save and restore their state (`optim@<name>.*`). */
  auxiliaryOptimizers?(): Record<string, Optimizer>;
}
