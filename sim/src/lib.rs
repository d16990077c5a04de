//! The simulated Antrea components behind the `sim-agent`, `sim-controller` and `sim-fleet`
//! examples (see `docs/simulator.md`): their models, flags and serving code in one library, so
//! that what they share is compiled and unit-tested once. Each example's `main` is one call to
//! its module's `main`.

pub mod agent;
pub mod certs;
pub mod common;
pub mod controller;
pub mod fleet;
