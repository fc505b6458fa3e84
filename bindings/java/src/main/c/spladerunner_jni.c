/*
 * JNI glue for io.github.spladerunner.Native over the public C API (include/spladerunner.h). Conversions only:
 * Java byte[] (UTF-8) to (pointer, length) or NUL-terminated strings, C results to Java arrays and SparseVector
 * objects, and a failed status to a thrown SpladeException (throw_error, the one place that does it). Licensed
 * under Apache-2.0.
 *
 * Every function either returns a value or leaves exactly one pending Java exception. Java arrays are copied
 * in and out (Get/SetXxxArrayRegion), never pinned, so the garbage collector is never held up by a long inference
 * call. The prototypes come from the javac-generated header (build-native.sh passes it with -include).
 */
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spladerunner.h"

static jclass sparse_vector_class;      /* io.github.spladerunner.SparseVector (global ref) */
static jmethodID sparse_vector_init;    /* SparseVector(int[], float[]) */
static jclass native_class;             /* io.github.spladerunner.Native (global ref) */
static jclass byte_array_class;         /* byte[] (global ref) */
static jmethodID native_error;          /* static SpladeException Native.error(int, byte[]) */

static jclass global_class(JNIEnv *env, const char *name) {
  jclass local = (*env)->FindClass(env, name);
  if (local == NULL) {
    return NULL;
  }
  jclass global = (*env)->NewGlobalRef(env, local);
  (*env)->DeleteLocalRef(env, local);
  return global;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
  (void)reserved;
  JNIEnv *env = NULL;
  if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) {
    return JNI_ERR;
  }
  sparse_vector_class = global_class(env, "io/github/spladerunner/SparseVector");
  native_class = global_class(env, "io/github/spladerunner/Native");
  byte_array_class = global_class(env, "[B");
  if (sparse_vector_class == NULL || native_class == NULL || byte_array_class == NULL) {
    return JNI_ERR;
  }
  sparse_vector_init = (*env)->GetMethodID(env, sparse_vector_class, "<init>", "([I[F)V");
  native_error = (*env)->GetStaticMethodID(env, native_class, "error",
                                           "(I[B)Lio/github/spladerunner/SpladeException;");
  if (sparse_vector_init == NULL || native_error == NULL) {
    return JNI_ERR;
  }
  return JNI_VERSION_1_8;
}

/* A byte[] holding the `len` bytes at `s`; NULL with an exception pending on failure. */
static jbyteArray to_bytes_n(JNIEnv *env, const char *s, size_t len) {
  jbyteArray bytes = (*env)->NewByteArray(env, (jsize)len);
  if (bytes != NULL) {
    (*env)->SetByteArrayRegion(env, bytes, 0, (jsize)len, (const jbyte *)s);
  }
  return bytes;
}

/* A byte[] holding the bytes of the NUL-terminated `s`; NULL with an exception pending on failure. */
static jbyteArray to_bytes(JNIEnv *env, const char *s) { return to_bytes_n(env, s, strlen(s)); }

static void throw_out_of_memory(JNIEnv *env) {
  jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
  if (oom != NULL) {
    (*env)->ThrowNew(env, oom, "spladerunner: native allocation failed");
  }
}

/* Throws the SpladeException for `status` and `error`, then frees `error`. */
static void throw_error(JNIEnv *env, splade_status status, splade_error *error) {
  jbyteArray message = to_bytes(env, error != NULL ? splade_error_message(error) : "");
  splade_error_free(error);
  if (message == NULL) {
    return; /* OutOfMemoryError pending */
  }
  jthrowable exception = (jthrowable)(*env)->CallStaticObjectMethod(env, native_class, native_error,
                                                                   (jint)status, message);
  (*env)->DeleteLocalRef(env, message);
  if (exception != NULL && !(*env)->ExceptionCheck(env)) {
    (*env)->Throw(env, exception);
    (*env)->DeleteLocalRef(env, exception);
  }
}

