// Trains DAR (the 'small' preset) on the tiny synthetic-mosi in Node, predicts a few test clips, and writes the
// trained model to model-tiny.safetensors, which examples/web-app loads. Needs the optional peer dependency `webgpu`
// (Dawn): npm install webgrad-gpu webgpu, then node train.mjs [epochs] [out-file].

import fs from 'node:fs';
import { init } from 'webgrad-gpu/node';
import { darConfig, createModel, predictSentiment, syntheticMosi, trainModel } from 'webgrad-gpu/models';

const epochs = Number(process.argv[2] ?? 2);
const outFile = process.argv[3] ?? 'model-tiny.safetensors';

await init();
const data = syntheticMosi({ size: 'tiny' });
const factory = (seed) => createModel('dar', darConfig('small', data.dims, { seed }));
const result = await trainModel(
  factory,
  data,
  { seed: 1111, epochs, batchSize: 16, lr: 2e-3 },
  {
    onEpoch: (e) =>
      console.log(`epoch ${e.epoch}: train loss ${e.train.total.toFixed(4)}, valid loss ${e.valid.total.toFixed(4)}`),
  },
);
result.optimizer.dispose();

// The best epoch's checkpoint names its model and config, so loadModel() rebuilds it from the file alone.
fs.writeFileSync(outFile, result.best);

const n = 4;
const batch = data.batch('test', [0, 1, 2, 3]);
const y = await predictSentiment(result.model, { size: n, text: batch.text, audio: batch.audio, vision: batch.vision });
const labels = data.split('test').labels;
for (let i = 0; i < n; i++) console.log(`clip ${i}: predicted ${y[i].toFixed(3)}, label ${labels[i].toFixed(3)}`);
result.model.dispose();
console.log(`wrote ${outFile} (best epoch ${result.bestEpoch}, valid loss ${result.bestValidLoss.toFixed(4)})`);
