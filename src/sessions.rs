//! ONNX Runtime inference sessions of one model, lent to the threads that call one expander at once.
//!
//! `ort`'s `Session::run` needs `&mut Session`, so one session serves one call at a time. [`Sessions`] holds up to
//! `capacity` sessions: a caller takes a free one, opens a new one while under capacity, or waits for one to be
//! returned. Sessions are opened lazily, so a single-threaded user pays for one.

use std::ops::{Deref, DerefMut};

use ort::session::Session;
use parking_lot::{Condvar, Mutex};

use crate::error::Result;

/// Sessions not in use, and how many exist in all.
struct State {
    idle: Vec<Session>,
    open: usize,
}

/// Up to `capacity` sessions on one model, shared by the threads of one expander.
pub(crate) struct Sessions {
    state: Mutex<State>,
    returned: Condvar,
    capacity: usize,
    open_session: Box<dyn Fn() -> Result<Session> + Send + Sync>,
}

/// A session lent to one caller; it goes back to its [`Sessions`] when dropped.
pub(crate) struct LentSession<'p> {
    owner: &'p Sessions,
    session: Option<Session>,
}

impl Sessions {
    /// Sessions holding `first` (or nothing yet), which may grow to `capacity` sessions made by `open_session`.
    pub(crate) fn new(
        first: Option<Session>,
        capacity: usize,
        open_session: impl Fn() -> Result<Session> + Send + Sync + 'static,
    ) -> Self {
        let idle: Vec<Session> = first.into_iter().collect();
        Sessions {
            state: Mutex::new(State {
                open: idle.len(),
                idle,
            }),
            returned: Condvar::new(),
            capacity: capacity.max(1),
            open_session: Box::new(open_session),
        }
    }

    /// Takes a session: an idle one, a new one while under capacity, or the first one returned.
    pub(crate) fn take(&self) -> Result<LentSession<'_>> {
        let mut state = self.state.lock();
        loop {
            if let Some(session) = state.idle.pop() {
                return Ok(self.lend(session));
            }
            if state.open < self.capacity {
                state.open += 1;
                drop(state);
                return match (self.open_session)() {
                    Ok(session) => Ok(self.lend(session)),
                    Err(error) => {
                        self.state.lock().open -= 1;
                        self.returned.notify_one();
                        Err(error)
                    }
                };
            }
            self.returned.wait(&mut state);
        }
    }

    /// Opens sessions until there are `capacity` of them.
    pub(crate) fn open_all(&self) -> Result<()> {
        let taken = (0..self.capacity)
            .map(|_| self.take())
            .collect::<Result<Vec<_>>>()?;
        drop(taken);
        Ok(())
    }

    fn lend(&self, session: Session) -> LentSession<'_> {
        LentSession {
            owner: self,
            session: Some(session),
        }
    }
}

impl Deref for LentSession<'_> {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.session
            .as_ref()
            .expect("a lent session is present until dropped")
    }
}

impl DerefMut for LentSession<'_> {
    fn deref_mut(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("a lent session is present until dropped")
    }
}

impl Drop for LentSession<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.owner.state.lock().idle.push(session);
            self.owner.returned.notify_one();
        }
    }
}
