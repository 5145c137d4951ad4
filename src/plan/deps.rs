//! The dependency loop and the [`Scheduler`] both kinds of API share: each kind says which of
//! its ops are barriers and which must follow which ([`super::rest::deps`],
//! [`super::http::deps`]); the executor starts an op as soon as every op it depends on has
//! finished (and the quota buckets allow). What is executed is never changed, only when.

use std::collections::BTreeSet;

/// [`dependencies`](crate::plan::rest::deps::dependencies) for any kind of op: a `barrier`
/// waits for everything before it and everything after waits for it; between barriers
/// `later` waits for `earlier` when `must_follow(earlier, later)`. Shared by [`super::rest::deps`] and [`super::http::deps`].
pub(crate) fn dependencies_with<O>(
    ops: &[O],
    barrier: impl Fn(&O) -> bool,
    must_follow: impl Fn(&O, &O) -> bool,
) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(ops.len());
    let mut last_barrier: Option<usize> = None;
    for (i, op) in ops.iter().enumerate() {
        let from = last_barrier.map_or(0, |b| b + 1);
        let mut deps: Vec<usize> = last_barrier.into_iter().collect();
        let is_barrier = barrier(op);
        deps.extend((from..i).filter(|&j| is_barrier || must_follow(&ops[j], op)));
        if is_barrier {
            last_barrier = Some(i);
        }
        out.push(deps);
    }
    out
}

/// The order ops may start in, given which have finished: a pure state machine the executor
/// drives. `next` hands out the lowest-index op whose dependencies have all finished, at most
/// `max_in_flight` at a time and one exclusive op at a time ([`changes_ids`](crate::plan::rest::deps::changes_ids) for REST); after `stop`, nothing more
/// starts.
#[derive(Debug, Clone)]
pub struct Scheduler {
    dependents: Vec<Vec<usize>>,
    waiting_on: Vec<usize>,
    exclusive: Vec<bool>,
    ready: BTreeSet<usize>,
    running: usize,
    exclusive_running: bool,
    stopped: bool,
}

impl Scheduler {
    // `Scheduler::new`, the scheduler of a REST plan, is in [`super::rest::deps`].

    /// A scheduler from each op's dependencies (indices of earlier ops) and whether it is
    /// exclusive (runs alone among exclusive ops): shared by both kinds of API
    /// ([`super::http::deps`]).
    pub fn from_parts(deps: Vec<Vec<usize>>, exclusive: Vec<bool>) -> Scheduler {
        let mut dependents = vec![Vec::new(); deps.len()];
        for (i, ds) in deps.iter().enumerate() {
            for &d in ds {
                dependents[d].push(i);
            }
        }
        let waiting_on: Vec<usize> = deps.iter().map(Vec::len).collect();
        let ready = (0..deps.len()).filter(|&i| waiting_on[i] == 0).collect();
        Scheduler {
            dependents,
            waiting_on,
            exclusive,
            ready,
            running: 0,
            exclusive_running: false,
            stopped: false,
        }
    }

    /// The next op to start, if one may start now.
    pub fn next(&mut self, max_in_flight: usize) -> Option<usize> {
        if self.stopped || self.running >= max_in_flight.max(1) {
            return None;
        }
        let i = *self
            .ready
            .iter()
            .find(|&&i| !(self.exclusive[i] && self.exclusive_running))?;
        self.ready.remove(&i);
        self.running += 1;
        if self.exclusive[i] {
            self.exclusive_running = true;
        }
        Some(i)
    }

    /// Op `i` finished (successfully: its dependents may become ready).
    pub fn finished(&mut self, i: usize) {
        self.done(i);
        for d in std::mem::take(&mut self.dependents[i]) {
            self.waiting_on[d] -= 1;
            if self.waiting_on[d] == 0 {
                self.ready.insert(d);
            }
        }
    }

    /// Op `i` failed: nothing new starts; ops in flight may still finish.
    pub fn failed(&mut self, i: usize) {
        self.done(i);
        self.stopped = true;
    }

    fn done(&mut self, i: usize) {
        self.running -= 1;
        if self.exclusive[i] {
            self.exclusive_running = false;
        }
    }

    /// Ops started and not finished yet.
    pub fn running(&self) -> usize {
        self.running
    }
}
