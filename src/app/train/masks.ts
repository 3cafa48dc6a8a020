// The missing-data masks a training run draws: per epoch for the training split, once for validation.

import { epochMissingSeed, HalfCompleteRates, MissingField, type KeepMasks } from '../data/missing';
import type { Dataset } from '../data/types';

export interface MaskOptions {
  seed: number;
  trainMissingRate: number;
  halfComplete: boolean;
  missingField: 'fixed' | 'fresh';
  keepSpecialTokens: boolean;
}

/** The training split's masks, epoch by epoch; asked for each epoch once, in order. */
export class TrainingMasks {
  private readonly halfRates: HalfCompleteRates | null;
  /** A constant rate with a fixed field: one field for the whole run. */
  private fixedField: MissingField | null = null;

  /** `startEpoch`: epochs already run (a resumed run draws what an uninterrupted one would). */
  constructor(
    private readonly dataset: Dataset,
    private readonly o: MaskOptions,
    startEpoch: number,
  ) {
    this.halfRates = o.halfComplete ? new HalfCompleteRates(dataset.split('train').n, o.seed) : null;
    for (let e = 0; e < startEpoch && this.halfRates; e++) this.halfRates.next();
  }

  forEpoch(epoch: number): KeepMasks {
    const o = this.o;
    const fieldFor = (e: number) =>
      new MissingField(this.dataset.split('train'), this.dataset.dims, epochMissingSeed(o.seed, e, o.missingField));
    const field = o.missingField === 'fixed' ? (this.fixedField ??= fieldFor(epoch)) : fieldFor(epoch);
    return field.masks(this.halfRates ? this.halfRates.next() : o.trainMissingRate, {
      keepSpecialTokens: o.keepSpecialTokens,
    });
  }
}

/** The validation split's masks: one fixed field, at `rate`, from `seed`. */
export function validationMasks(dataset: Dataset, rate: number, seed: number, keepSpecialTokens: boolean): KeepMasks {
  return new MissingField(dataset.split('valid'), dataset.dims, seed).masks(rate, { keepSpecialTokens });
}
