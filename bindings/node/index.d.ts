// Types of the spladerunner Node binding (index.js / index.mjs). The C header, include/spladerunner.h, is the
// reference for what each call does; these comments say how it looks from JavaScript.

/** The JSON shapes of `toJson`. */
export type JsonFormat = 'indices-values' | 'token-weights' | 'elasticsearch' | 'impacts' | 'tei';

/** A SPLADE vector: vocabulary ids ascending and unique, `weights[i]` (> 0) belonging to `indices[i]`. */
export interface SparseVector {
  indices: Uint32Array;
  weights: Float32Array;
}

/**
 * Options of `new Expander`, mirroring the C options (`splade_options_set_*`) one for one (a test holds the two
 * lists equal). An option left out, `undefined` or `null` keeps the C default; the C library checks the values. An
 * unknown option name is a TypeError.
 */
export interface ExpanderOptions {
  /** Tokens per text, special tokens included; longer texts are truncated. 0 or absent: the model's limit, at most 512. */
  maxLength?: number;
  /**
   * Cut a long text into up to this many windows of `maxLength` tokens, merged by each term's largest weight,
   * the windows after the first at half their weights. Default 1 (a text is truncated to its first window), `>= 1`.
   */
  maxWindows?: number;
  /** Text tokens consecutive windows share (when `maxWindows > 1`). Default 32; smaller than a window's text. */
  windowOverlap?: number;
  /** Keep only the `topK` heaviest terms of each vector. 0 or absent: keep all. */
  topK?: number;
  /** Keep only terms with weight `>= minWeight`. Default 0 (every positive weight). Finite and `>= 0`. */
  minWeight?: number;
  /**
   * Keep only the terms of weight `>= maxRatio × the vector's largest` (OpenSearch's `max_ratio` pruning, compared
   * as it compares, in float32). Absent: off. From 0 (keeps all) to 1. Applied before `alphaMass` and `topK`.
   */
  maxRatio?: number;
  /**
   * Keep the fewest heaviest terms whose weights sum to at least `alphaMass × the vector's total` (ties to the
   * smaller id; at least one term). Absent: off. Above 0, at most 1 (keeps all). Applied after `maxRatio`, before
   * `topK`. Unlike OpenSearch's `alpha_mass`, which can keep none, the term that reaches the threshold is kept.
   */
  alphaMass?: number;
  /** Leave the tokenizer's special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) out of every vector. Default false. */
  dropSpecialTokens?: boolean;
  /**
   * Threads one expander call uses. 0 or absent: one per core. ONNX Runtime's intra-op threads for a graph it runs
   * to the end; for a graph that stops at the hidden states (the library's decoder, as in the shipped
   * splade-tiny) they decode one inference call's vocabulary together, and a batch's inference calls run side by
   * side on them, ONNX Runtime running each on one thread (docs/threads.md). More threads add no copy of the model.
   */
  intraOpThreads?: number;
  /**
   * Inference calls of different callers that may run at once on this expander, all on its one ONNX Runtime session
   * (one copy of the weights). Default 1, `>= 1`. A batch's calls run side by side on `intraOpThreads` whatever this
   * is.
   */
  sessions?: number;
  /** The most padded tokens (texts × padded length) one inference call may hold. Default 256, `>= 1`. */
  tokenBudget?: number;
  /**
   * The ONNX Runtime library to load. Default: `ORT_DYLIB_PATH` (when set, the only library tried), else the
   * libonnxruntime.so beside the addon.
   * A relative path is taken from the working directory.
   */
  ortLibraryPath?: string;
}

/**
 * The name of a C status, as found in `SpladeError.code`: every `SPLADE_STATUS_*` of the header but OK (a test
 * holds the two lists equal).
 */
export type SpladeStatusName =
  | 'SPLADE_STATUS_NULL_ARGUMENT'
  | 'SPLADE_STATUS_INVALID_ARGUMENT'
  | 'SPLADE_STATUS_INVALID_UTF8'
  | 'SPLADE_STATUS_MODEL_NOT_FOUND'
  | 'SPLADE_STATUS_INVALID_MODEL'
  | 'SPLADE_STATUS_TOKENIZATION'
  | 'SPLADE_STATUS_RUNTIME_UNAVAILABLE'
  | 'SPLADE_STATUS_INFERENCE'
  | 'SPLADE_STATUS_OUT_OF_RANGE'
  | 'SPLADE_STATUS_CLOSED'
  | 'SPLADE_STATUS_OUT_OF_MEMORY'
  | 'SPLADE_STATUS_PANIC';

