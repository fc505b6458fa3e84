/*
 * Calls every function of include/spladerunner.h, and every error path, from C. Built with
 * -Wall -Wextra -Wpedantic -Werror and run under valgrind by `make test-c`; built with AddressSanitizer and
 * UndefinedBehaviorSanitizer against the library built with AddressSanitizer by `make test-sanitizers`.
 *
 * usage: test_capi MODELS_DIR   (the .cache/models directory made by tools/setup.sh)
 *        test_capi --misuse CASE MODELS_DIR   (the child process of test_misused_handles: misuses a handle)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spladerunner.h"

/* Built with AddressSanitizer: gcc defines __SANITIZE_ADDRESS__, clang answers __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static int failures = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                            \
    }                                                                        \
  } while (0)

static const char *EXAMPLE =
    "The Manhattan Project and its atomic bomb helped bring an end to World War II. Its legacy of peaceful uses "
    "of atomic energy continues to have an impact on history and science.";

/* Checks that a call failed with `expected` and an error whose message contains `word`, then frees the error. */
static void expect_error(int line, splade_status got, splade_error *error, splade_status expected, const char *word) {
  if (got != expected) {
    fprintf(stderr, "line %d: status %s, expected %s (%s)\n", line, splade_status_name(got),
            splade_status_name(expected), splade_error_message(error));
    failures++;
  } else if (error == NULL) {
    fprintf(stderr, "line %d: no error object\n", line);
    failures++;
  } else {
    if (splade_error_status(error) != expected) {
      fprintf(stderr, "line %d: error object has status %d\n", line, splade_error_status(error));
      failures++;
    }
    if (strstr(splade_error_message(error), word) == NULL) {
      fprintf(stderr, "line %d: message \"%s\" does not name \"%s\"\n", line, splade_error_message(error), word);
      failures++;
    }
  }
  splade_error_free(error);
}

#define EXPECT_ERROR(call_with_err, expected, word) \
  do {                                              \
    splade_error *err = NULL;                       \
    splade_status st = (call_with_err);             \
    expect_error(__LINE__, st, err, expected, word); \
  } while (0)

static char models[4096];

static const char *model(const char *name) {
  static char path[4200];
  snprintf(path, sizeof path, "%s/%s", models, name);
  return path;
}

static int vectors_equal(const splade_sparse_vector *a, const splade_sparse_vector *b) {
  return a->len == b->len && (a->len == 0 || (memcmp(a->indices, b->indices, a->len * sizeof(uint32_t)) == 0 &&
                                             memcmp(a->weights, b->weights, a->len * sizeof(float)) == 0));
}

static void test_version_and_status_names(void) {
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", SPLADE_VERSION_MAJOR, SPLADE_VERSION_MINOR, SPLADE_VERSION_PATCH);
  CHECK(strcmp(splade_version(), expected) == 0);
  CHECK(strcmp(splade_status_name(SPLADE_STATUS_OK), "SPLADE_STATUS_OK") == 0);
  CHECK(strcmp(splade_status_name(SPLADE_STATUS_INVALID_UTF8), "SPLADE_STATUS_INVALID_UTF8") == 0);
  CHECK(strcmp(splade_status_name(SPLADE_STATUS_PANIC), "SPLADE_STATUS_PANIC") == 0);
  CHECK(strcmp(splade_status_name(12345), "SPLADE_STATUS_UNKNOWN") == 0);
  CHECK(splade_error_status(NULL) == SPLADE_STATUS_NULL_ARGUMENT);
  CHECK(strcmp(splade_error_message(NULL), "") == 0);
}

