/*
 * The Node binding of spladerunner: an N-API addon in plain C over include/spladerunner.h, nothing else.
 *
 * A thin skin. Every check on values (option ranges, UTF-8, ids, model files) is the C library's; this file
 * only converts JavaScript values to C ones and back:
 * - A wrong JavaScript type throws a TypeError (code 'ERR_INVALID_ARG_TYPE') synchronously, even from the
 *   methods that return a Promise. A number the C parameter cannot hold (a negative or fractional size, an id
 *   outside uint32) gets the status the C library gives out-of-range values of that parameter.
 * - A C failure becomes an Error whose `code` is the status name (splade_status_name) and `status` its number
 *   (see splade_error_value). Use after close() is SPLADE_STATUS_CLOSED.
 * - Text crosses as UTF-8 copied into buffers owned here (napi_get_value_string_utf8), because JavaScript
 *   strings cannot be read off the main thread. Lone surrogates become U+FFFD, as in every V8 UTF-8 conversion.
 * - expand() and expandBatch() run the C call as napi async work on the libuv thread pool and settle a Promise
 *   on the main thread; the Sync variants call C directly.
 *
 * Lifetime. The JavaScript Expander wraps a `handle` (napi_wrap with a finalizer). The C expander may not be
 * freed while a pool thread uses it, so the handle counts the async works in flight: close() and the finalizer
 * only mark the handle, and whoever brings the count to zero (close, the finalizer, or the last completing work)
 * frees the expander. All of this bookkeeping happens on the main thread (N-API calls close, the finalizer and
 * the completions there), so it needs no lock; the pool threads only read the expander pointer copied into
 * their work.
 *
 * Native memory. V8 cannot see what an expander holds outside its heap, so an Expander dropped without close()
 * looks like a few bytes and may wait indefinitely for a collection while its process grows. Each expander's
 * estimate (splade_expander_native_size) is reported with napi_adjust_external_memory when it is created, and
 * taken back when it is freed (once, by whichever of close, the finalizer or the last work frees it), so that
 * V8 collects sooner when unclosed expanders pile up.
 */
#include <node_api.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spladerunner.h"

/* C expanders alive in this process, across every Node environment (worker threads): read by the tests. */
static atomic_size_t live_expanders;

/* Marks the objects this addon wrapped, so that a method called on any other object throws instead of
 * unwrapping a foreign pointer. */
static const napi_type_tag EXPANDER_TAG = {0x73706c6164657275ULL, 0x6e6e65722e6e6f64ULL};

/* What a JavaScript Expander wraps. Touched only on the main thread. */
typedef struct handle {
  splade_expander *expander; /* NULL once freed */
  size_t pending;            /* async works queued and not yet completed */
  int64_t native_size;       /* reported to V8 as external memory while `expander` is not NULL */
  bool closed;               /* close() was called, or the object was collected */
  bool collected;            /* the finalizer ran: the handle frees itself once `pending` is 0 */
} handle;

/* Frees the expander once it is closed and no work uses it, and the handle once the object is gone too. */
static void handle_release_if_done(napi_env env, handle *h) {
  if (h->pending > 0) return;
  if (h->closed && h->expander != NULL) {
    splade_expander_free(h->expander);
    h->expander = NULL;
    atomic_fetch_sub(&live_expanders, 1);
    int64_t unused;
    napi_adjust_external_memory(env, -h->native_size, &unused);
  }
  if (h->collected) free(h);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  handle *h = data;
  h->closed = true;
  h->collected = true;
  handle_release_if_done(env, h);
}

/* ---- errors ---------------------------------------------------------------------------------------------- */

/* Throws an Error for a failed N-API call, unless one is already pending. */
static void throw_napi_failure(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *message = info != NULL && info->error_message != NULL ? info->error_message : "N-API call failed";
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, message);
}

/* For functions returning napi_value: on failure throw and return NULL. Only where nothing needs freeing. */
#define CALL(env, call)           \
  do {                            \
    if ((call) != napi_ok) {      \
      throw_napi_failure(env);    \
      return NULL;                \
    }                             \
  } while (0)

/* The one place a C failure becomes a JavaScript Error: `message` (the C library's), `code` the status name,
 * `status` the number. Returns NULL (with an exception pending) if the Error itself cannot be made. */
