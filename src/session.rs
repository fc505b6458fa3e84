//! The expander's ONNX Runtime session: one per expander, run by any number of threads at once, so that its graph
//! and weights are held once however many threads call.
//!
//! ONNX Runtime's `Run` may be called concurrently on one session: its `InferenceSession` serializes graph
//! execution itself for an execution provider that cannot run concurrently, and the CPU provider, the only one the
//! library uses, can. `ort` offers `run` only on `&mut Session` (its authors distrust that guarantee), which would
//! take one session, with its own copy of the weights, per concurrent call; so [`SharedSession::run`] calls the C
//! API's `Run` itself. `tests/threads.rs` and the bindings' concurrency tests check concurrent calls against
//! serial ones.
//!
//! [`Gate`] bounds how many calls run on the session at once.

use std::ffi::{c_char, CString};
use std::ptr::{self, NonNull};

use ort::session::Session;
use ort::value::{DynValue, TensorRef};
use ort::AsPointer;
use parking_lot::{Condvar, Mutex};

/// One ONNX Runtime session, shared by the threads that call one expander (`Send + Sync`, runs through `&self`).
pub(crate) struct SharedSession {
    session: Session,
}

impl SharedSession {
    pub(crate) fn new(session: Session) -> Self {
        SharedSession { session }
    }

    /// The session, for its inputs' and outputs' descriptions.
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// Runs the graph on `inputs` (name and tensor) and returns its output named `output`.
    pub(crate) fn run(
        &self,
        inputs: &[(&str, TensorRef<'_, i64>)],
        output: &str,
    ) -> ort::Result<DynValue> {
        let names = (inputs.iter())
            .map(|(name, _)| CString::new(*name))
            .collect::<Result<Vec<_>, _>>()?;
        let name_ptrs: Vec<*const c_char> = names.iter().map(|name| name.as_ptr()).collect();
        let value_ptrs: Vec<*const ort::sys::OrtValue> =
            inputs.iter().map(|(_, value)| value.ptr()).collect();
        let output_name = CString::new(output)?;
        let mut out: *mut ort::sys::OrtValue = ptr::null_mut();
        // SAFETY: the session pointer is valid while `self` lives; `Run` may run concurrently on one CPU session
        // (module documentation) and does not keep the pointers it is given: the names and input values (which
        // borrow their data for `inputs`' lifetime) outlive the call, and `out` receives one new value.
        let status = unsafe {
            (ort::api().Run)(
                self.session.ptr().cast_mut(),
                ptr::null(),
                name_ptrs.as_ptr(),
                value_ptrs.as_ptr(),
                value_ptrs.len(),
                &output_name.as_ptr(),
                1,
                &mut out,
            )
        };
        // SAFETY: `status` was returned by an ONNX Runtime API function, and is consumed here once.
        unsafe { ort::Error::result_from_status(status) }?;
        let out =
            NonNull::new(out).ok_or_else(|| ort::Error::new("ONNX Runtime returned no output"))?;
        // SAFETY: `out` is a value ONNX Runtime made for this call with the session's allocator and handed over to
        // the caller: the `DynValue` owns it from here and releases it when dropped.
        Ok(unsafe { DynValue::from_ptr(out, Some(self.session.allocator())) })
    }
}

/// At most `limit` holders at once: a counting semaphore.
pub(crate) struct Gate {
    held: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

/// A place taken through a [`Gate`], given back when dropped.
pub(crate) struct Pass<'g> {
    gate: &'g Gate,
}

impl Gate {
    pub(crate) fn new(limit: usize) -> Self {
        Gate {
            held: Mutex::new(0),
            freed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// Waits until fewer than `limit` passes are held, then takes one.
    pub(crate) fn enter(&self) -> Pass<'_> {
        let mut held = self.held.lock();
        while *held >= self.limit {
            self.freed.wait(&mut held);
        }
        *held += 1;
        Pass { gate: self }
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        *self.gate.held.lock() -= 1;
        self.gate.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_gate_lets_at_most_its_limit_through_at_once() {
        let gate = Gate::new(2);
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..6 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let _pass = gate.enter();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(*gate.held.lock(), 0);
    }
}
