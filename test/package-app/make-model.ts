// A model file as the trainer writes it (weights + a meta naming the model and its config), for examples/web-app.
import * as wg from 'webgrad-gpu';
import { createModel, darConfig, saveCheckpoint, syntheticMosi } from 'webgrad-gpu/models';

await wg.init();
const model = createModel('dar', darConfig('small', syntheticMosi({ size: 'tiny' }).dims, { seed: 1111 }));
const bytes = await saveCheckpoint(model, null, { model: model.kind, modelConfig: model.config });
model.dispose();
let text = '';
for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
(globalThis as { modelBase64?: string }).modelBase64 = btoa(text);