static napi_value splade_error_value(napi_env env, int status, const char *message) {
  napi_value code, text, error, number;
  if (message == NULL || message[0] == '\0') message = splade_status_name(status);
  if (napi_create_string_utf8(env, splade_status_name(status), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) != napi_ok ||
      napi_create_error(env, code, text, &error) != napi_ok || napi_create_int32(env, status, &number) != napi_ok ||
      napi_set_named_property(env, error, "status", number) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  return error;
}

/* Throws the Error for `status` with `message`. Returns NULL for the caller to return. */
static napi_value throw_status(napi_env env, int status, const char *message) {
  napi_value value = splade_error_value(env, status, message);
  if (value != NULL) napi_throw(env, value);
  return NULL;
}

/* Throws the Error for a C failure and frees `error` (which may be NULL). Returns NULL for the caller to return. */
static napi_value throw_splade(napi_env env, splade_status status, splade_error *error) {
  throw_status(env, (int)status, splade_error_message(error));
  splade_error_free(error);
  return NULL;
}

#define CLOSED_MESSAGE "the Expander is closed"

static napi_value throw_closed(napi_env env) { return throw_status(env, SPLADE_STATUS_CLOSED, CLOSED_MESSAGE); }

/* Throws a TypeError with code ERR_INVALID_ARG_TYPE (Node's code for it); always returns false. */
static bool type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return false;
}

/* The exception pending now (cleared), or an Error saying so when there is none; for rejecting a Promise. */
static napi_value take_exception(napi_env env) {
  napi_value value = NULL;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &value) == napi_ok)
    return value;
  napi_value text;
  napi_create_string_utf8(env, "spladerunner: an N-API call failed", NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, NULL, text, &value);
  return value;
}

/* ---- JavaScript values to C -------------------------------------------------------------------------------- */

static bool is_type(napi_env env, napi_value value, napi_valuetype wanted) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && type == wanted;
}

static bool is_nullish(napi_env env, napi_value value) {
  napi_valuetype type;
  return napi_typeof(env, value, &type) == napi_ok && (type == napi_undefined || type == napi_null);
}

