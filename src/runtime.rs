//! Loading ONNX Runtime and opening sessions on it.
//!
//! ONNX Runtime is a shared library opened at run time (the `ort` crate's `load-dynamic` mode), so building this
//! crate needs no ONNX Runtime and a missing one is an error returned to the caller, never a crash. A process can
//! hold one ONNX Runtime library and one environment; both are created on first use and kept for the life of the
//! process.

use std::error::Error as _;
use std::ffi::CStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use ort::environment::Environment;
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use parking_lot::Mutex;

use crate::error::{Error, Result, Status};

/// The file name of ONNX Runtime's shared library, looked for beside this library.
const LIBRARY_FILE: &str = "libonnxruntime.so";

/// The process-wide ONNX Runtime: where it was loaded from and its environment.
struct Loaded {
    path: PathBuf,
    environment: Environment,
}

/// `None` until ONNX Runtime is loaded; a failed load leaves it `None` so that a later call can try again.
static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);

/// Returns the process's ONNX Runtime environment, loading the library first if needed.
///
/// `explicit` is the caller's `ort_library_path` option (a relative path is taken from the working directory, a
/// bare file name from the dynamic linker's search). Without it, `ORT_DYLIB_PATH` when set. A library named either
/// way is the only one tried: a user who names a library gets it or an error saying why it failed to load, never
/// another one. When neither names one the candidates are, in order: `libonnxruntime.so` beside the module that
/// holds this code (our shared library, or the executable that links this crate), then `libonnxruntime.so`
/// through the dynamic linker's search (which includes `$ORIGIN`, the RUNPATH of `libspladerunner.so`).
pub(crate) fn environment(explicit: Option<&Path>) -> Result<Environment> {
    let mut loaded = LOADED.lock();
    if let Some(loaded) = loaded.as_ref() {
        return match explicit {
            Some(path) if !same_file(&opened_file(&from_working_dir(path)), &loaded.path) => Err(Error::new(
                Status::RuntimeUnavailable,
                format!(
                    "ONNX Runtime is already loaded in this process from {}; it cannot also be loaded from {}",
                    loaded.path.display(),
                    path.display()
                ),
            )),
            _ => Ok(loaded.environment.clone()),
        };
    }
    let named = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty());
    let (candidates, hint) = match (explicit, named) {
        (Some(path), _) => (vec![from_working_dir(path)], "the ort_library_path option"),
        (None, Some(path)) => (vec![from_working_dir(Path::new(&path))], "ORT_DYLIB_PATH"),
        (None, None) => (
            default_candidates(),
            "the ort_library_path option or ORT_DYLIB_PATH",
        ),
    };
    let mut failures = Vec::new();
    for candidate in candidates {
        match load(&candidate) {
            Ok(environment) => {
                let result = environment.clone();
                *loaded = Some(Loaded {
                    path: opened_file(&candidate),
                    environment,
                });
                return Ok(result);
            }
            Err(reason) => failures.push(format!("{}: {reason}", candidate.display())),
        }
    }
    Err(Error::new(
        Status::RuntimeUnavailable,
        format!(
            "ONNX Runtime could not be loaded ({}); set {hint} to libonnxruntime.so, or place it beside \
             libspladerunner.so",
            failures.join("; ")
        ),
    ))
}

/// ONNX Runtime's switch for its telemetry, read once when the library initializes. Unset, ONNX Runtime on Linux
/// starts an uploader that writes a device id and an event database under `~/.cache/Microsoft/DeveloperTools`,
/// with `fsync`s at start and at exit; the environment's `with_telemetry(false)` (ONNX Runtime's
/// `DisableTelemetryEvents`) comes after that and does not undo it.
const TELEMETRY_SWITCH: &str = "ORT_DISABLE_TELEMETRY";

/// Loads the library at `path` and creates the environment, turning every failure (even a panic inside `ort`)
/// into a message. Telemetry is switched off first ([`TELEMETRY_SWITCH`]), unless the user set the switch.
fn load(path: &Path) -> std::result::Result<Environment, String> {
    if std::env::var_os(TELEMETRY_SWITCH).is_none() {
        // Once per process, under the lock that guards loading, before ONNX Runtime reads it.
        std::env::set_var(TELEMETRY_SWITCH, "1");
    }
    let attempt = std::panic::catch_unwind(|| -> std::result::Result<Environment, String> {
        let builder = ort::init_from(path).map_err(|e| match &e {
            // `ort` shows the library's error but not its cause, which holds the system's reason.
            ort::LoadDynamicError::Dlopen { error, .. } => match error.source() {
                Some(reason) => format!("{e}: {}", with_causes(reason)),
                None => e.to_string(),
            },
            _ => with_causes(&e),
        })?;
        builder
            .with_name("spladerunner")
            .with_telemetry(false)
            .build()
            .map_err(|e| with_causes(&e))
    });
    attempt.unwrap_or_else(|_| Err("ONNX Runtime panicked while loading".to_string()))
}