/* A malloc'd NUL-terminated copy of `bytes`; NULL with an exception pending on failure. */
static char *to_c_string(JNIEnv *env, jbyteArray bytes) {
  jsize len = (*env)->GetArrayLength(env, bytes);
  char *s = malloc((size_t)len + 1);
  if (s == NULL) {
    throw_out_of_memory(env);
    return NULL;
  }
  (*env)->GetByteArrayRegion(env, bytes, 0, len, (jbyte *)s);
  s[len] = '\0';
  return s;
}

/* A SparseVector copied from `vector`; NULL with an exception pending on failure. */
static jobject to_sparse_vector(JNIEnv *env, const splade_sparse_vector *vector) {
  jsize len = (jsize)vector->len;
  jintArray indices = (*env)->NewIntArray(env, len);
  if (indices == NULL) {
    return NULL;
  }
  jfloatArray weights = (*env)->NewFloatArray(env, len);
  if (weights == NULL) {
    (*env)->DeleteLocalRef(env, indices);
    return NULL;
  }
  if (len > 0) {
    /* Vocabulary ids are below the vocabulary size, far below 2^31: the bits of a uint32_t are the jint. */
    (*env)->SetIntArrayRegion(env, indices, 0, len, (const jint *)vector->indices);
    (*env)->SetFloatArrayRegion(env, weights, 0, len, (const jfloat *)vector->weights);
  }
  jobject object = (*env)->NewObject(env, sparse_vector_class, sparse_vector_init, indices, weights);
  (*env)->DeleteLocalRef(env, indices);
  (*env)->DeleteLocalRef(env, weights);
  return object;
}

/* A new array of `count` objects of class `element_class`, element `i` made by `make(env, items, i)`; NULL with an
 * exception pending on failure. */
static jobjectArray to_object_array(JNIEnv *env, jclass element_class, jsize count,
                                    jobject (*make)(JNIEnv *, const void *, jsize), const void *items) {
  jobjectArray array = (*env)->NewObjectArray(env, count, element_class, NULL);
  for (jsize i = 0; array != NULL && i < count; i++) {
    jobject element = make(env, items, i);
    if (element == NULL) {
      (*env)->DeleteLocalRef(env, array);
      return NULL;
    }
    (*env)->SetObjectArrayElement(env, array, i, element);
    (*env)->DeleteLocalRef(env, element);
  }
  return array;
}

/* For to_object_array: vector `i` of the splade_sparse_batch `items` as a SparseVector. */
static jobject batch_vector(JNIEnv *env, const void *items, jsize i) {
  return to_sparse_vector(env, &((const splade_sparse_batch *)items)->vectors[i]);
}

/* For to_object_array: string `i` of the array of C strings `items` as a byte[]. */
static jobject string_bytes(JNIEnv *env, const void *items, jsize i) {
  return to_bytes(env, ((const char *const *)items)[i]);
}

JNIEXPORT jbyteArray JNICALL Java_io_github_spladerunner_Native_version(JNIEnv *env, jclass cls) {
  (void)cls;
  return to_bytes(env, splade_version());
}

JNIEXPORT jbyteArray JNICALL Java_io_github_spladerunner_Native_statusName(JNIEnv *env, jclass cls,
                                                                          jint status) {
  (void)cls;
  return to_bytes(env, splade_status_name(status));
}

JNIEXPORT jlong JNICALL Java_io_github_spladerunner_Native_optionsNew(JNIEnv *env, jclass cls) {
  (void)env;
  (void)cls;
  return (jlong)(intptr_t)splade_options_new();
}

JNIEXPORT void JNICALL Java_io_github_spladerunner_Native_optionsFree(JNIEnv *env, jclass cls, jlong options) {
  (void)env;
  (void)cls;
  splade_options_free((splade_options *)(intptr_t)options);
}