/* The UTF-8 length of the string `value`, or false (having thrown "<what> must be a string"). */
static bool utf8_length(napi_env env, napi_value value, const char *what, size_t *length) {
  if (!is_type(env, value, napi_string)) {
    char message[96];
    snprintf(message, sizeof message, "%s must be a string", what);
    return type_error(env, message);
  }
  if (napi_get_value_string_utf8(env, value, NULL, 0, length) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  return true;
}

/* Copies the string `value` as UTF-8 into a new NUL-terminated buffer (free it), or returns false having thrown. */
static bool utf8_copy(napi_env env, napi_value value, const char *what, char **bytes, size_t *length) {
  size_t len, copied;
  if (!utf8_length(env, value, what, &len)) return false;
  char *buffer = malloc(len + 1);
  if (buffer == NULL) {
    napi_throw_error(env, NULL, "spladerunner: out of memory");
    return false;
  }
  if (napi_get_value_string_utf8(env, value, buffer, len + 1, &copied) != napi_ok) {
    free(buffer);
    throw_napi_failure(env);
    return false;
  }
  *bytes = buffer;
  *length = copied;
  return true;
}

/* A path: a string without NUL characters (C paths end at the first NUL, so it would name another file). */
static bool path_copy(napi_env env, napi_value value, const char *what, char **path) {
  size_t length;
  if (!utf8_copy(env, value, what, path, &length)) return false;
  if (strlen(*path) != length) {
    char message[128];
    snprintf(message, sizeof message, "%s must be a path without NUL characters", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", message);
    free(*path);
    *path = NULL;
    return false;
  }
  return true;
}

/* A number as an unsigned integer at most `max`: false (nothing thrown) when it is negative, fractional,
 * not finite or larger. */
static bool whole_number(double d, double max, uint64_t *out) {
  if (!(d >= 0 && d <= max)) return false;
  uint64_t n = (uint64_t)d;
  if ((double)n != d) return false;
  *out = n;
  return true;
}

/* The texts of a batch, copied into one buffer. */
typedef struct texts {
  char *bytes;
  const uint8_t **texts;
  size_t *lens;
  size_t count;
} texts;

static void texts_free(texts *t) {
  free(t->bytes);
  free(t->texts);
  free(t->lens);
  memset(t, 0, sizeof *t);
}

/* Copies an array of strings; false having thrown (TypeError naming the first non-string element). */
static bool texts_copy(napi_env env, napi_value array, texts *out) {
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, array, &is_array) != napi_ok || !is_array)
    return type_error(env, "texts must be an array of strings");
  if (napi_get_array_length(env, array, &count) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  texts t = {0};
  napi_value *values = malloc(((size_t)count + 1) * sizeof *values);
  t.texts = malloc(((size_t)count + 1) * sizeof *t.texts);
  t.lens = malloc(((size_t)count + 1) * sizeof *t.lens);
  t.count = count;
  size_t total = 0;
  bool ok = values != NULL && t.texts != NULL && t.lens != NULL;
  if (!ok) napi_throw_error(env, NULL, "spladerunner: out of memory");
  /* Pass 1: the elements (read once: a getter runs once) and their UTF-8 lengths. */
  for (uint32_t i = 0; ok && i < count; i++) {
    char what[48];
    snprintf(what, sizeof what, "texts[%u]", (unsigned)i);
    if (napi_get_element(env, array, i, &values[i]) != napi_ok) {
      throw_napi_failure(env);
      ok = false;
    } else {
      ok = utf8_length(env, values[i], what, &t.lens[i]);
      total += ok ? t.lens[i] : 0;
    }
  }
  /* Pass 2: the bytes, one text after the other (each copy's NUL is overwritten by the next text). */
  if (ok) {
    t.bytes = malloc(total + 1);
    if (t.bytes == NULL) {
      napi_throw_error(env, NULL, "spladerunner: out of memory");
      ok = false;
    }
  }
  size_t offset = 0;
  for (uint32_t i = 0; ok && i < count; i++) {
    size_t copied = 0;
    if (napi_get_value_string_utf8(env, values[i], t.bytes + offset, t.lens[i] + 1, &copied) != napi_ok) {
      throw_napi_failure(env);
      ok = false;
      break;
    }
    t.texts[i] = (const uint8_t *)(t.bytes + offset);
    t.lens[i] = copied;
    offset += copied;
  }
  free(values);
  if (!ok) {
    texts_free(&t);
    return false;
  }
  *out = t;
  return true;
}

/* ---- C results to JavaScript ------------------------------------------------------------------------------- */

/* A fresh typed array holding a copy of `len` 4-byte elements. */
static napi_value typed_array_copy(napi_env env, napi_typedarray_type type, const void *data, size_t len) {
  void *buffer_data = NULL;
  napi_value buffer, array;
  CALL(env, napi_create_arraybuffer(env, len * 4, &buffer_data, &buffer));
  if (len > 0) memcpy(buffer_data, data, len * 4);
  CALL(env, napi_create_typedarray(env, type, len, buffer, 0, &array));
  return array;
}

/* `{ indices: Uint32Array, weights: Float32Array }`, each with its own copy of the C arrays. */
static napi_value vector_value(napi_env env, const splade_sparse_vector *vector) {
  napi_value object, indices, weights;
  CALL(env, napi_create_object(env, &object));
  if ((indices = typed_array_copy(env, napi_uint32_array, vector->indices, vector->len)) == NULL) return NULL;
  if ((weights = typed_array_copy(env, napi_float32_array, vector->weights, vector->len)) == NULL) return NULL;
  CALL(env, napi_set_named_property(env, object, "indices", indices));
  CALL(env, napi_set_named_property(env, object, "weights", weights));
  return object;
}

static napi_value batch_value(napi_env env, const splade_sparse_batch *batch) {
  napi_value array;
  CALL(env, napi_create_array_with_length(env, batch->count, &array));
  for (size_t i = 0; i < batch->count; i++) {
    napi_handle_scope scope;
    CALL(env, napi_open_handle_scope(env, &scope));
    napi_value vector = vector_value(env, &batch->vectors[i]);
    bool ok = vector != NULL && napi_set_element(env, array, (uint32_t)i, vector) == napi_ok;
    napi_close_handle_scope(env, scope);
    if (!ok) {
      throw_napi_failure(env);
      return NULL;
    }
  }
  return array;
}

/* ---- the Expander class ------------------------------------------------------------------------------------ */

/* The handle of `this` (and up to *argc arguments), or NULL having thrown a TypeError when `this` is not an
 * Expander made by this addon. */
static handle *this_handle(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  bool ours = false;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  if (!is_type(env, self, napi_object) || napi_check_object_type_tag(env, self, &EXPANDER_TAG, &ours) != napi_ok ||
      !ours || napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    type_error(env, "Illegal invocation: `this` is not an Expander");
    return NULL;
  }
  return data;
}

typedef splade_status (*size_setter)(splade_options *, size_t, splade_error **);
typedef splade_status (*float_setter)(splade_options *, float, splade_error **);

/* The JavaScript type an option takes, which says which C setter applies. */
typedef enum { OPTION_SIZE, OPTION_FLOAT, OPTION_DROP_SPECIAL_TOKENS, OPTION_ORT_LIBRARY_PATH } option_kind;

typedef struct option {
  const char *name;     /* the JavaScript name */
  option_kind kind;
  size_setter set_size;   /* for OPTION_SIZE */
  float_setter set_float; /* for OPTION_FLOAT */
} option;

static const option OPTIONS[] = {
    {"maxLength", OPTION_SIZE, splade_options_set_max_length, NULL},
    {"maxWindows", OPTION_SIZE, splade_options_set_max_windows, NULL},
    {"windowOverlap", OPTION_SIZE, splade_options_set_window_overlap, NULL},
    {"topK", OPTION_SIZE, splade_options_set_top_k, NULL},
    {"minWeight", OPTION_FLOAT, NULL, splade_options_set_min_weight},
    {"maxRatio", OPTION_FLOAT, NULL, splade_options_set_max_ratio},
    {"alphaMass", OPTION_FLOAT, NULL, splade_options_set_alpha_mass},
    {"dropSpecialTokens", OPTION_DROP_SPECIAL_TOKENS, NULL, NULL},
    {"intraOpThreads", OPTION_SIZE, splade_options_set_intra_op_threads, NULL},
    {"sessions", OPTION_SIZE, splade_options_set_sessions, NULL},
    {"tokenBudget", OPTION_SIZE, splade_options_set_token_budget, NULL},
    {"ortLibraryPath", OPTION_ORT_LIBRARY_PATH, NULL, NULL},
};
#define OPTION_COUNT (sizeof OPTIONS / sizeof OPTIONS[0])

/* Throws a TypeError for an own enumerable key of `object` that names no option (a misspelt option would
 * otherwise be ignored without a word). */
static bool check_option_names(napi_env env, napi_value object) {
  napi_value names;
  uint32_t count = 0;
  if (napi_get_all_property_names(env, object, napi_key_own_only, napi_key_enumerable | napi_key_skip_symbols,
                                  napi_key_numbers_to_strings, &names) != napi_ok ||
      napi_get_array_length(env, names, &count) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value name;
    char buffer[64];
    size_t length = 0;
    if (napi_get_element(env, names, i, &name) != napi_ok ||
        napi_get_value_string_utf8(env, name, buffer, sizeof buffer, &length) != napi_ok) {
      throw_napi_failure(env);
      return false;
    }
    bool known = false;
    for (size_t k = 0; k < OPTION_COUNT && !known; k++) known = strcmp(buffer, OPTIONS[k].name) == 0;
    if (!known || length >= sizeof buffer - 1) {
      char message[320];
      int used = snprintf(message, sizeof message, "unknown option '%s' (the options are ", buffer);
      for (size_t k = 0; k < OPTION_COUNT && used > 0 && (size_t)used < sizeof message; k++) {
        used += snprintf(message + used, sizeof message - (size_t)used, "%s%s", k > 0 ? ", " : "", OPTIONS[k].name);
      }
      if (used > 0 && (size_t)used < sizeof message) snprintf(message + used, sizeof message - (size_t)used, ")");
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", message);
      return false;
    }
  }
  return true;
}

/* Sets one option from `object[opt->name]` (undefined or null: left at its default). False having thrown. */
static bool set_option(napi_env env, napi_value object, const option *opt, splade_options *options) {
  napi_value value;
  char message[160];
  splade_error *error = NULL;
  splade_status status = SPLADE_STATUS_OK;
  if (napi_get_named_property(env, object, opt->name, &value) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  if (is_nullish(env, value)) return true;
  double number = 0;
  if (opt->kind == OPTION_SIZE || opt->kind == OPTION_FLOAT) {
    if (!is_type(env, value, napi_number)) {
      snprintf(message, sizeof message, "options.%s must be a number", opt->name);
      return type_error(env, message);
    }
    napi_get_value_double(env, value, &number);
  }
  switch (opt->kind) {
    case OPTION_ORT_LIBRARY_PATH: {
      char *path = NULL;
      if (!path_copy(env, value, "options.ortLibraryPath", &path)) return false;
      status = splade_options_set_ort_library_path(options, path, &error);
      free(path);
      break;
    }
    case OPTION_DROP_SPECIAL_TOKENS: {
      bool drop = false;
      if (!is_type(env, value, napi_boolean)) return type_error(env, "options.dropSpecialTokens must be a boolean");
      napi_get_value_bool(env, value, &drop);
      status = splade_options_set_drop_special_tokens(options, drop, &error);
      break;
    }
    case OPTION_FLOAT:
      status = opt->set_float(options, (float)number, &error);
      break;
    case OPTION_SIZE: {
      uint64_t n = 0;
      if (!whole_number(number, (double)(SIZE_MAX < 9007199254740991ULL ? SIZE_MAX : 9007199254740991ULL), &n)) {
        snprintf(message, sizeof message, "options.%s must be a non-negative integer, got %g", opt->name, number);
        throw_status(env, SPLADE_STATUS_INVALID_ARGUMENT, message);
        return false;
      }
      status = opt->set_size(options, (size_t)n, &error);
      break;
    }
  }
  if (status != SPLADE_STATUS_OK) {
    throw_splade(env, status, error);
    return false;
  }
  return true;
}

/* The C options for the JavaScript `options` argument: *out stays NULL (defaults) for undefined or null. */
static bool options_from(napi_env env, napi_value value, splade_options **out) {
  *out = NULL;
  if (is_nullish(env, value)) return true;
  if (!is_type(env, value, napi_object)) return type_error(env, "options must be an object");
  if (!check_option_names(env, value)) return false;
  splade_options *options = splade_options_new();
  for (size_t k = 0; k < OPTION_COUNT; k++) {
    if (!set_option(env, value, &OPTIONS[k], options)) {
      splade_options_free(options);
      return false;
    }
  }
  *out = options;
  return true;
}

/* new Expander(modelDir, options?) */
static napi_value expander_construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self, new_target;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CALL(env, napi_get_new_target(env, info, &new_target));
  if (new_target == NULL) {
    type_error(env, "Class constructor Expander cannot be invoked without 'new'");
    return NULL;
  }
  char *model_dir = NULL;
  splade_options *options = NULL;
  napi_value result = NULL;
  if (!path_copy(env, argv[0], "modelDir", &model_dir) || !options_from(env, argv[1], &options)) goto done;

  splade_expander *expander = NULL;
  splade_error *error = NULL;
  splade_status status = splade_expander_new(model_dir, options, &expander, &error);
  if (status != SPLADE_STATUS_OK) {
    throw_splade(env, status, error);
    goto done;
  }
  atomic_fetch_add(&live_expanders, 1);
  handle *h = calloc(1, sizeof *h);
  if (h == NULL || napi_wrap(env, self, h, handle_finalize, NULL, NULL) != napi_ok) {
    splade_expander_free(expander);
    atomic_fetch_sub(&live_expanders, 1);
    free(h);
    throw_napi_failure(env);
    goto done;
  }
  h->expander = expander;
  h->native_size = (int64_t)splade_expander_native_size(expander);
  int64_t unused;
  napi_adjust_external_memory(env, h->native_size, &unused);
  if (napi_type_tag_object(env, self, &EXPANDER_TAG) != napi_ok) {
    throw_napi_failure(env); /* the finalizer frees the expander */
    goto done;
  }
  result = self;
done:
  free(model_dir);
  splade_options_free(options);
  return result;
}

/* expandSync(text) */
static napi_value expander_expand_sync(napi_env env, napi_callback_info info) {
  size_t argc = 1, length = 0;
  napi_value argv[1];
  char *text = NULL;
  handle *h = this_handle(env, info, &argc, argv);
  if (h == NULL || !utf8_copy(env, argv[0], "text", &text, &length)) return NULL;
  if (h->closed) {
    free(text);
    return throw_closed(env);
  }
  splade_sparse_vector *vector = NULL;
  splade_error *error = NULL;
  splade_status status = splade_expander_expand(h->expander, (const uint8_t *)text, length, &vector, &error);
  free(text);
  if (status != SPLADE_STATUS_OK) return throw_splade(env, status, error);
  napi_value result = vector_value(env, vector);
  splade_sparse_vector_free(vector);
  return result;
}

/* expandBatchSync(texts) */
static napi_value expander_expand_batch_sync(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  texts t;
  handle *h = this_handle(env, info, &argc, argv);
  if (h == NULL || !texts_copy(env, argv[0], &t)) return NULL;
  if (h->closed) { /* checked after the copy: an element's getter may have closed it */
    texts_free(&t);
    return throw_closed(env);
  }
  splade_sparse_batch *batch = NULL;
  splade_error *error = NULL;
  splade_status status = splade_expander_expand_batch(h->expander, t.texts, t.lens, t.count, &batch, &error);
  texts_free(&t);
  if (status != SPLADE_STATUS_OK) return throw_splade(env, status, error);
  napi_value result = batch_value(env, batch);
  splade_sparse_batch_free(batch);
  return result;
}

/* One expand() or expandBatch() call in flight: its input, owned here, and the C call's output. */
typedef struct work {
  napi_async_work async;
  napi_deferred deferred;
  handle *h;
  const splade_expander *expander; /* h->expander, the only thing the pool thread reads */
  bool batch;
  char *text; /* expand(): the text */
  size_t text_len;
  texts texts; /* expandBatch(): the texts */
  splade_status status;
  splade_error *error;
  splade_sparse_vector *vector;
  splade_sparse_batch *result;
} work;

static void work_free(work *w) {
  free(w->text);
  texts_free(&w->texts);
  splade_error_free(w->error);
  splade_sparse_vector_free(w->vector);
  splade_sparse_batch_free(w->result);
  free(w);
}

/* On a libuv pool thread: the C call only, no N-API. */
static void work_execute(napi_env env, void *data) {
  (void)env;
  work *w = data;
  if (w->batch)
    w->status = splade_expander_expand_batch(w->expander, w->texts.texts, w->texts.lens, w->texts.count, &w->result,
                                             &w->error);
  else
    w->status = splade_expander_expand(w->expander, (const uint8_t *)w->text, w->text_len, &w->vector, &w->error);
}

/* On the main thread: settle the Promise, then let the handle go if it was waiting for this work. */
static void work_complete(napi_env env, napi_status status, void *data) {
  work *w = data;
  napi_value value = NULL;
  bool resolve = false;
  if (status != napi_ok) {
    value = splade_error_value(env, SPLADE_STATUS_CLOSED, "the work was cancelled");
  } else if (w->status != SPLADE_STATUS_OK) {
    value = splade_error_value(env, (int)w->status, splade_error_message(w->error));
  } else {
    value = w->batch ? batch_value(env, w->result) : vector_value(env, w->vector);
    resolve = value != NULL;
  }
  if (value == NULL) value = take_exception(env);
  if (resolve)
    napi_resolve_deferred(env, w->deferred, value);
  else
    napi_reject_deferred(env, w->deferred, value);
  napi_delete_async_work(env, w->async);
  handle *h = w->h;
  work_free(w);
  h->pending--;
  handle_release_if_done(env, h);
}

/* Queues `w` (whose input is filled in) and returns its Promise; a closed expander gives a rejected Promise.
 * Takes ownership of `w`. */
static napi_value queue_work(napi_env env, handle *h, work *w) {
  napi_value promise, name;
  if (napi_create_promise(env, &w->deferred, &promise) != napi_ok) {
    work_free(w);
    throw_napi_failure(env);
    return NULL;
  }
  if (h->closed) {
    napi_value error = splade_error_value(env, SPLADE_STATUS_CLOSED, CLOSED_MESSAGE);
    napi_reject_deferred(env, w->deferred, error != NULL ? error : take_exception(env));
    work_free(w);
    return promise;
  }
  w->h = h;
  w->expander = h->expander;
  if (napi_create_string_utf8(env, "spladerunner.expand", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, work_execute, work_complete, w, &w->async) != napi_ok) {
    throw_napi_failure(env);
    napi_reject_deferred(env, w->deferred, take_exception(env));
    work_free(w);
    return promise;
  }
  if (napi_queue_async_work(env, w->async) != napi_ok) {
    throw_napi_failure(env);
    napi_reject_deferred(env, w->deferred, take_exception(env));
    napi_delete_async_work(env, w->async);
    work_free(w);
    return promise;
  }
  h->pending++;
  return promise;
}

/* expand(text) or, with `batch`, expandBatch(texts): copies the argument and queues the work; a Promise. */
static napi_value expand_async(napi_env env, napi_callback_info info, bool batch) {
  size_t argc = 1;
  napi_value argv[1];
  handle *h = this_handle(env, info, &argc, argv);
  if (h == NULL) return NULL;
  work *w = calloc(1, sizeof *w);
  if (w == NULL) {
    napi_throw_error(env, NULL, "spladerunner: out of memory");
    return NULL;
  }
  w->batch = batch;
  bool copied = batch ? texts_copy(env, argv[0], &w->texts) : utf8_copy(env, argv[0], "text", &w->text, &w->text_len);
  if (!copied) {
    work_free(w);
    return NULL;
  }
  return queue_work(env, h, w);
}

/* expand(text): Promise */
static napi_value expander_expand(napi_env env, napi_callback_info info) { return expand_async(env, info, false); }

/* expandBatch(texts): Promise */
static napi_value expander_expand_batch(napi_env env, napi_callback_info info) {
  return expand_async(env, info, true);
}

/* token(id): string */
static napi_value expander_token(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  double number = 0;
  uint64_t id = 0;
  handle *h = this_handle(env, info, &argc, argv);
  if (h == NULL) return NULL;
  if (!is_type(env, argv[0], napi_number)) {
    type_error(env, "id must be a number");
    return NULL;
  }
  if (h->closed) return throw_closed(env);
  CALL(env, napi_get_value_double(env, argv[0], &number));
  if (!whole_number(number, 4294967295.0, &id)) {
    char message[96];
    snprintf(message, sizeof message, "%g is not a vocabulary id (an integer from 0 to vocabSize - 1)", number);
    return throw_status(env, SPLADE_STATUS_OUT_OF_RANGE, message);
  }
  const char *token = NULL;
  splade_error *error = NULL;
  splade_status status = splade_expander_token(h->expander, (uint32_t)id, &token, &error);
  if (status != SPLADE_STATUS_OK) return throw_splade(env, status, error);
  CALL(env, napi_create_string_utf8(env, token, NAPI_AUTO_LENGTH, &result));
  return result;
}

/* The JavaScript names of the SPLADE_FORMAT_* numbers. */
static const struct {
  const char *name;
  uint32_t number;
} FORMATS[] = {
    {"indices-values", SPLADE_FORMAT_INDICES_VALUES}, {"token-weights", SPLADE_FORMAT_TOKEN_WEIGHTS},
    {"elasticsearch", SPLADE_FORMAT_ELASTICSEARCH},   {"impacts", SPLADE_FORMAT_IMPACTS},
    {"tei", SPLADE_FORMAT_TEI},
};

/* The data of `value` when it is a typed array of `type`; NULL having thrown a TypeError. Runs no JavaScript. */
static void *typed_array_data(napi_env env, napi_value value, napi_typedarray_type type, size_t *len) {
  bool is_typed = false;
  napi_typedarray_type actual;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &actual, len, &data, NULL, NULL) != napi_ok || actual != type) {
    type_error(env, "vector must be { indices: Uint32Array, weights: Float32Array }, as expand() returns");
    return NULL;
  }
  return data != NULL ? data : (void *)"";
}

