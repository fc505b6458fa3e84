/*
 * The C quick start: expand a text and print its ten heaviest terms.
 *
 * usage: expand MODEL_DIR [TEXT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spladerunner.h"

int main(int argc, char **argv) {
  const char *model_dir = argc > 1 ? argv[1] : ".cache/models/splade-tiny";
  const char *text = argc > 2 ? argv[2] : "The Manhattan Project and its atomic bomb helped bring an end to World War II.";

  splade_expander *expander = NULL;
  splade_error *error = NULL;
  if (splade_expander_new(model_dir, NULL, &expander, &error) != SPLADE_STATUS_OK) {
    fprintf(stderr, "error: %s\n", splade_error_message(error));
    splade_error_free(error);
    return 1;
  }

  splade_sparse_vector *vector = NULL;
  if (splade_expander_expand(expander, (const uint8_t *)text, strlen(text), &vector, &error) != SPLADE_STATUS_OK) {
    fprintf(stderr, "error: %s\n", splade_error_message(error));
    splade_error_free(error);
    splade_expander_free(expander);
    return 1;
  }

  /* Print the ten heaviest terms: repeatedly pick the largest weight not yet printed. */
  printf("%zu terms\n", vector->len);
  char *printed = calloc(vector->len, 1);
  for (int rank = 0; rank < 10 && rank < (int)vector->len; rank++) {
    size_t best = 0;
    while (printed[best]) best++;
    for (size_t i = best; i < vector->len; i++)
      if (!printed[i] && vector->weights[i] > vector->weights[best]) best = i;
    printed[best] = 1;
    const char *token = NULL;
    splade_expander_token(expander, vector->indices[best], &token, NULL);
    printf("  %-16s %.4f\n", token, vector->weights[best]);
  }
  free(printed);

  splade_sparse_vector_free(vector);
  splade_expander_free(expander);
  return 0;
}