static void test_options(void) {
  splade_options *options = splade_options_new();
  CHECK(options != NULL);
  CHECK(splade_options_set_max_length(options, 128, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_max_length(options, 0, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_max_windows(options, 4, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_window_overlap(options, 16, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_top_k(options, 10, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_top_k(options, 0, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_min_weight(options, 0.25f, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_max_ratio(options, 0.0f, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_max_ratio(options, 1.0f, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_max_ratio(options, 0.3f, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_alpha_mass(options, 1.0f, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_alpha_mass(options, 0.5f, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_drop_special_tokens(options, true, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_intra_op_threads(options, 1, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_sessions(options, 2, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_token_budget(options, 512, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_ort_library_path(options, "/opt/libonnxruntime.so", NULL) == SPLADE_STATUS_OK);

  EXPECT_ERROR(splade_options_set_min_weight(options, -1.0f, &err), SPLADE_STATUS_INVALID_ARGUMENT, "min_weight");
  EXPECT_ERROR(splade_options_set_min_weight(options, NAN, &err), SPLADE_STATUS_INVALID_ARGUMENT, "min_weight");
  EXPECT_ERROR(splade_options_set_max_ratio(options, -0.1f, &err), SPLADE_STATUS_INVALID_ARGUMENT, "max_ratio");
  EXPECT_ERROR(splade_options_set_max_ratio(options, 1.5f, &err), SPLADE_STATUS_INVALID_ARGUMENT, "max_ratio");
  EXPECT_ERROR(splade_options_set_max_ratio(options, NAN, &err), SPLADE_STATUS_INVALID_ARGUMENT, "max_ratio");
  EXPECT_ERROR(splade_options_set_max_ratio(options, INFINITY, &err), SPLADE_STATUS_INVALID_ARGUMENT, "max_ratio");
  EXPECT_ERROR(splade_options_set_alpha_mass(options, 0.0f, &err), SPLADE_STATUS_INVALID_ARGUMENT, "alpha_mass");
  EXPECT_ERROR(splade_options_set_alpha_mass(options, 1.5f, &err), SPLADE_STATUS_INVALID_ARGUMENT, "alpha_mass");
  EXPECT_ERROR(splade_options_set_alpha_mass(options, NAN, &err), SPLADE_STATUS_INVALID_ARGUMENT, "alpha_mass");
  EXPECT_ERROR(splade_options_set_sessions(options, 0, &err), SPLADE_STATUS_INVALID_ARGUMENT, "sessions");
  EXPECT_ERROR(splade_options_set_max_windows(options, 0, &err), SPLADE_STATUS_INVALID_ARGUMENT, "max_windows");
  EXPECT_ERROR(splade_options_set_token_budget(options, 0, &err), SPLADE_STATUS_INVALID_ARGUMENT, "token_budget");
  /* Without an error object the status still comes back. */
  CHECK(splade_options_set_sessions(options, 0, NULL) == SPLADE_STATUS_INVALID_ARGUMENT);

  EXPECT_ERROR(splade_options_set_max_length(NULL, 1, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_top_k(NULL, 1, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_max_windows(NULL, 1, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_window_overlap(NULL, 1, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_drop_special_tokens(NULL, true, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_min_weight(NULL, 1.0f, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_max_ratio(NULL, 0.5f, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_alpha_mass(NULL, 0.5f, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_intra_op_threads(NULL, 1, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_sessions(NULL, 1, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_token_budget(NULL, 1, &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_ort_library_path(NULL, "x", &err), SPLADE_STATUS_NULL_ARGUMENT, "options");
  EXPECT_ERROR(splade_options_set_ort_library_path(options, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT, "path");
  splade_options_free(options);
  splade_options_free(NULL);
}

/* Must run before anything loads ONNX Runtime: a library that cannot be loaded is an error, not a crash. */
static void test_missing_runtime(void) {
  splade_options *options = splade_options_new();
  CHECK(splade_options_set_ort_library_path(options, "/nonexistent/libonnxruntime.so", NULL) == SPLADE_STATUS_OK);
  splade_expander *expander = (splade_expander *)&failures; /* sentinel: must stay untouched */
  EXPECT_ERROR(splade_expander_new(model("splade-tiny"), options, &expander, &err), SPLADE_STATUS_RUNTIME_UNAVAILABLE,
               "/nonexistent/libonnxruntime.so");
  CHECK(expander == (splade_expander *)&failures);
  splade_options_free(options);
}

static void test_bad_models(void) {
  splade_expander *expander = NULL;
  EXPECT_ERROR(splade_expander_new(NULL, NULL, &expander, &err), SPLADE_STATUS_NULL_ARGUMENT, "model_dir");
  EXPECT_ERROR(splade_expander_new(model("splade-tiny"), NULL, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "expander_out");
  EXPECT_ERROR(splade_expander_new("/nonexistent/model", NULL, &expander, &err), SPLADE_STATUS_MODEL_NOT_FOUND,
               "/nonexistent/model");
  EXPECT_ERROR(splade_expander_new(model("bad-output-shape"), NULL, &expander, &err), SPLADE_STATUS_INVALID_MODEL,
               "no usable output");
  EXPECT_ERROR(splade_expander_new(model("vocab-mismatch"), NULL, &expander, &err), SPLADE_STATUS_INVALID_MODEL,
               "1000");
  EXPECT_ERROR(splade_expander_new(model("bad-input-name"), NULL, &expander, &err), SPLADE_STATUS_INVALID_MODEL,
               "pixel_values");
  CHECK(expander == NULL);

  splade_options *options = splade_options_new();
  CHECK(splade_options_set_max_length(options, 100000, NULL) == SPLADE_STATUS_OK);
  EXPECT_ERROR(splade_expander_new(model("splade-tiny"), options, &expander, &err), SPLADE_STATUS_INVALID_ARGUMENT,
               "max_length");
  CHECK(splade_options_set_max_length(options, 64, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_max_windows(options, 2, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_window_overlap(options, 62, NULL) == SPLADE_STATUS_OK);
  EXPECT_ERROR(splade_expander_new(model("splade-tiny"), options, &expander, &err), SPLADE_STATUS_INVALID_ARGUMENT,
               "window_overlap");
  CHECK(splade_options_set_max_windows(options, 1, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_max_length(options, 0, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_ort_library_path(options, "/lib/x86_64-linux-gnu/libm.so.6", NULL) == SPLADE_STATUS_OK);
  EXPECT_ERROR(splade_expander_new(model("splade-tiny"), options, &expander, &err),
               SPLADE_STATUS_RUNTIME_UNAVAILABLE, "already loaded");
  splade_options_free(options);
}

static void test_expand(splade_expander *expander) {
  CHECK(splade_expander_vocab_size(expander) == 30522);
  CHECK(splade_expander_max_length(expander) == 512);
  CHECK(splade_expander_vocab_size(NULL) == 0);
  CHECK(splade_expander_max_length(NULL) == 0);
  /* The estimate counts at least the decoder's float32 matrix and the graph's word embeddings (each vocabulary ×
   * 128 hidden values of 4 bytes; the embeddings are in model.onnx_data). */
  CHECK(splade_expander_native_size(expander) >= (size_t)2 * 30522 * 128 * 4);
  CHECK(splade_expander_native_size(NULL) == 0);

  splade_sparse_vector *vector = NULL;
  CHECK(splade_expander_expand(expander, (const uint8_t *)EXAMPLE, strlen(EXAMPLE), &vector, NULL) ==
        SPLADE_STATUS_OK);
  CHECK(vector != NULL && vector->len > 20);
  size_t top = 0;
  for (size_t i = 0; i < vector->len; i++) {
    CHECK(vector->weights[i] > 0.0f);
    if (i > 0) CHECK(vector->indices[i - 1] < vector->indices[i]);
    if (vector->weights[i] > vector->weights[top]) top = i;
  }
  const char *token = NULL;
  CHECK(splade_expander_token(expander, vector->indices[top], &token, NULL) == SPLADE_STATUS_OK);
  CHECK(token != NULL && strcmp(token, "manhattan") == 0);

  /* (NULL, 0) is the empty text: [CLS] [SEP] still expand to some terms. */
  splade_sparse_vector *empty = NULL;
  CHECK(splade_expander_expand(expander, NULL, 0, &empty, NULL) == SPLADE_STATUS_OK);
  CHECK(empty != NULL && empty->len > 0);

  splade_sparse_vector *untouched = (splade_sparse_vector *)&failures;
  const uint8_t bad_utf8[] = {'a', 't', 'o', 'm', 0xff, 0xfe};
  EXPECT_ERROR(splade_expander_expand(expander, bad_utf8, sizeof bad_utf8, &untouched, &err),
               SPLADE_STATUS_INVALID_UTF8, "offset 4");
  EXPECT_ERROR(splade_expander_expand(expander, NULL, 5, &untouched, &err), SPLADE_STATUS_NULL_ARGUMENT, "text");
  EXPECT_ERROR(splade_expander_expand(NULL, (const uint8_t *)"a", 1, &untouched, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "expander");
  EXPECT_ERROR(splade_expander_expand(expander, (const uint8_t *)"a", 1, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "vector_out");
  CHECK(untouched == (splade_sparse_vector *)&failures);

  EXPECT_ERROR(splade_expander_token(expander, 30522, &token, &err), SPLADE_STATUS_OUT_OF_RANGE, "30522");
  EXPECT_ERROR(splade_expander_token(expander, 0xffffffffu, &token, &err), SPLADE_STATUS_OUT_OF_RANGE, "4294967295");
  EXPECT_ERROR(splade_expander_token(expander, 1, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT, "token_out");
  EXPECT_ERROR(splade_expander_token(NULL, 1, &token, &err), SPLADE_STATUS_NULL_ARGUMENT, "expander");

  /* The bulk lookup gives, for every id of the vector, the string splade_expander_token gives. */
  const char **tokens = malloc(vector->len * sizeof *tokens);
  CHECK(splade_expander_tokens(expander, vector->indices, vector->len, tokens, NULL) == SPLADE_STATUS_OK);
  for (size_t i = 0; i < vector->len; i++) {
    const char *one = NULL;
    CHECK(splade_expander_token(expander, vector->indices[i], &one, NULL) == SPLADE_STATUS_OK);
    CHECK(one != NULL && tokens[i] != NULL && strcmp(tokens[i], one) == 0);
  }
  CHECK(strcmp(tokens[top], "manhattan") == 0);
  free(tokens);
  /* An id outside the vocabulary in the middle fails, naming it and its index, and writes nothing. */
  const uint32_t with_bad_id[] = {vector->indices[0], 30522, vector->indices[1]};
  const char *untouched_tokens[3] = {EXAMPLE, EXAMPLE, EXAMPLE};
  EXPECT_ERROR(splade_expander_tokens(expander, with_bad_id, 3, untouched_tokens, &err), SPLADE_STATUS_OUT_OF_RANGE,
               "ids[1]: token id 30522");
  for (size_t i = 0; i < 3; i++) CHECK(untouched_tokens[i] == EXAMPLE);
  EXPECT_ERROR(splade_expander_tokens(NULL, with_bad_id, 1, untouched_tokens, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "expander");
  EXPECT_ERROR(splade_expander_tokens(expander, NULL, 1, untouched_tokens, &err), SPLADE_STATUS_NULL_ARGUMENT, "ids");
  EXPECT_ERROR(splade_expander_tokens(expander, with_bad_id, 1, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "tokens_out");
  EXPECT_ERROR(splade_expander_tokens(NULL, NULL, 0, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT, "expander");
  CHECK(untouched_tokens[0] == EXAMPLE);
  /* Count 0: nothing to look up, NULL arrays allowed, nothing written. */
  CHECK(splade_expander_tokens(expander, NULL, 0, NULL, NULL) == SPLADE_STATUS_OK);
  CHECK(splade_expander_tokens(expander, with_bad_id, 0, untouched_tokens, NULL) == SPLADE_STATUS_OK);
  for (size_t i = 0; i < 3; i++) CHECK(untouched_tokens[i] == EXAMPLE);

  /* A batch gives the same vectors, in text order, viewing into its two shared arrays. */
  const char *texts[] = {EXAMPLE, "", "atomic energy"};
  const uint8_t *ptrs[] = {(const uint8_t *)texts[0], NULL, (const uint8_t *)texts[2]};
  size_t lens[] = {strlen(texts[0]), 0, strlen(texts[2])};
  splade_sparse_batch *batch = NULL;
  CHECK(splade_expander_expand_batch(expander, ptrs, lens, 3, &batch, NULL) == SPLADE_STATUS_OK);
  CHECK(batch != NULL && batch->count == 3);
  size_t offset = 0;
  for (size_t i = 0; i < batch->count; i++) {
    CHECK(batch->vectors[i].indices == batch->indices + offset);
    CHECK(batch->vectors[i].weights == batch->weights + offset);
    offset += batch->vectors[i].len;
  }
  CHECK(offset == batch->total_len);
  CHECK(vectors_equal(&batch->vectors[0], vector));
  CHECK(vectors_equal(&batch->vectors[1], empty));
  splade_sparse_vector *third = NULL;
  CHECK(splade_expander_expand(expander, ptrs[2], lens[2], &third, NULL) == SPLADE_STATUS_OK);
  CHECK(third != NULL && third->len > 0 && vectors_equal(&batch->vectors[2], third));
  splade_sparse_vector_free(third);
  splade_sparse_batch_free(batch);

  splade_sparse_batch *none = NULL;
  CHECK(splade_expander_expand_batch(expander, NULL, NULL, 0, &none, NULL) == SPLADE_STATUS_OK);
  CHECK(none != NULL && none->count == 0 && none->total_len == 0);
  splade_sparse_batch_free(none);

  splade_sparse_batch *untouched_batch = NULL;
  const uint8_t *with_null[] = {(const uint8_t *)"a", NULL};
  size_t with_null_lens[] = {1, 3};
  EXPECT_ERROR(splade_expander_expand_batch(expander, with_null, with_null_lens, 2, &untouched_batch, &err),
               SPLADE_STATUS_NULL_ARGUMENT, "texts[1]");
  const uint8_t *with_bad[] = {(const uint8_t *)"a", (const uint8_t *)"b", bad_utf8};
  size_t with_bad_lens[] = {1, 1, sizeof bad_utf8};
  EXPECT_ERROR(splade_expander_expand_batch(expander, with_bad, with_bad_lens, 3, &untouched_batch, &err),
               SPLADE_STATUS_INVALID_UTF8, "texts[2]");
  EXPECT_ERROR(splade_expander_expand_batch(expander, NULL, lens, 3, &untouched_batch, &err),
               SPLADE_STATUS_NULL_ARGUMENT, "texts");
  EXPECT_ERROR(splade_expander_expand_batch(expander, ptrs, NULL, 3, &untouched_batch, &err),
               SPLADE_STATUS_NULL_ARGUMENT, "text_lens");
  EXPECT_ERROR(splade_expander_expand_batch(expander, ptrs, lens, 3, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "batch_out");
  EXPECT_ERROR(splade_expander_expand_batch(NULL, ptrs, lens, 3, &untouched_batch, &err),
               SPLADE_STATUS_NULL_ARGUMENT, "expander");
  CHECK(untouched_batch == NULL);

  splade_sparse_vector_free(vector);
  splade_sparse_vector_free(empty);
  splade_sparse_vector_free(NULL);
  splade_sparse_batch_free(NULL);
}

static const char *SHORT = "atomic energy";

static void test_json(splade_expander *expander) {
  splade_sparse_vector *vector = NULL;
  CHECK(splade_expander_expand(expander, (const uint8_t *)EXAMPLE, strlen(EXAMPLE), &vector, NULL) ==
        SPLADE_STATUS_OK);
  const uint32_t formats[] = {SPLADE_FORMAT_INDICES_VALUES, SPLADE_FORMAT_TOKEN_WEIGHTS, SPLADE_FORMAT_ELASTICSEARCH,
                              SPLADE_FORMAT_IMPACTS, SPLADE_FORMAT_TEI};
  const char *expected[] = {"{\"indices\":[", "\"manhattan\":", "\"manhattan\":", "\"manhattan\":", "[{\"index\":"};
  for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
    char *json = NULL;
    size_t len = 0;
    CHECK(splade_expander_to_json(expander, vector, formats[i], 100.0f, &json, &len, NULL) == SPLADE_STATUS_OK);
    CHECK(json != NULL && strlen(json) == len && strstr(json, expected[i]) != NULL);
    splade_string_free(json);
  }
  char *json = (char *)&failures;
  EXPECT_ERROR(splade_expander_to_json(expander, vector, 99, 1.0f, &json, NULL, &err), SPLADE_STATUS_INVALID_ARGUMENT,
               "format 99");
  EXPECT_ERROR(splade_expander_to_json(expander, vector, SPLADE_FORMAT_IMPACTS, 0.0f, &json, NULL, &err),
               SPLADE_STATUS_INVALID_ARGUMENT, "scale");
  EXPECT_ERROR(splade_expander_to_json(NULL, vector, 0, 1.0f, &json, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "expander");
  EXPECT_ERROR(splade_expander_to_json(expander, NULL, 0, 1.0f, &json, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "vector");
  EXPECT_ERROR(splade_expander_to_json(expander, vector, 0, 1.0f, NULL, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "json_out");
  /* A caller's own vector: an id outside the vocabulary is refused. */
  const uint32_t ids[] = {7, 99999};
  const float weights[] = {1.0f, 2.0f};
  splade_sparse_vector mine = {ids, weights, 2};
  EXPECT_ERROR(splade_expander_to_json(expander, &mine, SPLADE_FORMAT_TOKEN_WEIGHTS, 1.0f, &json, NULL, &err),
               SPLADE_STATUS_OUT_OF_RANGE, "99999");
  /* A caller's vector that breaks a rule is refused, naming the term: duplicate or descending ids, weights that
   * are NaN, infinite, negative or 0, and an impact past the 32-bit integers Anserini reads. */
  const uint32_t twice[] = {7, 9, 9};
  const uint32_t descending[] = {9, 7};
  const float ones[] = {1.0f, 1.0f, 1.0f};
  const float nan_weight[] = {1.0f, NAN};
  const float inf_weight[] = {INFINITY, 1.0f};
  const float negative[] = {1.0f, -0.5f};
  const float zero[] = {0.0f, 1.0f};
  const float heavy[] = {3.0e7f, 1.0f};
  const struct {
    splade_sparse_vector vector;
    uint32_t format;
    float scale;
    const char *words;
  } refused[] = {
      {{twice, ones, 3}, SPLADE_FORMAT_INDICES_VALUES, 1.0f, "term 2: id 9 follows id 9"},
      {{descending, ones, 2}, SPLADE_FORMAT_TEI, 1.0f, "term 1: id 7 follows id 9"},
      {{twice, nan_weight, 2}, SPLADE_FORMAT_TOKEN_WEIGHTS, 1.0f, "term 1 (id 9): weight NaN"},
      {{descending, inf_weight, 1}, SPLADE_FORMAT_ELASTICSEARCH, 1.0f, "term 0 (id 9): weight inf"},
      {{twice, negative, 2}, SPLADE_FORMAT_INDICES_VALUES, 1.0f, "term 1 (id 9): weight -0.5"},
      {{twice, zero, 2}, SPLADE_FORMAT_IMPACTS, 100.0f, "term 0 (id 7): weight 0"},
      {{twice, heavy, 1}, SPLADE_FORMAT_IMPACTS, 100.0f, "weight 30000000 at scale 100 makes impact 3000000000"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    EXPECT_ERROR(splade_expander_to_json(expander, &refused[i].vector, refused[i].format, refused[i].scale, &json, NULL,
                                         &err),
                 SPLADE_STATUS_INVALID_ARGUMENT, refused[i].words);
  }
  /* The same weight fits at a smaller scale. */
  char *fits = NULL;
  CHECK(splade_expander_to_json(expander, &refused[6].vector, SPLADE_FORMAT_IMPACTS, 50.0f, &fits, NULL, NULL) ==
        SPLADE_STATUS_OK);
  CHECK(fits != NULL && strstr(fits, ":1500000000}") != NULL);
  splade_string_free(fits);
  splade_sparse_vector nulls = {NULL, NULL, 1};
  EXPECT_ERROR(splade_expander_to_json(expander, &nulls, 0, 1.0f, &json, NULL, &err), SPLADE_STATUS_NULL_ARGUMENT,
               "vector->indices");
  CHECK(json == (char *)&failures);
  splade_string_free(NULL);
  splade_sparse_vector_free(vector);
}

struct worker {
  splade_expander *expander;
  const splade_sparse_vector *expected;
  int mismatches;
};

static void *expand_repeatedly(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < 2; i++) {
    splade_sparse_vector *v = NULL;
    if (splade_expander_expand(w->expander, (const uint8_t *)SHORT, strlen(SHORT), &v, NULL) !=
            SPLADE_STATUS_OK ||
        !vectors_equal(v, w->expected))
      w->mismatches++;
    splade_sparse_vector_free(v);
  }
  return NULL;
}

static void test_threads(splade_expander *expander) {
  splade_sparse_vector *expected = NULL;
  CHECK(splade_expander_expand(expander, (const uint8_t *)SHORT, strlen(SHORT), &expected, NULL) ==
        SPLADE_STATUS_OK);
  pthread_t threads[4];
  struct worker workers[4];
  for (int i = 0; i < 4; i++) {
    workers[i] = (struct worker){expander, expected, 0};
    CHECK(pthread_create(&threads[i], NULL, expand_repeatedly, &workers[i]) == 0);
  }
  for (int i = 0; i < 4; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].mismatches == 0);
  }
  splade_sparse_vector_free(expected);
}

/* One reference vector: a text and its terms, as tests/c/reference_to_bin.py writes them. */
typedef struct {
  uint8_t *text;
  uint32_t text_len, len;
  uint32_t *indices;
  float *weights;
} reference_vector;

/* Reads the first `limit` reference vectors of `path` into `*out` (to free with free_references); returns their
 * count. */
static size_t read_references(const char *path, size_t limit, reference_vector **out) {
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  size_t count = 0, cap = 0;
  reference_vector *refs = NULL;
  uint32_t text_len;
  while (f && count < limit && fread(&text_len, 4, 1, f) == 1) {
    if (count == cap) {
      cap = cap ? 2 * cap : 64;
      refs = realloc(refs, cap * sizeof *refs);
    }
    reference_vector *r = &refs[count++];
    r->text_len = text_len;
    r->text = malloc(text_len + 1);
    CHECK(fread(r->text, 1, text_len, f) == text_len && fread(&r->len, 4, 1, f) == 1);
    r->indices = malloc((r->len + 1) * sizeof(uint32_t));
    r->weights = malloc((r->len + 1) * sizeof(float));
    CHECK(fread(r->indices, 4, r->len, f) == r->len && fread(r->weights, 4, r->len, f) == r->len);
  }
  if (f) fclose(f);
  *out = refs;
  return count;
}

static void free_references(reference_vector *refs, size_t count) {
  for (size_t i = 0; i < count; i++) {
    free(refs[i].text);
    free(refs[i].indices);
    free(refs[i].weights);
  }
  free(refs);
}

/* The same ids as the reference, and weights within the parity tolerance (1e-5). */
static int matches_reference(const splade_sparse_vector *v, const reference_vector *r) {
  if (v->len != r->len || (v->len > 0 && memcmp(v->indices, r->indices, v->len * sizeof(uint32_t)) != 0)) return 0;
  for (size_t i = 0; i < v->len; i++) {
    if (fabsf(v->weights[i] - r->weights[i]) > 1e-5f) return 0;
  }
  return 1;
}

/* The vectors the C API gives, one text at a time and as one batch, are the reference implementation's (the
 * independent Python pipeline of tools/reference.py) for the first `limit` parity texts. */
static void test_parity(splade_expander *expander, const char *reference_path, size_t limit) {
  reference_vector *refs = NULL;
  size_t count = read_references(reference_path, limit, &refs);
  CHECK(count == limit || (limit == SIZE_MAX && count >= 100));
  const uint8_t **texts = malloc(count * sizeof *texts);
  size_t *lens = malloc(count * sizeof *lens);
  for (size_t i = 0; i < count; i++) {
    texts[i] = refs[i].text;
    lens[i] = refs[i].text_len;
    splade_sparse_vector *v = NULL;
    CHECK(splade_expander_expand(expander, texts[i], lens[i], &v, NULL) == SPLADE_STATUS_OK);
    if (v && !matches_reference(v, &refs[i])) {
      fprintf(stderr, "reference text %zu: the single call differs\n", i);
      failures++;
    }
    splade_sparse_vector_free(v);
  }
  splade_sparse_batch *batch = NULL;
  CHECK(splade_expander_expand_batch(expander, texts, lens, count, &batch, NULL) == SPLADE_STATUS_OK);
  CHECK(batch != NULL && batch->count == count);
  for (size_t i = 0; batch && i < batch->count; i++) {
    if (!matches_reference(&batch->vectors[i], &refs[i])) {
      fprintf(stderr, "reference text %zu: the batch differs\n", i);
      failures++;
    }
  }
  splade_sparse_batch_free(batch);
  free(texts);
  free(lens);
  free_references(refs, count);
}

/* Heaviest first, ties to the smaller id (for qsort over indices into the terms of `ranked_vector`). */
static const splade_sparse_vector *ranked_vector;
static int heaviest_first(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  float wi = ranked_vector->weights[i], wj = ranked_vector->weights[j];
  if (wi != wj) return wi > wj ? -1 : 1;
  return ranked_vector->indices[i] < ranked_vector->indices[j] ? -1 : 1;
}

/* Expands EXAMPLE on an expander opened with one pruning option set (`set` with `value`) and checks the vector
 * against `full` (the example's unpruned vector) pruned by hand: `keep[i]` says whether term i of `full` stays. */
static void check_pruned(const splade_sparse_vector *full, const bool *keep,
                         splade_status (*set)(splade_options *, float, splade_error **), float value) {
  splade_options *options = splade_options_new();
  CHECK(set(options, value, NULL) == SPLADE_STATUS_OK);
  splade_expander *expander = NULL;
  CHECK(splade_expander_new(model("splade-tiny"), options, &expander, NULL) == SPLADE_STATUS_OK);
  splade_options_free(options);
  splade_sparse_vector *pruned = NULL;
  CHECK(splade_expander_expand(expander, (const uint8_t *)EXAMPLE, strlen(EXAMPLE), &pruned, NULL) ==
        SPLADE_STATUS_OK);
  size_t kept = 0;
  for (size_t i = 0; i < full->len; i++) kept += keep[i];
  CHECK(pruned != NULL && pruned->len == kept && kept > 0 && kept < full->len);
  for (size_t i = 0, j = 0; pruned && pruned->len == kept && i < full->len; i++) {
    if (keep[i]) {
      CHECK(pruned->indices[j] == full->indices[i] && pruned->weights[j] == full->weights[i]);
      j++;
    }
  }
  splade_sparse_vector_free(pruned);
  splade_expander_free(expander);
}

/* max_ratio 0.3 keeps the weights >= 0.3f × the largest (a float product); alpha_mass 0.5 the fewest heaviest
 * terms whose sum (in double) reaches half the total. */
static void test_pruning(splade_expander *expander) {
  splade_sparse_vector *full = NULL;
  CHECK(splade_expander_expand(expander, (const uint8_t *)EXAMPLE, strlen(EXAMPLE), &full, NULL) ==
        SPLADE_STATUS_OK);
  if (full == NULL || full->len == 0) return;
  bool *keep = calloc(full->len, sizeof *keep);
  size_t *order = calloc(full->len, sizeof *order);
  float max = 0.0f;
  double total = 0.0;
  for (size_t i = 0; i < full->len; i++) {
    if (full->weights[i] > max) max = full->weights[i];
    order[i] = i;
  }
  for (size_t i = 0; i < full->len; i++) keep[i] = full->weights[i] >= 0.3f * max;
  check_pruned(full, keep, splade_options_set_max_ratio, 0.3f);

  ranked_vector = full;
  qsort(order, full->len, sizeof *order, heaviest_first);
  for (size_t r = 0; r < full->len; r++) total += full->weights[order[r]];
  memset(keep, 0, full->len * sizeof *keep);
  double sum = 0.0;
  for (size_t r = 0; r < full->len && sum < 0.5 * total; r++) {
    sum += full->weights[order[r]];
    keep[order[r]] = true;
  }
  check_pruned(full, keep, splade_options_set_alpha_mass, 0.5f);
  free(order);
  free(keep);
  splade_sparse_vector_free(full);
}

/* Misuses a handle as `which` says (the child side of test_misused_handles); returns only if the library let the
 * misuse pass. */
static int misuse(const char *which) {
  splade_expander *expander = NULL;
  splade_error *error = NULL;
  if (splade_expander_new(model("splade-tiny"), NULL, &expander, &error) != SPLADE_STATUS_OK) {
    fprintf(stderr, "cannot open splade-tiny: %s\n", splade_error_message(error));
    return 1;
  }
  splade_options *options = splade_options_new();
  CHECK(splade_options_set_top_k(options, 1, &error) == SPLADE_STATUS_OK);
  CHECK(splade_options_set_sessions(options, 0, &error) == SPLADE_STATUS_INVALID_ARGUMENT);
  if (strcmp(which, "expander-double-free") == 0) {
    splade_expander_free(expander);
    splade_expander_free(expander);
  } else if (strcmp(which, "expander-use-after-free") == 0) {
    splade_expander_free(expander);
    splade_sparse_vector *vector = NULL;
    splade_expander_expand(expander, (const uint8_t *)SHORT, strlen(SHORT), &vector, NULL);
  } else if (strcmp(which, "options-double-free") == 0) {
    splade_options_free(options);
    splade_options_free(options);
  } else if (strcmp(which, "error-double-free") == 0) {
    splade_error_free(error);
    splade_error_free(error);
  } else {
    fprintf(stderr, "no misuse case %s\n", which);
  }
  return 1;
}

/* A second free, or a use after free, of an opaque handle whose memory is not yet reused aborts with a message on
 * stderr naming the function. Each case runs in a child: this program executed anew with --misuse, so that under
 * valgrind (which does not follow an exec by default) the misuse runs natively and the parent stays clean.
 * Under AddressSanitizer (`make test-sanitizers`, which builds the library with it too and sets abort_on_error),
 * the library's read of the freed handle's tag word is itself the error ASan exists to catch: the child must abort
 * with ASan's use-after-free report, with the function in its stack, instead of the library's message. */
static void test_misused_handles(const char *self) {
  const char *cases[][2] = {
      {"expander-double-free", "splade_expander_free"},
      {"expander-use-after-free", "splade_expander_expand"},
      {"options-double-free", "splade_options_free"},
      {"error-double-free", "splade_error_free"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(self, self, "--misuse", cases[i][0], models, (char *)NULL);
      _exit(127);
    }
    close(fds[1]);
    /* The first 16 KiB are kept; the rest is read and dropped, so that a long report never blocks the child. */
    char stderr_text[16384] = {0};
    char chunk[4096];
    size_t used = 0;
    ssize_t got;
    while ((got = read(fds[0], chunk, sizeof chunk)) > 0) {
      size_t keep = sizeof stderr_text - 1 - used;
      if ((size_t)got < keep) {
        keep = (size_t)got;
      }
      memcpy(stderr_text + used, chunk, keep);
      used += keep;
    }
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
#ifdef UNDER_ASAN
    char frame[128];
    snprintf(frame, sizeof frame, " in %s ", cases[i][1]);
    bool reported = strstr(stderr_text, "ERROR: AddressSanitizer: heap-use-after-free") != NULL &&
                    strstr(stderr_text, frame) != NULL;
#else
    char expected[256];
    snprintf(expected, sizeof expected, "spladerunner: %s was given a handle that is already freed", cases[i][1]);
    bool reported = strstr(stderr_text, expected) != NULL;
#endif
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT || !reported) {
      fprintf(stderr, "misuse %s: status %d, stderr: %s\n", cases[i][0], status, stderr_text);
      failures++;
    }
  }
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--misuse") == 0) {
    snprintf(models, sizeof models, "%s", argv[3]);
    return misuse(argv[2]);
  }
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s MODELS_DIR REFERENCE_BIN [REFERENCE_TEXTS]\n", argv[0]);
    return 2;
  }
  /* Under valgrind, which runs the portable kernels slowly, a few reference texts; natively, all of them. */
  size_t reference_texts = argc == 4 ? strtoul(argv[3], NULL, 10) : SIZE_MAX;
  snprintf(models, sizeof models, "%s", argv[1]);

  test_version_and_status_names();
  test_misused_handles(argv[0]);
  test_options();
  test_missing_runtime();

  splade_options *options = splade_options_new();
  CHECK(splade_options_set_sessions(options, 2, NULL) == SPLADE_STATUS_OK);
  splade_expander *expander = NULL;
  splade_error *error = NULL;
  if (splade_expander_new(model("splade-tiny"), options, &expander, &error) != SPLADE_STATUS_OK) {
    fprintf(stderr, "cannot open splade-tiny: %s\n", splade_error_message(error));
    splade_error_free(error);
    return 1;
  }
  splade_options_free(options);

  test_bad_models();
  test_expand(expander);
  test_pruning(expander);
  test_parity(expander, argv[2], reference_texts);
  test_json(expander);
  test_threads(expander);
  splade_expander_free(expander);
  splade_expander_free(NULL);

  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("C API: all checks passed\n");
  return 0;
}