/* The vector argument `value`, `{ indices: Uint32Array, weights: Float32Array }` of equal lengths, viewed in place
 * by *vector; false having thrown a TypeError. Both properties are read first (their getters may run JavaScript),
 * then their data, so the view stays valid until the addon next runs some (a getter could detach or shrink a
 * buffer). */
static bool vector_view(napi_env env, napi_value value, splade_sparse_vector *vector) {
  if (!is_type(env, value, napi_object)) return type_error(env, "vector must be an object");
  napi_value indices_value, weights_value;
  if (napi_get_named_property(env, value, "indices", &indices_value) != napi_ok ||
      napi_get_named_property(env, value, "weights", &weights_value) != napi_ok) {
    throw_napi_failure(env);
    return false;
  }
  size_t count = 0, weights_count = 0;
  const uint32_t *indices = typed_array_data(env, indices_value, napi_uint32_array, &count);
  if (indices == NULL) return false;
  const float *weights = typed_array_data(env, weights_value, napi_float32_array, &weights_count);
  if (weights == NULL) return false;
  if (count != weights_count) return type_error(env, "vector.indices and vector.weights differ in length");
  *vector = (splade_sparse_vector){indices, weights, count};
  return true;
}

/* tokenWeights(vector): { token: weight }, the tokens from one splade_expander_tokens call. Should two ids share a
 * token string, the later one's weight is kept (in the place of the first), as Object.fromEntries does. */
