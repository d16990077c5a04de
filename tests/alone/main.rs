//! The tests that must not share their process with other tests: they lower or count this
//! process's open files, measure its CPU time and memory, need the machine to themselves for
//! their attack figures, or need its CPU to keep hundreds of simulated Nodes within
//! Prometheus' scrape timeout. One binary, in which the tests of one module never run beside
//! those of another (`gate`); `tests/it/` holds all the others.

mod gate;

mod admission;
mod emfile;
mod fds;
mod flood;
mod h2;
mod sharded_prometheus;
mod sim_fleet;
