//go:build spladerunner_shared

package spladerunner

// With `-tags spladerunner_shared`: link the shared library target/release/libspladerunner.so (SONAME
// libspladerunner.so.0.1) instead of the static one, with a RUNPATH to its directory. ONNX Runtime is then found
// beside libspladerunner.so (its own RUNPATH is $ORIGIN).

// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -lspladerunner
// #cgo LDFLAGS: -Wl,-rpath,${SRCDIR}/../../target/release
import "C"