static napi_value expander_token_weights(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result = NULL;
  splade_sparse_vector vector;
  handle *h = this_handle(env, info, &argc, argv);
  if (h == NULL || !vector_view(env, argv[0], &vector)) return NULL;
  if (h->closed) return throw_closed(env);
  const char **tokens = malloc((vector.len + 1) * sizeof *tokens);
  napi_property_descriptor *terms = calloc(vector.len + 1, sizeof *terms);
  splade_error *error = NULL;
  splade_status status;
  if (tokens == NULL || terms == NULL) {
    napi_throw_error(env, NULL, "spladerunner: out of memory");
  } else if ((status = splade_expander_tokens(h->expander, vector.indices, vector.len, tokens, &error)) !=
             SPLADE_STATUS_OK) {
    throw_splade(env, status, error);
  } else {
    /* Defined, not assigned, as own data properties: a token "__proto__" is a key like any other. */
    bool ok = napi_create_object(env, &result) == napi_ok;
    for (size_t i = 0; ok && i < vector.len; i++) {
      terms[i].attributes = napi_writable | napi_enumerable | napi_configurable;
      ok = napi_create_string_utf8(env, tokens[i], NAPI_AUTO_LENGTH, &terms[i].name) == napi_ok &&
           napi_create_double(env, (double)vector.weights[i], &terms[i].value) == napi_ok;
    }
    if (!ok || napi_define_properties(env, result, vector.len, terms) != napi_ok) {
      throw_napi_failure(env);
      result = NULL;
    }
  }
  free((void *)tokens);
  free(terms);
  return result;
}

