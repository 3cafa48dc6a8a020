// Scenarios for the engine's Bert (src/engine/nn/bert.ts): PyTorch parity on the committed fixture, and loading
// Hugging Face checkpoints (names, shapes, config.json). The Node side is test/bert.test.ts.

import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The fixture's (B, T) input named `name` as { data, shape }. */
function ids(tensors: ReturnType<W['readSafetensors']>['tensors'], name: string) {
  const t = tensors.get(name)!;
  return { data: t.data, shape: [t.shape[0], t.shape[1]] as [number, number] };
}

export const SCENARIOS = {
  /**
   * PyTorch parity (test/fixtures/make_bert_fixture.py): builds the fixture's config, loads its weights through
   * loadStateDict, runs forward on its padded batch and backward of Σ hidden·Wh + Σ pooled·Wp; returns the outputs,
   * the loss and every parameter's gradient, by name.
   */
  bertParity: async ({ b64 }: { b64: string }, w: W) => {
    const { tensors, metadata } = w.readSafetensors(fromBase64(b64));
    const bert = new w.Bert(JSON.parse(metadata.config));
    const state = new Map([...tensors].filter(([k]) => k.startsWith('param.')).map(([k, v]) => [k.slice(6), v]));
    bert.loadStateDict(state);
    const out = await w.tidyAsync(async () => {
      const { hidden, pooled } = bert.forward(
        ids(tensors, 'input.ids'),
        ids(tensors, 'input.types'),
        ids(tensors, 'input.mask'),
      );
      const weight = (name: string) => w.tensor(tensors.get(name)!.data, [...tensors.get(name)!.shape]);
      const loss = w.add(w.sum(w.mul(hidden, weight('loss.hidden'))), w.sum(w.mul(pooled!, weight('loss.pooled'))));
      loss.backward();
      const grads: Record<string, number[] | null> = {};
      for (const [name, p] of bert.namedParameters()) grads[name] = p.grad ? Array.from(await p.grad.toArray()) : null;
      return {
        hidden: Array.from(await hidden.toArray()),
        pooled: Array.from(await pooled!.toArray()),
        loss: await loss.item(),
        grads,
      };
    });
    const names = bert.namedParameters().map(([n]) => n);
    bert.dispose();
    return { ...out, names };
  },

  /**
   * loadBert on a Hugging Face style file (`weights`, base64) and config.json text, then forward on the parity
   * fixture's batch: the outputs, or the error's name, code and message when loading throws.
   */
  bertLoad: async ({ weights, config, fixture }: { weights: string; config: string; fixture: string }, w: W) => {
    const { tensors } = w.readSafetensors(fromBase64(fixture));
    let bert: InstanceType<W['Bert']>;
    const live = w.runtime().stats().liveBuffers;
    try {
      bert = w.loadBert({ config, weights: fromBase64(weights) });
    } catch (e) {
      const err = e as InstanceType<W['CheckpointError']>;
      return {
        error: { name: err.name, code: err.code, message: err.message },
        liveDelta: w.runtime().stats().liveBuffers - live,
      };
    }
    const out = await w.tidyAsync(async () => {
      const { hidden, pooled } = bert.forward(
        ids(tensors, 'input.ids'),
        ids(tensors, 'input.types'),
        ids(tensors, 'input.mask'),
      );
      return { hidden: Array.from(await hidden.toArray()), pooled: pooled ? Array.from(await pooled.toArray()) : null };
    });
    const names = bert.namedParameters().map(([n]) => n);
    bert.dispose();
    return { ...out, names, error: null };
  },
} satisfies ScenarioTable;
