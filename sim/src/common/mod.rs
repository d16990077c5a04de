//! What both simulators share: flags, the seeded generator, serving, and shutdown.

pub mod cli;
pub mod fds;
pub mod rng;
pub mod run;
pub mod serve;
pub mod snapshot;
