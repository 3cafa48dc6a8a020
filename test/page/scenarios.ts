// Longer in-page programs the Node tests run by name (leak test, learning test, runtime behaviour).

import type * as wgType from '../../src/app/all';

export type Scenario = (args: any, w: typeof wgType) => Promise<unknown>;

import { SCENARIOS as core } from './scenarios-core';
import { SCENARIOS as train } from './scenarios-train';
import { SCENARIOS as io } from './scenarios-io';
import { SCENARIOS as trainer } from './scenarios-trainer';
import { SCENARIOS as dar } from './scenarios-dar';
import { SCENARIOS as inference } from './scenarios-inference';
import { SCENARIOS as derl } from './scenarios-derl';
import { SCENARIOS as runtime } from './scenarios-runtime';
import { SCENARIOS as grouped } from './scenarios-grouped';
import { SCENARIOS as compile } from './scenarios-compile';

export const SCENARIOS: Record<string, Scenario> = { ...core, ...train, ...io, ...dar, ...trainer, ...inference, ...derl, ...runtime, ...grouped, ...compile };
