package io.github.spladerunner;

/**
 * JSON shapes of a vector that search engines accept, for {@link Expander#toJson(SparseVector, Format)}: the C
 * {@code SPLADE_FORMAT_*} numbers.
 */
public enum Format {
  /** {@code {"indices":[ids],"values":[weights]}}: Qdrant, Milvus. */
  INDICES_VALUES(0),
  /** {@code {"token":weight}}: OpenSearch {@code rank_features}, Vespa. */
  TOKEN_WEIGHTS(1),
  /**
   * {@code {"token":weight}} with each {@code .} of a token written U+2024 and only strictly positive normal
   * weights: Elasticsearch {@code sparse_vector} and {@code rank_features}.
   */
  ELASTICSEARCH(2),
  /** {@code {"token":round(weight * scale)}}, zeros left out: Anserini's {@code JsonVectorCollection}. */
  IMPACTS(3),
  /** {@code [{"index":id,"value":weight}]}: text-embeddings-inference's sparse output. */
  TEI(4);

  final int number;

  Format(int number) {
    this.number = number;
  }
}
