#!/usr/bin/env bash
# Compiles the JNI glue and gathers the native libraries the jar carries. Run by Maven (process-classes phase)
# after `make -C ../.. build` and javac, which wrote the JNI header into NATIVE_BUILD/include:
#
#   bash build-native.sh JAVA_HOME REPO_ROOT NATIVE_BUILD RESOURCE_DIR
#
# RESOURCE_DIR (target/classes/native/linux-x86_64) receives, under the names NativeLoader extracts:
#   libspladerunner.so.0.1   the Rust library, under its SONAME (the glue's NEEDED entry)
#   libspladerunner_jni.so   the glue, RUNPATH $ORIGIN
#   libonnxruntime.so        ONNX Runtime, which libspladerunner dlopen()s from beside itself
set -euo pipefail

java_home=$1
root=$2
build=$3
resources=$4
release="$root/target/release"

for file in "$release/libspladerunner.so" "$release/libonnxruntime.so"; do
  [[ -f $file ]] || { echo "build-native.sh: $file is missing: run 'make -C $root build'" >&2; exit 1; }
done

header="$build/include/io_github_spladerunner_Native.h"
[[ -f $header ]] || { echo "build-native.sh: $header is missing (javac -h writes it): run 'mvn clean'" >&2; exit 1; }

mkdir -p "$build" "$resources"
# -include: the javac-generated prototypes must match the definitions.
${CC:-cc} -std=c11 -O2 -g -fPIC -shared -Wall -Wextra -Wpedantic \
  -I"$java_home/include" -I"$java_home/include/linux" -I"$root/include" \
  -include "$header" \
  "$(dirname "$0")/src/main/c/spladerunner_jni.c" \
  -L"$release" -lspladerunner -Wl,-rpath,'$ORIGIN' -Wl,--no-undefined \
  -o "$build/.libspladerunner_jni.so.tmp"
mv -f "$build/.libspladerunner_jni.so.tmp" "$build/libspladerunner_jni.so"

# Copy, then rename over the old file: a process that has the old one mapped keeps it intact (overwriting a
# mapped library in place makes that process die of SIGBUS).
put() {
  cp -L "$1" "$resources/.$2.tmp"
  mv -f "$resources/.$2.tmp" "$resources/$2"
}
put "$build/libspladerunner_jni.so" libspladerunner_jni.so
put "$release/libspladerunner.so" libspladerunner.so.0.1
put "$release/libonnxruntime.so" libonnxruntime.so