/* The size_t setters. Java passes values >= 0 (Options.Builder checks). */
#define SIZE_SETTER(java_name, c_function)                                                                  \
  JNIEXPORT void JNICALL Java_io_github_spladerunner_Native_##java_name(JNIEnv *env, jclass cls,         \
                                                                        jlong options, jlong value) {    \
    (void)cls;                                                                                          \
    splade_error *error = NULL;                                                                         \
    splade_status status = c_function((splade_options *)(intptr_t)options, (size_t)value, &error);     \
    if (status != SPLADE_STATUS_OK) {                                                                   \
      throw_error(env, status, error);                                                                  \
    }                                                                                                   \
  }

SIZE_SETTER(optionsSetMaxLength, splade_options_set_max_length)
SIZE_SETTER(optionsSetMaxWindows, splade_options_set_max_windows)
SIZE_SETTER(optionsSetWindowOverlap, splade_options_set_window_overlap)
SIZE_SETTER(optionsSetTopK, splade_options_set_top_k)
SIZE_SETTER(optionsSetIntraOpThreads, splade_options_set_intra_op_threads)
SIZE_SETTER(optionsSetSessions, splade_options_set_sessions)
SIZE_SETTER(optionsSetTokenBudget, splade_options_set_token_budget)

/* The float setters. The library checks the value's range. */
#define FLOAT_SETTER(java_name, c_function)                                                                 \
  JNIEXPORT void JNICALL Java_io_github_spladerunner_Native_##java_name(JNIEnv *env, jclass cls,         \
                                                                        jlong options, jfloat value) {   \
    (void)cls;                                                                                          \
    splade_error *error = NULL;                                                                         \
    splade_status status = c_function((splade_options *)(intptr_t)options, value, &error);             \
    if (status != SPLADE_STATUS_OK) {                                                                   \
      throw_error(env, status, error);                                                                  \
    }                                                                                                   \
  }

FLOAT_SETTER(optionsSetMinWeight, splade_options_set_min_weight)
FLOAT_SETTER(optionsSetMaxRatio, splade_options_set_max_ratio)
FLOAT_SETTER(optionsSetAlphaMass, splade_options_set_alpha_mass)

JNIEXPORT void JNICALL Java_io_github_spladerunner_Native_optionsSetDropSpecialTokens(JNIEnv *env, jclass cls,
                                                                                      jlong options,
                                                                                      jboolean drop) {
  (void)cls;
  splade_error *error = NULL;
  splade_status status =
      splade_options_set_drop_special_tokens((splade_options *)(intptr_t)options, drop == JNI_TRUE, &error);
  if (status != SPLADE_STATUS_OK) {
    throw_error(env, status, error);
  }
}

JNIEXPORT void JNICALL Java_io_github_spladerunner_Native_optionsSetOrtLibraryPath(JNIEnv *env, jclass cls,
                                                                                   jlong options,
                                                                                   jbyteArray path) {
  (void)cls;
  char *c_path = to_c_string(env, path);
  if (c_path == NULL) {
    return;
  }
  splade_error *error = NULL;
  splade_status status =
      splade_options_set_ort_library_path((splade_options *)(intptr_t)options, c_path, &error);
  free(c_path);
  if (status != SPLADE_STATUS_OK) {
    throw_error(env, status, error);
  }
}

JNIEXPORT jlong JNICALL Java_io_github_spladerunner_Native_expanderNew(JNIEnv *env, jclass cls,
                                                                       jbyteArray model_dir, jlong options) {
  (void)cls;
  char *c_dir = to_c_string(env, model_dir);
  if (c_dir == NULL) {
    return 0;
  }
  splade_expander *expander = NULL;
  splade_error *error = NULL;
  splade_status status =
      splade_expander_new(c_dir, (const splade_options *)(intptr_t)options, &expander, &error);
  free(c_dir);
  if (status != SPLADE_STATUS_OK) {
    throw_error(env, status, error);
    return 0;
  }
  return (jlong)(intptr_t)expander;
}

