// The ES module flavour of usage.ts: `import` resolves through the "import" condition of `exports`.
import { Expander, type SparseVector } from 'spladerunner';

const expander = new Expander('.cache/models/splade-tiny', { maxLength: 128 });
const vectors: SparseVector[] = await expander.expandBatch(['atomic energy', 'peaceful uses of the atom']);
const first: Record<string, number> = expander.tokenWeights(vectors[0]);
expander.close();
export { first };
