// A web app that embeds a trained sentiment model: the engine runs it on the page's WebGPU device. Bundle it with
// any bundler (esbuild shown in examples/README.md); it needs nothing but webgrad-gpu.

import * as wg from 'webgrad-gpu';
import { loadModel, predictSentiment, syntheticMosi } from 'webgrad-gpu/models';

const out = document.getElementById('out')!;

/** Predicts the first `n` clips of synthetic-mosi's (tiny) test split, with vision missing; returns the MAE. */
async function predictClips(
  bytes: Uint8Array,
  n = 8,
): Promise<{ kind: string; predictions: number[]; labels: number[]; mae: number }> {
  const { model } = loadModel(bytes);
  try {
    const data = syntheticMosi({ size: 'tiny' });
    const indices = Array.from({ length: n }, (_, i) => i);
    const batch = data.batch('test', indices);
    // A missing modality is null: the model's missing-modality path, as at evaluation.
    const y = await predictSentiment(model, { size: n, text: batch.text, audio: batch.audio, vision: null });
    const labels = Array.from(data.split('test').labels.subarray(0, n));
    const predictions = Array.from(y);
    const mae = predictions.reduce((s, p, i) => s + Math.abs(p - labels[i]!), 0) / n;
    return { kind: model.kind, predictions, labels, mae };
  } finally {
    model.dispose();
  }
}

async function run(bytes: Uint8Array): Promise<void> {
  out.textContent = 'predicting…';
  const r = await predictClips(bytes);
  out.textContent =
    `${r.kind}: clip, prediction, label\n` +
    r.predictions.map((p, i) => `${i}\t${p.toFixed(3)}\t${r.labels[i]!.toFixed(3)}`).join('\n') +
    `\nMAE ${r.mae.toFixed(3)}`;
  // For the CI run in headless Chromium (test/package.test.ts).
  (globalThis as { exampleResult?: unknown }).exampleResult = r;
}

async function main(): Promise<void> {
  await wg.init();
  const url = new URLSearchParams(location.search).get('model');
  if (url) await run(new Uint8Array(await (await fetch(url)).arrayBuffer()));
  document.getElementById('file')!.addEventListener('change', async (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) await run(new Uint8Array(await f.arrayBuffer()));
  });
}

main().catch((e: unknown) => {
  out.textContent = `error: ${e instanceof Error ? e.message : String(e)}`;
  (globalThis as { exampleResult?: unknown }).exampleResult = { error: String(e) };
});
