package io.github.spladerunner;

import java.util.Arrays;

/**
 * A SPLADE vector: vocabulary ids in ascending order, each with its weight ({@code > 0}). Immutable, so it may be
 * shared between threads and outlives the {@link Expander} that made it.
 *
 * <p>{@link #indices()} and {@link #weights()} return copies; {@link #size()}, {@link #index(int)} and {@link
 * #weight(int)} read without copying. {@link Expander#tokenWeights(SparseVector)} gives the token strings.
 */
public final class SparseVector {
  final int[] indices; // read without copying by Expander.toJson; never written after construction
  final float[] weights;

  /** Takes ownership of the arrays (made by the glue, or by the caller of {@link #of}). */
  SparseVector(int[] indices, float[] weights) {
    this.indices = indices;
    this.weights = weights;
  }

  /**
   * A vector from ids and weights, copied; for tests and for vectors stored elsewhere. The arrays must have the
   * same length and the ids must ascend strictly; nothing else is checked.
   */
  public static SparseVector of(int[] indices, float[] weights) {
    if (indices.length != weights.length) {
      throw new IllegalArgumentException(
          indices.length + " indices but " + weights.length + " weights");
    }
    for (int i = 1; i < indices.length; i++) {
      if (indices[i] <= indices[i - 1]) {
        throw new IllegalArgumentException("indices must ascend strictly (at position " + i + ")");
      }
    }
    return new SparseVector(indices.clone(), weights.clone());
  }

  /** The number of terms. */
  public int size() {
    return indices.length;
  }

  /** True when the vector has no terms (an empty or whitespace-only text can give one). */
  public boolean isEmpty() {
    return indices.length == 0;
  }

  /** The vocabulary ids, ascending: a copy. */
  public int[] indices() {
    return indices.clone();
  }

  /** The weights, {@code weights()[i]} belonging to {@code indices()[i]}: a copy. */
  public float[] weights() {
    return weights.clone();
  }

  /** The vocabulary id of term {@code i} ({@code 0 <= i < size()}). */
  public int index(int i) {
    return indices[i];
  }

  /** The weight of term {@code i} ({@code 0 <= i < size()}). */
  public float weight(int i) {
    return weights[i];
  }

  /** The weight of vocabulary id {@code id}, or 0 when the vector does not hold it. */
  public float weightOf(int id) {
    int i = Arrays.binarySearch(indices, id);
    return i >= 0 ? weights[i] : 0f;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SparseVector
        && Arrays.equals(indices, ((SparseVector) other).indices)
        && Arrays.equals(weights, ((SparseVector) other).weights);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(indices) + Arrays.hashCode(weights);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("SparseVector{");
    for (int i = 0; i < indices.length; i++) {
      if (i == 8) {
        s.append(", ... (").append(indices.length).append(" terms)");
        break;
      }
      s.append(i == 0 ? "" : ", ").append(indices[i]).append('=').append(weights[i]);
    }
    return s.append('}').toString();
  }
}
