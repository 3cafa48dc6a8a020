// Which rung of each kernel ladder an op runs when the caller names none. What is fast depends on the adapter, not
// on the op: SwiftShader (WebGPU emulated on the CPU) pays dearly for barriers and workgroup memory and likes many
// outputs per invocation, while a GPU wants workgroup-memory tiles, many invocations per workgroup and few live
// registers each (docs/decisions/tuning.md). The runtime chooses a profile once, at init, from the adapter;
// `init({ tuning })` overrides it, which is how CI runs the GPU profile's kernels on SwiftShader.

import { WebgradError } from './errors';
import type { AdapterSummary } from './gpu';

/** 'cpu': kernels shaped for a CPU-emulated adapter (SwiftShader, lavapipe, WARP); 'gpu': for a real GPU. */
export type TuningProfile = 'cpu' | 'gpu';
export const TUNING_PROFILES: readonly TuningProfile[] = ['cpu', 'gpu'];

/** GPU vendors with refinements of the GPU profile (lower-case, as adapter info reports them). */
export type TuningVendor = 'nvidia' | 'amd' | 'intel' | 'apple' | 'qualcomm' | 'arm' | 'other';

export interface Tuning {
  readonly profile: TuningProfile;
  /** The GPU vendor, for refinements of the GPU profile ('other' when unknown or CPU-emulated). */
  readonly vendor: TuningVendor;
  /** The device has the `subgroups` feature, so kernels may `enable subgroups;`. */
  readonly subgroups: boolean;
  /** The device has `shader-f16` (optional everywhere: no kernel requires it). */
  readonly f16: boolean;
  /** Why this profile: 'chosen from the adapter (...)' or 'set by init({ tuning })'. */
  readonly reason: string;
}

/** What `init({ tuning })` accepts: a profile name, or a profile with its vendor and features pinned. */
export type TuningOption = TuningProfile | { profile: TuningProfile; vendor?: TuningVendor; subgroups?: boolean };

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|software|\bcpu\b/i;
const VENDORS: [RegExp, TuningVendor][] = [
  [/nvidia|0x10de/i, 'nvidia'],
  [/amd|ati\b|radeon|0x1002/i, 'amd'],
  [/intel|0x8086/i, 'intel'],
  [/apple/i, 'apple'],
  [/qualcomm|adreno/i, 'qualcomm'],
  [/\barm\b|mali/i, 'arm'],
];

/** True when the adapter is WebGPU emulated on the CPU (it says so, or names a software rasterizer). */
export function isCpuEmulated(a: AdapterSummary): boolean {
  return a.isFallbackAdapter || SOFTWARE.test(`${a.architecture} ${a.description} ${a.device}`);
}

function vendorOf(a: AdapterSummary): TuningVendor {
  const text = `${a.vendor} ${a.architecture} ${a.description}`;
  return VENDORS.find(([re]) => re.test(text))?.[1] ?? 'other';
}

/** The tuning for this adapter, or the one `option` asks for (checked: a typo must not silently pick a profile). */
export function chooseTuning(a: AdapterSummary, option?: TuningOption): Tuning {
  const features = new Set(a.features);
  const subgroups = features.has('subgroups');
  const f16 = features.has('shader-f16');
  if (option === undefined) {
    const cpu = isCpuEmulated(a);
    const vendor = cpu ? 'other' : vendorOf(a);
    const what = `${a.vendor || '?'}/${a.architecture || '?'}${cpu ? ', CPU-emulated' : ''}`;
    return { profile: cpu ? 'cpu' : 'gpu', vendor, subgroups, f16, reason: `chosen from the adapter (${what})` };
  }
  const o = typeof option === 'string' ? { profile: option } : option;
  if (o === null || typeof o !== 'object' || !TUNING_PROFILES.includes(o.profile)) {
    throw new WebgradError('init', `tuning must be one of ${TUNING_PROFILES.join(', ')} or { profile, vendor? }`);
  }
  const vendor = o.vendor ?? (o.profile === 'gpu' && !isCpuEmulated(a) ? vendorOf(a) : 'other');
  if (o.subgroups && !subgroups) {
    throw new WebgradError('init', 'tuning asks for subgroups, but the device lacks the subgroups feature');
  }
  return { profile: o.profile, vendor, subgroups: o.subgroups ?? subgroups, f16, reason: 'set by init({ tuning })' };
}

/**
 * The default rung for the active tuning: `choices[profile]`, or a vendor's refinement of the GPU profile when one is
 * given (`{ cpu: 'tiled', gpu: 'wg64', apple: 'wg32' }`). Ops call it only when their `kernel` option is unset.
 */
export function pickRung<K extends string>(
  tuning: Tuning,
  choices: Record<TuningProfile, K> & Partial<Record<TuningVendor, K>>,
): K {
  if (tuning.profile === 'gpu' && tuning.vendor !== 'other') return choices[tuning.vendor] ?? choices.gpu;
  return choices[tuning.profile];
}
