// Learning-rate schedules as pure functions of the step number (0-based), to feed `optimizer.setLr()` each step:
//
//   for (let step = 0; step < total; step++) {
//     opt.setLr(cosineSchedule(step, total, { baseLr: 3e-3, warmupSteps: 100, minLr: 3e-4 }));
//     ...
//   }

import { check } from '../errors';

/**
 * Linear warm-up factor in (0, 1]: (step + 1) / warmupSteps for the first warmupSteps steps, then 1. Step 0 already
 * gets a small non-zero factor (a zero learning rate would waste a step). Multiply the base learning rate by it.
 */
export function linearWarmup(step: number, warmupSteps: number): number {
  check(Number.isInteger(step) && step >= 0, 'linearWarmup', `step must be an integer >= 0, got ${step}`);
  check(
    Number.isInteger(warmupSteps) && warmupSteps >= 0,
    'linearWarmup',
    `warmupSteps must be an integer >= 0, got ${warmupSteps}`,
  );
  return warmupSteps === 0 ? 1 : Math.min(1, (step + 1) / warmupSteps);
}

export interface CosineScheduleOptions {
  /** The learning rate at the end of warm-up (the peak). */
  baseLr: number;
  /** Steps of linear warm-up from baseLr / warmupSteps up to baseLr (default 0). */
  warmupSteps?: number;
  /** The learning rate the cosine decays to at totalSteps, and stays at afterwards (default 0). */
  minLr?: number;
}

/**
 * The learning rate at `step`: linear warm-up (as `linearWarmup`), then half a cosine from baseLr at step warmupSteps
 * down to minLr at step totalSteps: minLr + ½(baseLr − minLr)(1 + cos(π·(step − warmupSteps)/(totalSteps − warmupSteps))).
 */
export function cosineSchedule(step: number, totalSteps: number, opts: CosineScheduleOptions): number {
  const { baseLr, warmupSteps = 0, minLr = 0 } = opts;
  check(Number.isInteger(step) && step >= 0, 'cosineSchedule', `step must be an integer >= 0, got ${step}`);
  check(Number.isFinite(baseLr) && baseLr > 0, 'cosineSchedule', `baseLr must be a finite number > 0, got ${baseLr}`);
  check(
    Number.isFinite(minLr) && minLr >= 0 && minLr <= baseLr,
    'cosineSchedule',
    `minLr must be in [0, baseLr], got ${minLr}`,
  );
  check(
    Number.isInteger(warmupSteps) && warmupSteps >= 0,
    'cosineSchedule',
    `warmupSteps must be an integer >= 0, got ${warmupSteps}`,
  );
  check(
    Number.isInteger(totalSteps) && totalSteps > warmupSteps,
    'cosineSchedule',
    `totalSteps must be an integer > warmupSteps (${warmupSteps}), got ${totalSteps}`,
  );
  if (step < warmupSteps) return baseLr * linearWarmup(step, warmupSteps);
  if (step >= totalSteps) return minLr;
  const progress = (step - warmupSteps) / (totalSteps - warmupSteps);
  return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
}