/// `error`'s message followed by those of its causes. A failed `dlopen` reads "dlopen failed" and keeps the
/// system's reason (`dlerror`'s text: "No such file or directory", "wrong ELF class", an undefined symbol) in its
/// cause, which a caller needs to act on.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        message = format!("{message}: {e}");
        cause = e.source();
    }
    message
}

/// The places to look for ONNX Runtime when the caller named none, neither by option nor by `ORT_DYLIB_PATH`.
fn default_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = own_module_dir() {
        candidates.push(dir.join(LIBRARY_FILE));
    }
    candidates.push(PathBuf::from(LIBRARY_FILE));
    candidates
}

/// A relative path with a directory part made absolute against the working directory (as users expect; `ort`
/// would try the executable's directory first). A bare file name is left to the dynamic linker's search.
fn from_working_dir(path: &Path) -> PathBuf {
    let bare = path.parent().is_none_or(|p| p.as_os_str().is_empty());
    if path.is_absolute() || bare {
        return path.to_path_buf();
    }
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The directory of the shared object (or executable) that contains this function's code.
fn own_module_dir() -> Option<PathBuf> {
    let file = module_file(own_module_dir as *const libc::c_void)?;
    file.parent().map(Path::to_path_buf)
}

/// The canonical path of the shared object (or executable) whose code or data holds `address`.
fn module_file(address: *const libc::c_void) -> Option<PathBuf> {
    if address.is_null() {
        return None;
    }
    let mut info = std::mem::MaybeUninit::<libc::Dl_info>::zeroed();
    // SAFETY: dladdr only reads the address and writes `info`; it returns 0 when the address is in no module.
    let found = unsafe { libc::dladdr(address, info.as_mut_ptr()) };
    if found == 0 {
        return None;
    }
    // SAFETY: dladdr succeeded, so `info` is initialised; `dli_fname` is NULL or a NUL-terminated path owned by
    // the dynamic linker.
    let info = unsafe { info.assume_init() };
    if info.dli_fname.is_null() {
        return None;
    }
    let file = unsafe { CStr::from_ptr(info.dli_fname) };
    let file = Path::new(std::ffi::OsStr::from_bytes(file.to_bytes()));
    std::fs::canonicalize(file).ok()
}

/// The file the dynamic linker opened for `path` (which may be a bare name found through the search path), or
/// `path` itself when it names no loaded library: how a loaded library and a requested one are compared.
fn opened_file(path: &Path) -> PathBuf {
    resolved_path(path).unwrap_or_else(|| path.to_path_buf())
}

/// The file the dynamic linker actually opened for `path`, found from the address of ONNX Runtime's entry point.
fn resolved_path(path: &Path) -> Option<PathBuf> {
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: RTLD_NOLOAD only looks up an already loaded library and takes a reference, released below.
    let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    if handle.is_null() {
        return None;
    }
    // SAFETY: `handle` is a live library handle; the symbol name is NUL-terminated.
    let entry = unsafe { libc::dlsym(handle, c"OrtGetApiBase".as_ptr()) };
    let file = module_file(entry);
    // SAFETY: releases the reference taken by dlopen above; ONNX Runtime stays loaded by `ort`.
    unsafe { libc::dlclose(handle) };
    file
}

/// True when both paths name the same file (or are equal, when either cannot be resolved).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Graph rewrites of ONNX Runtime that make our models slower, as a session option (key, comma-separated
/// names). `SkipLayerNormFusion` fuses a residual `Add` with the `LayerNormalization` after it; it fires on
/// int8 models (whose matrix products become `MatMulIntegerToFloat`), and ONNX Runtime's CPU kernel of the fused
/// operator is slower than the two it replaces (BENCHMARKS.md, levers tried).
/// Float32 models keep the same graph either way.
const DISABLED_OPTIMIZERS: (&str, &str) = (
    "optimization.disable_specified_optimizers",
    "SkipLayerNormFusion",
);

/// Opens one session on `model` with the thread count the caller chose.
pub(crate) fn open_session(
    environment: &Environment,
    model: &Path,
    intra_op_threads: Option<usize>,
) -> Result<Session> {
    session_builder(environment, intra_op_threads)
        .and_then(|mut builder| builder.commit_from_file(model))
        .map_err(|e| {
            ort_error(
                Status::InvalidModel,
                format!(
                    "{} could not be loaded by ONNX Runtime: {e}",
                    model.display()
                ),
            )
        })
}

/// What ONNX Runtime says when its allocator fails: its C++ `std::bad_alloc`, or its arena's own failure.
const ALLOCATION_FAILURES: [&str; 2] = ["bad_alloc", "Failed to allocate"];

/// An ONNX Runtime failure, described by `message`, as an error of `status`; but [`Status::OutOfMemory`] when
/// ONNX Runtime's allocator failed, whatever the step, so that a lack of memory (too many threads, too large an
/// input) never reads as a bad model or a failed run.
pub(crate) fn ort_error(status: Status, message: String) -> Error {
    match ALLOCATION_FAILURES.iter().any(|m| message.contains(m)) {
        true => Error::new(Status::OutOfMemory, format!("out of memory: {message}")),
        false => Error::new(status, message),
    }
}

/// The options of every session the library opens: all of ONNX Runtime's graph optimizations but
/// [`DISABLED_OPTIMIZERS`], and the caller's thread count.
fn session_builder(
    environment: &Environment,
    intra_op_threads: Option<usize>,
) -> ort::Result<SessionBuilder> {
    let builder = Session::builder(environment)?
        .with_optimization_level(GraphOptimizationLevel::Level3)?
        .with_config_entry(DISABLED_OPTIMIZERS.0, DISABLED_OPTIMIZERS.1)?;
    Ok(match intra_op_threads {
        Some(threads) => builder.with_intra_threads(threads)?,
        None => builder,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The graph a session built by `builder` runs for `model`, after ONNX Runtime's optimizations (as it
    /// saves it).
    fn optimized_graph(builder: SessionBuilder, model: &Path, name: &str) -> Vec<u8> {
        let out = std::env::temp_dir().join(format!(
            "spladerunner-optimized-{}-{name}.onnx",
            std::process::id()
        ));
        builder
            .with_optimized_model_path(&out)
            .unwrap()
            .commit_from_file(model)
            .unwrap();
        let graph = std::fs::read(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        graph
    }

    #[test]
    fn allocation_failures_are_out_of_memory_and_other_failures_keep_their_status() {
        let cases = [
            (
                "m.onnx could not be loaded by ONNX Runtime: Exception during initialization: std::bad_alloc",
                Status::OutOfMemory,
            ),
            (
                "ONNX Runtime failed: bfc_arena.cc:359 AllocateRawInternal Failed to allocate memory for requested \
                 buffer of size 4294967296",
                Status::OutOfMemory,
            ),
            (
                "m.onnx could not be loaded by ONNX Runtime: Protobuf parsing failed.",
                Status::InvalidModel,
            ),
        ];
        for (message, status) in cases {
            let error = ort_error(Status::InvalidModel, message.to_string());
            assert_eq!(error.status(), status, "{message}");
            assert!(error.message().ends_with(message));
        }
    }

    /// The int8 model would get the fused residual LayerNormalization from ONNX Runtime's defaults, and does
    /// not from the library's sessions.
    #[test]
    fn sessions_run_without_the_disabled_fusion() {
        // The ONNX Runtime `tools/setup.sh` fetched (unit tests get no rpath to it, see build.rs).
        let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache");
        let environment = environment(Some(&cache.join("onnxruntime/libonnxruntime.so"))).unwrap();
        let model = crate::test_files::model("splade-tiny-int8").join("model.onnx");
        let fused = |graph: &[u8]| {
            graph
                .windows(b"SkipLayerNormalization".len())
                .any(|w| w == b"SkipLayerNormalization")
        };
        let defaults = Session::builder(&environment)
            .unwrap()
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .unwrap();
        assert!(fused(&optimized_graph(defaults, &model, "defaults")));
        let ours = session_builder(&environment, Some(1)).unwrap();
        assert!(!fused(&optimized_graph(ours, &model, "ours")));
    }
}
