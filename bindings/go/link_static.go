//go:build !spladerunner_shared

package spladerunner

// The default: link target/release/libspladerunner.a (built by `make build` at the repository root) into the
// program, as Go wrappers of Rust libraries do, so the program does not need libspladerunner.so at run time.
// Beyond libc and libgcc_s (which gcc links by default) the Rust code needs libm; libdl is listed for glibc older
// than 2.34, where dlopen/dladdr still live outside libc (on newer glibc it is an empty stub).
//
// ONNX Runtime is not linked: spladerunner dlopen()s it at run time. The RUNPATH below is where the library looks
// last (after the ort_library_path option, ORT_DYLIB_PATH and the program's own directory), so programs and tests
// built in place find target/release/libonnxruntime.so without any environment variable.

// #cgo LDFLAGS: ${SRCDIR}/../../target/release/libspladerunner.a -lm -ldl
// #cgo LDFLAGS: -Wl,-rpath,${SRCDIR}/../../target/release
import "C"
