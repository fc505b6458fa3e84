// Type-checked by `tsc -p test/types` (never run): the API as a TypeScript user sees it, resolved through the
// package's own name and `exports` (CommonJS flavour; usage.mts is the ES module one).
import { Expander, ExpanderOptions, SparseVector, SpladeError, version, statusName } from 'spladerunner';

const options: ExpanderOptions = {
  maxLength: 256, topK: 64, minWeight: 0.1, maxRatio: 0.05, alphaMass: 0.95, sessions: 2, tokenBudget: 2048,
};
const expander = new Expander('.cache/models/splade-tiny', options);

async function main(): Promise<void> {
  const vector: SparseVector = await expander.expand('atomic energy');
  const ids: Uint32Array = vector.indices;
  const weights: Float32Array = vector.weights;
  const batch: SparseVector[] = await expander.expandBatch(['a', 'b']);
  const syncBatch: SparseVector[] = expander.expandBatchSync(['a'] as readonly string[]);
  const terms: Record<string, number> = expander.tokenWeights(expander.expandSync('peace'));
  const token: string = expander.token(ids[0]);
  const sizes: number = expander.vocabSize + expander.maxLength + weights.length + batch.length + syncBatch.length;
  const closed: boolean = expander.closed;
  console.log(version, statusName(4), terms, token, sizes, closed);
  try {
    new Expander('missing');
  } catch (e) {
    const error = e as SpladeError;
    if (error.code === 'SPLADE_STATUS_MODEL_NOT_FOUND') console.log(error.status, error.message);
  }
  expander.close();
}
main();

// Misuse the types must reject.
// @ts-expect-error: text must be a string
expander.expand(42);
// @ts-expect-error: maxlength is not an option
new Expander('dir', { maxlength: 128 });
// @ts-expect-error: vocabSize is read-only
expander.vocabSize = 3;
// @ts-expect-error: indices are a Uint32Array, not number[]
const wrong: number[] = expander.expandSync('x').indices;

declare const console: { log(...args: unknown[]): void };
