import type { Scenario } from './scenarios';

export const SCENARIOS: Record<string, Scenario> = {};
