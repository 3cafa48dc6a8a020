// Masked-language-model inputs for pre-training a BERT on token ids (src/app/train/pretrain-bert.ts): BERT's recipe —
// each content token (not [CLS]/[SEP]/padding) is chosen with probability p; a chosen one becomes [UNK] (80 %), a
// random content id (10 %) or stays (10 %), and is the target; every other position is ignored (target −100).
// [UNK] stands in for [MASK]: synthetic-mosi's vocabulary has no [MASK], and [UNK] is what the missing-data protocol
// writes where a word is dropped. Pure CPU code on `text_bert` (B, 3, T) ids, as ./missing.ts.

import { UNK_TOKEN_ID } from './missing';

/** bert-base-uncased's special ids ([PAD], [UNK], [CLS], [SEP]), which synthetic-mosi's vocabulary shares. */
const SPECIAL = new Set([0, 100, 101, 102]);

/**
 * One batch of `textBert` (B, 3, T): the ids with chosen tokens replaced, the mask and segment ids as they are, and
 * the targets (B·T; the original id where chosen, −100 elsewhere). `rand` draws uniforms in [0, 1).
 */
export function maskForMlm(
  textBert: Int32Array,
  T: number,
  vocabSize: number,
  maskProb: number,
  rand: () => number,
): { ids: Int32Array; mask: Int32Array; types: Int32Array; targets: Float32Array } {
  const B = textBert.length / (3 * T);
  const ids = new Int32Array(B * T);
  const mask = new Int32Array(B * T);
  const types = new Int32Array(B * T);
  const targets = new Float32Array(B * T).fill(-100);
  for (let b = 0; b < B; b++) {
    ids.set(textBert.subarray(b * 3 * T, b * 3 * T + T), b * T);
    mask.set(textBert.subarray(b * 3 * T + T, b * 3 * T + 2 * T), b * T);
    types.set(textBert.subarray(b * 3 * T + 2 * T, b * 3 * T + 3 * T), b * T);
  }
  let chosen = 0;
  for (let i = 0; i < B * T; i++) {
    if (mask[i] === 0 || SPECIAL.has(ids[i]) || rand() >= maskProb) continue;
    targets[i] = ids[i];
    chosen++;
    const r = rand();
    if (r < 0.8) ids[i] = UNK_TOKEN_ID;
    else if (r < 0.9) ids[i] = randomContentId(vocabSize, rand);
  }
  // A batch with no chosen token would have an empty mean: predict its first content token instead.
  if (chosen === 0) {
    const i = ids.findIndex((id, j) => mask[j] !== 0 && !SPECIAL.has(id));
    if (i >= 0) [targets[i], ids[i]] = [ids[i], UNK_TOKEN_ID];
  }
  return { ids, mask, types, targets };
}

/** A uniform id in [1, vocabSize) that is not a special token. */
function randomContentId(vocabSize: number, rand: () => number): number {
  for (;;) {
    const id = 1 + Math.floor(rand() * (vocabSize - 1));
    if (!SPECIAL.has(id)) return id;
  }
}