/**
 * The shape of the errors the library reports: a plain `Error` whose `code` is the C status name and `status`
 * its number (for example `'SPLADE_STATUS_MODEL_NOT_FOUND'`, 4). Wrong argument types are `TypeError`s instead
 * (code `'ERR_INVALID_ARG_TYPE'`), thrown synchronously.
 */
export interface SpladeError extends Error {
  code: SpladeStatusName;
  status: number;
}

/**
 * A SPLADE encoder for one model directory. Methods may be called at any time from the main thread; the async
 * ones run on the libuv thread pool and may overlap (results never depend on how they interleave).
 *
 * Call `close()` when done: the model's memory is native and invisible to the garbage collector (an unclosed
 * Expander is freed when collected, but V8 does not know how large it is). After `close()` every method except
 * `close()` and `closed` fails with `SPLADE_STATUS_CLOSED`; work already started still completes.
 */
export declare class Expander {
  /**
   * Opens the model directory (`model.onnx`, `tokenizer.json`, optional configs) and runs it once; synchronous.
   * Throws `SPLADE_STATUS_MODEL_NOT_FOUND`, `SPLADE_STATUS_INVALID_MODEL`, `SPLADE_STATUS_RUNTIME_UNAVAILABLE`
   * or `SPLADE_STATUS_INVALID_ARGUMENT` errors.
   */
  constructor(modelDir: string, options?: ExpanderOptions | null);

  /** Expands one text on the thread pool. */
  expand(text: string): Promise<SparseVector>;
  /** Expands one text on the calling thread (blocks the event loop: for scripts). */
  expandSync(text: string): SparseVector;
  /** Expands texts on the thread pool (one work item; length-sorted inference calls), vectors in text order. */
  expandBatch(texts: readonly string[]): Promise<SparseVector[]>;
  /** Expands texts on the calling thread. */
  expandBatchSync(texts: readonly string[]): SparseVector[];

  /** The token string of a vocabulary id; `SPLADE_STATUS_OUT_OF_RANGE` unless `0 <= id < vocabSize`. */
  token(id: number): string;
  /**
   * The vector as `{ token: weight }`, in id order, the tokens looked up in one C call (should two ids share a
   * token string, the later one's weight is kept). `SPLADE_STATUS_OUT_OF_RANGE` for an id outside the vocabulary.
   */
  tokenWeights(vector: SparseVector): Record<string, number>;
  /**
   * The vector as JSON in a shape a search engine accepts: `'indices-values'` (Qdrant, Milvus), `'token-weights'`
   * (OpenSearch, Vespa), `'elasticsearch'` (dots in tokens written U+2024), `'impacts'` (Anserini: integer
   * `round(weight * scale)`, scale default 100) or `'tei'` (text-embeddings-inference). Throws
   * `SPLADE_STATUS_INVALID_ARGUMENT` for ids not ascending and unique, a weight not finite and above 0, an impact
   * above 2^31-1 or a bad scale, and `SPLADE_STATUS_OUT_OF_RANGE` for an id outside the vocabulary.
   */
  toJson(vector: SparseVector, format: JsonFormat, scale?: number): string;

  /** The number of vocabulary ids (every id is below it). */
  readonly vocabSize: number;
  /** The number of tokens a text is truncated to, special tokens included. */
  readonly maxLength: number;
  /** True once `close()` was called. */
  readonly closed: boolean;

  /** Frees the model now, or once the work in flight completes. Calling it again does nothing. */
  close(): void;
}

/** The version of the loaded libspladerunner, for example `"0.1.0"`. */
export declare const version: string;

/** The name of a status number, for example `4` → `"SPLADE_STATUS_MODEL_NOT_FOUND"`. */
export declare function statusName(status: number): string;