JNIEXPORT void JNICALL Java_io_github_spladerunner_Native_expanderFree(JNIEnv *env, jclass cls,
                                                                       jlong expander) {
  (void)env;
  (void)cls;
  splade_expander_free((splade_expander *)(intptr_t)expander);
}

JNIEXPORT jlong JNICALL Java_io_github_spladerunner_Native_expanderNativeSize(JNIEnv *env, jclass cls,
                                                                              jlong expander) {
  (void)env;
  (void)cls;
  return (jlong)splade_expander_native_size((const splade_expander *)(intptr_t)expander);
}

JNIEXPORT jobject JNICALL Java_io_github_spladerunner_Native_expand(JNIEnv *env, jclass cls, jlong expander,
                                                                    jbyteArray text) {
  (void)cls;
  jsize len = (*env)->GetArrayLength(env, text);
  uint8_t *bytes = NULL;
  if (len > 0) {
    bytes = malloc((size_t)len);
    if (bytes == NULL) {
      throw_out_of_memory(env);
      return NULL;
    }
    (*env)->GetByteArrayRegion(env, text, 0, len, (jbyte *)bytes);
  }
  splade_sparse_vector *vector = NULL;
  splade_error *error = NULL;
  splade_status status = splade_expander_expand((const splade_expander *)(intptr_t)expander, bytes,
                                                (size_t)len, &vector, &error);
  free(bytes);
  if (status != SPLADE_STATUS_OK) {
    throw_error(env, status, error);
    return NULL;
  }
  jobject result = to_sparse_vector(env, vector);
  splade_sparse_vector_free(vector);
  return result;
}

JNIEXPORT jobjectArray JNICALL Java_io_github_spladerunner_Native_expandBatch(JNIEnv *env, jclass cls,
                                                                              jlong expander,
                                                                              jobjectArray texts) {
  (void)cls;
  jsize count = (*env)->GetArrayLength(env, texts);
  /* Every text's bytes in one buffer; pointers and lengths into it. */
  const uint8_t **pointers = calloc((size_t)count + 1, sizeof *pointers);
  size_t *lens = calloc((size_t)count + 1, sizeof *lens);
  uint8_t *buffer = NULL;
  size_t total = 0;
  size_t offset = 0;
  splade_sparse_batch *batch = NULL;
  splade_error *error = NULL;
  splade_status status;
  jobjectArray result = NULL;
  if (pointers == NULL || lens == NULL) {
    throw_out_of_memory(env);
    goto done;
  }
  for (jsize i = 0; i < count; i++) {
    jbyteArray text = (jbyteArray)(*env)->GetObjectArrayElement(env, texts, i);
    if (text == NULL) { /* Expander checks every text; a null here must not reach GetArrayLength */
      jclass npe = (*env)->FindClass(env, "java/lang/NullPointerException");
      if (npe != NULL) {
        (*env)->ThrowNew(env, npe, "a text of the batch is null");
      }
      goto done;
    }
    lens[i] = (size_t)(*env)->GetArrayLength(env, text);
    (*env)->DeleteLocalRef(env, text);
    total += lens[i];
  }
  buffer = malloc(total + 1);
  if (buffer == NULL) {
    throw_out_of_memory(env);
    goto done;
  }
  for (jsize i = 0; i < count; i++) {
    jbyteArray text = (jbyteArray)(*env)->GetObjectArrayElement(env, texts, i);
    (*env)->GetByteArrayRegion(env, text, 0, (jsize)lens[i], (jbyte *)buffer + offset);
    (*env)->DeleteLocalRef(env, text);
    pointers[i] = buffer + offset;
    offset += lens[i];
  }

  status = splade_expander_expand_batch((const splade_expander *)(intptr_t)expander, pointers, lens,
                                        (size_t)count, &batch, &error);
  if (status != SPLADE_STATUS_OK) {
    throw_error(env, status, error);
    goto done;
  }
  result = to_object_array(env, sparse_vector_class, count, batch_vector, batch);
  splade_sparse_batch_free(batch);

done:
  free(buffer);
  free(lens);
  free((void *)pointers);
  return result;
}

