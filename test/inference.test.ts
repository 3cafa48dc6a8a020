// The inference API an app embeds: loadModel rebuilds a trained model from checkpoint bytes alone (a trainer
// checkpoint, optimizer state included) and predictSentiment runs it on plain Float32Arrays, with missing modalities
// as null. Bad arrays and foreign checkpoints fail with typed errors before any GPU work.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';
import { rngFor } from './rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);

describe('loadModel + predictSentiment', () => {
  for (const kind of ['latefusion', 'dar', 'derl']) {
    it(`${kind}: a model rebuilt from its checkpoint predicts exactly what the original predicts`, async () => {
      const r = await run('inferenceRoundTrip', { kind });
      expect(r.sameKind).toBe(true);
      expect(r.note).toBe('test');
      expect(r.n).toBe(5);
      expect(r.finite).toBe(true);
      // Same weights, same kernels: bit-identical predictions.
      expect(r.diff).toBe(0);
      // The predictions differ between samples (the model is not returning a constant).
      expect(Math.max(...r.direct) - Math.min(...r.direct)).toBeGreaterThan(1e-6);
      // A missing modality (null) is exactly an all-zero modality, and it changes the prediction.
      expect(r.missingDiff).toBe(0);
      expect(r.missingChanges).toBeGreaterThan(1e-6);
      expect(r.leaked).toBe(0);
      // DAR's checkpoint carries its CLUB estimators' optimizer too (as npm start's do), which loadModel skips.
      expect(r.auxiliary).toEqual(kind === 'dar' ? ['club'] : []);
      // exportModel() and the file npm start derives from a checkpoint: exactly the parameters, no optimizer state,
      // rebuilt by loadModel into the same predictions, and about a third of the checkpoint (AdamW's two moments).
      for (const f of r.modelFiles) {
        expect(f.format).toBe('webgrad-model/1');
        expect(f.kind).toBe(kind);
        expect(f.names).toEqual(r.paramNames);
        expect(f.diff).toBe(0);
        if (kind === 'latefusion') expect(f.bytes).toBeLessThan(r.checkpointBytes / 2.5);
      }
      console.log(`${kind}: checkpoint ${r.checkpointBytes} bytes, model file ${r.modelFiles[0].bytes} bytes`);
    });
  }

  it('loads checkpoints written before a config field existed, with the value the model had then', async () => {
    // Such a DAR checkpoint also names its model 'DAR', as the trainer did before the kinds took the CLI names.
    const dar = await run('inferenceOlderCheckpoint', {
      kind: 'dar',
      savedAs: 'DAR',
      fields: ['alignNorm', 'selection'],
    });
    expect(dar.loadedKind).toBe('dar');
    expect(dar.values).toEqual({ alignNorm: false, selection: 'total' });
    expect(dar.diff).toBe(0);
    const derl = await run('inferenceOlderCheckpoint', { kind: 'derl', fields: ['orthGradient'] });
    expect(derl.values).toEqual({ orthGradient: 'full' });
    expect(derl.diff).toBe(0);
  });

  it('refuses a checkpoint with a NaN weight or infinite optimizer state unless allowNonFinite, changing nothing', async () => {
    const index = rngFor('inference non-finite').int(1e6);
    const r = await run('inferenceNonFinite', { index });
    const at = `"${r.weight}"[${r.index}] is NaN`;
    expect(r.loadModel).toMatchObject({ name: 'CheckpointError', code: 'nonfinite' });
    expect(r.loadModel?.message).toContain(at);
    expect(r.loadCheckpoint).toMatchObject({ name: 'CheckpointError', code: 'nonfinite' });
    expect(r.loadCheckpoint?.message).toContain(at);
    expect(r.optimizerState).toMatchObject({ name: 'CheckpointError', code: 'nonfinite' });
    expect(r.optimizerState?.message).toMatch(/"optim\..*\.expAvgSq"\[\d+\] is Infinity/);
    expect(r.untouched).toBe(true);
    expect(r.allowedNaN).toBe(true); // loaded as it is when asked for
  });

  it('the parameter shapes loadModel computes from a config are exactly those of the model built from it', async () => {
    const r = await run('inferenceShapes');
    expect(r.diffs).toEqual([]);
    expect(r.compared).toBeGreaterThan(500);
  });

  it('a crafted config is refused, naming the field, before any GPU allocation or dispatch; good loads still work', async () => {
    const r = await run('inferenceCraftedConfig');
    const o = r.out;
    for (const k of Object.keys(o)) expect(o[k].name, k).toBe('CheckpointError');
    expect(o.hugeHeads.message).toMatch(
      /meta\.modelConfig\.encoder\.heads is 1000000000; expected an integer in \[1, \d+\]/,
    );
    expect(o.otherHeads.message).toMatch(
      /shape mismatch for "enc\.layers\.0\.attn\.to_q\.weight": file has \[6, 32, 32\], the config implies \[6, 64, 32\]/,
    );
    expect(o.fractionalD.message).toMatch(/meta\.modelConfig\.d is 32\.5/);
    expect(o.stringDepth.message).toMatch(/meta\.modelConfig\.recon\.depth is "1"/);
    expect(o.noDims.message).toMatch(/meta\.modelConfig\.dims\.text\.len is undefined/);
    expect(o.badTau.message).toMatch(/not a valid dar config.*tau/);
    for (const k of Object.keys(o)) {
      expect(o[k].dispatches, k).toBe(0);
      expect(o[k].liveBuffers, k).toBe(0);
      if (k !== 'badTau') expect(o[k].allocatedBytes, k).toBe(0); // refused before the model existed
    }
    expect(r.sameAfter).toBe(true);
  });

  it('predicts from token ids for a BERT text encoder, and refuses features for it (and ids for a feature model)', async () => {
    const r = await run('inferenceTokenIds');
    expect(r.viaIds).toHaveLength(3);
    expect(r.finite).toBe(true);
    expect(r.diff).toBe(0); // loadModel + predictSentiment(ids) = the model's own predict on the same ids
    expect(Math.max(...r.viaIds) - Math.min(...r.viaIds)).toBeGreaterThan(1e-6);
    expect(r.textMatters).toBeGreaterThan(1e-6); // every token [UNK]: the ids reach the prediction
    const e = r.errors;
    for (const k of Object.keys(e)) {
      expect(e[k].name, k).toBe('WebgradError');
      expect(e[k].message, k).toMatch(/predictSentiment/);
      expect(e[k].dispatches, k).toBe(0);
    }
    expect(e.featuresForBert.message).toMatch(
      /encodes text with BERT: give token ids as textBert \(B, 3, \d+\), not text features/,
    );
    expect(e.noIds.message).toMatch(/textBert must be an Int32Array .*\[UNK\], 100/);
    expect(e.shortIds.message).toMatch(/textBert has \d+ values; expected B·3·T_l = 3·3·\d+/);
    expect(e.idOutside.message).toMatch(/id 120 at sample 1, position 4 is outside \[0, 120\)/);
    expect(e.idsForFeatures.message).toMatch(/reads text features .*not token ids/);
  });

  it('refuses bad arrays and foreign checkpoints with typed errors naming what is wrong, before any GPU work', async () => {
    const r = await run('inferenceErrors');
    const expectErr = (k: string, name: string, ...parts: (string | RegExp)[]) => {
      expect(r[k].name, k).toBe(name);
      for (const p of parts) expect(r[k].message, k).toMatch(p);
    };
    expectErr('shortText', 'WebgradError', 'predictSentiment', 'text', /B·T·d = 2·50·768/);
    expectErr('badSize', 'WebgradError', 'predictSentiment', 'size');
    expectErr('nonFinite', 'WebgradError', 'vision', 'non-finite', 'sample 0, step 3, feature 7');
    expectErr('notFloat32', 'WebgradError', 'audio must be a Float32Array');
    expectErr('noMeta', 'CheckpointError', 'loadModel', 'does not say which model');
    expectErr('unknownKind', 'CheckpointError', 'unknown model kind "nope"', 'dar', 'latefusion', 'derl');
    expectErr('wrongWeights', 'CheckpointError', 'shape mismatch');
    expectErr('nullBatch', 'WebgradError', 'predictSentiment', 'must be an object', 'null');
    expectErr('hugeAbsent', 'WebgradError', 'predictSentiment', 'text', /10000000·50·768/, 'smaller batches');
    for (const k of ['shortText', 'badSize', 'nonFinite', 'notFloat32', 'nullBatch', 'hugeAbsent'])
      expect(r[k].dispatches, k).toBe(0);
  });
});