/* expander.toJson(vector, format, scale = 100) */
static napi_value expander_to_json(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  handle *h = this_handle(env, info, &argc, argv);
  splade_sparse_vector vector;
  if (h == NULL || !vector_view(env, argv[0], &vector)) return NULL;
  char name[24] = "";
  size_t name_len = 0;
  if (!is_type(env, argv[1], napi_string) ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &name_len) != napi_ok) {
    type_error(env, "format must be a string");
    return NULL;
  }
  size_t k = 0;
  while (k < sizeof FORMATS / sizeof FORMATS[0] && strcmp(FORMATS[k].name, name) != 0) k++;
  if (k == sizeof FORMATS / sizeof FORMATS[0]) {
    type_error(env, "format must be 'indices-values', 'token-weights', 'elasticsearch', 'impacts' or 'tei'");
    return NULL;
  }
  double scale = 100;
  if (argc > 2 && !is_nullish(env, argv[2])) {
    if (!is_type(env, argv[2], napi_number)) {
      type_error(env, "scale must be a number");
      return NULL;
    }
    CALL(env, napi_get_value_double(env, argv[2], &scale));
  }
  if (h->closed) return throw_closed(env);
  char *json = NULL;
  size_t len = 0;
  splade_error *error = NULL;
  splade_status status =
      splade_expander_to_json(h->expander, &vector, FORMATS[k].number, (float)scale, &json, &len, &error);
  if (status != SPLADE_STATUS_OK) return throw_splade(env, status, error);
  napi_status made = napi_create_string_utf8(env, json, len, &result);
  splade_string_free(json);
  if (made != napi_ok) {
    throw_napi_failure(env);
    return NULL;
  }
  return result;
}