JNIEXPORT jbyteArray JNICALL Java_io_github_spladerunner_Native_token(JNIEnv *env, jclass cls, jlong expander,
                                                                      jint id) {
  (void)cls;
  const char *token = NULL;
  splade_error *error = NULL;
  splade_status status =
      splade_expander_token((const splade_expander *)(intptr_t)expander, (uint32_t)id, &token, &error);
  if (status != SPLADE_STATUS_OK) {
    throw_error(env, status, error);
    return NULL;
  }
  return to_bytes(env, token);
}

/* The UTF-8 tokens of every id, from one splade_expander_tokens call; ids cross as the bits of a uint32_t. */
JNIEXPORT jobjectArray JNICALL Java_io_github_spladerunner_Native_tokens(JNIEnv *env, jclass cls, jlong expander,
                                                                         jintArray indices) {
  (void)cls;
  jsize count = (*env)->GetArrayLength(env, indices);
  uint32_t *ids = malloc(sizeof *ids * ((size_t)count + 1));
  const char **tokens = malloc(sizeof *tokens * ((size_t)count + 1));
  jobjectArray result = NULL;
  if (ids == NULL || tokens == NULL) {
    throw_out_of_memory(env);
  } else {
    (*env)->GetIntArrayRegion(env, indices, 0, count, (jint *)ids);
    splade_error *error = NULL;
    splade_status status = splade_expander_tokens((const splade_expander *)(intptr_t)expander, ids,
                                                  (size_t)count, tokens, &error);
    if (status != SPLADE_STATUS_OK) {
      throw_error(env, status, error);
    } else {
      result = to_object_array(env, byte_array_class, count, string_bytes, tokens);
    }
  }
  free(ids);
  free((void *)tokens);
  return result;
}

JNIEXPORT jbyteArray JNICALL Java_io_github_spladerunner_Native_toJson(JNIEnv *env, jclass cls, jlong expander,
                                                                       jintArray indices, jfloatArray weights,
                                                                       jint format, jfloat scale) {
  (void)cls;
  jsize len = (*env)->GetArrayLength(env, indices);
  uint32_t *ids = malloc(sizeof(uint32_t) * (size_t)(len > 0 ? len : 1));
  float *values = malloc(sizeof(float) * (size_t)(len > 0 ? len : 1));
  jbyteArray result = NULL;
  if (ids == NULL || values == NULL) {
    throw_out_of_memory(env);
  } else {
    (*env)->GetIntArrayRegion(env, indices, 0, len, (jint *)ids);
    (*env)->GetFloatArrayRegion(env, weights, 0, len, values);
    splade_sparse_vector vector = {ids, values, (size_t)len};
    char *json = NULL;
    size_t json_len = 0;
    splade_error *error = NULL;
    splade_status status = splade_expander_to_json((const splade_expander *)(intptr_t)expander, &vector,
                                                   (uint32_t)format, scale, &json, &json_len, &error);
    if (status != SPLADE_STATUS_OK) {
      throw_error(env, status, error);
    } else {
      result = to_bytes_n(env, json, json_len);
      splade_string_free(json);
    }
  }
  free(ids);
  free(values);
  return result;
}

JNIEXPORT jlong JNICALL Java_io_github_spladerunner_Native_vocabSize(JNIEnv *env, jclass cls, jlong expander) {
  (void)env;
  (void)cls;
  return (jlong)splade_expander_vocab_size((const splade_expander *)(intptr_t)expander);
}

JNIEXPORT jlong JNICALL Java_io_github_spladerunner_Native_maxLength(JNIEnv *env, jclass cls, jlong expander) {
  (void)env;
  (void)cls;
  return (jlong)splade_expander_max_length((const splade_expander *)(intptr_t)expander);
}
