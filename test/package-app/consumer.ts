// A strict TypeScript app using the package's public types: the engine, the models, errors and GPU types.
import * as wg from 'webgrad-gpu';
import { loadModel, predictSentiment, type FeatureBatch, type SentimentModel } from 'webgrad-gpu/models';

export async function setUp(device?: GPUDevice): Promise<wg.Tensor> {
  await (device ? wg.init({ device }) : wg.init());
  const layer = new wg.Linear(4, 2);
  const x: wg.Tensor = wg.randn([8, 4], { seed: 1 });
  const y = wg.tidy(() => wg.relu(layer.forward(x)));
  const shape: readonly number[] = y.shape;
  if (shape[0] !== 8) throw new wg.WebgradError('consumer', `unexpected shape ${shape.join('×')}`);
  return y;
}

export async function predict(bytes: Uint8Array, batch: FeatureBatch): Promise<Float32Array> {
  const { model }: { model: SentimentModel } = loadModel(bytes);
  try {
    return await predictSentiment(model, batch);
  } finally {
    model.dispose();
  }
}

export function isEngineError(e: unknown): e is wg.WebgradError {
  return e instanceof wg.WebgradError;
}