static napi_value expander_vocab_size(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value result;
  handle *h = this_handle(env, info, &argc, NULL);
  if (h == NULL) return NULL;
  if (h->closed) return throw_closed(env);
  CALL(env, napi_create_double(env, (double)splade_expander_vocab_size(h->expander), &result));
  return result;
}

static napi_value expander_max_length(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value result;
  handle *h = this_handle(env, info, &argc, NULL);
  if (h == NULL) return NULL;
  if (h->closed) return throw_closed(env);
  CALL(env, napi_create_double(env, (double)splade_expander_max_length(h->expander), &result));
  return result;
}

static napi_value expander_closed(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value result;
  handle *h = this_handle(env, info, &argc, NULL);
  if (h == NULL) return NULL;
  CALL(env, napi_get_boolean(env, h->closed, &result));
  return result;
}

/* close(): frees the expander now, or when the last work in flight completes. Calling it again does nothing. */
static napi_value expander_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value result;
  handle *h = this_handle(env, info, &argc, NULL);
  if (h == NULL) return NULL;
  h->closed = true;
  handle_release_if_done(env, h);
  CALL(env, napi_get_undefined(env, &result));
  return result;
}

/* ---- module functions -------------------------------------------------------------------------------------- */

static napi_value module_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CALL(env, napi_create_string_utf8(env, splade_version(), NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value module_status_name(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  double number = 0;
  CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (!is_type(env, argv[0], napi_number)) {
    type_error(env, "status must be a number");
    return NULL;
  }
  CALL(env, napi_get_value_double(env, argv[0], &number));
  /* A number that is no int (NaN, 2**32 + 4, 1.5) is no status: -1 is none either, so the C library names it
   * SPLADE_STATUS_UNKNOWN (napi_get_value_int32 would wrap it modulo 2**32, or make NaN 0). */
  int status = number >= -2147483648.0 && number <= 2147483647.0 && number == (double)(int)number ? (int)number : -1;
  CALL(env, napi_create_string_utf8(env, splade_status_name(status), NAPI_AUTO_LENGTH, &result));
  return result;
}

/* For the tests: how many C expanders are alive (not yet freed) in the process. */
static napi_value module_live_expanders(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CALL(env, napi_create_double(env, (double)atomic_load(&live_expanders), &result));
  return result;
}

#define METHOD(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default_method, NULL}
#define GETTER(name, fn) {name, NULL, NULL, fn, NULL, NULL, napi_configurable, NULL}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      METHOD("expand", expander_expand),
      METHOD("expandSync", expander_expand_sync),
      METHOD("expandBatch", expander_expand_batch),
      METHOD("expandBatchSync", expander_expand_batch_sync),
      METHOD("token", expander_token),
      METHOD("tokenWeights", expander_token_weights),
      METHOD("toJson", expander_to_json),
      METHOD("close", expander_close),
      GETTER("vocabSize", expander_vocab_size),
      GETTER("maxLength", expander_max_length),
      GETTER("closed", expander_closed),
  };
  napi_value expander_class;
  CALL(env, napi_define_class(env, "Expander", NAPI_AUTO_LENGTH, expander_construct, NULL,
                              sizeof methods / sizeof methods[0], methods, &expander_class));
  napi_property_descriptor module[] = {
      {"Expander", NULL, NULL, NULL, NULL, expander_class, napi_enumerable, NULL},
      METHOD("version", module_version),
      METHOD("statusName", module_status_name),
      METHOD("liveExpanders", module_live_expanders),
  };
  CALL(env, napi_define_properties(env, exports, sizeof module / sizeof module[0], module));
  return exports;
}
