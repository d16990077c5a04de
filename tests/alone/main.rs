//! The tests that must not share their process with other tests: they lower or count this
//! process's open files, measure its CPU time and memory, or need the machine's CPU to keep a
//! hundred simulated Nodes within Prometheus' scrape timeout. One binary, in which the tests of
//! one module never run beside those of another (`gate`); `tests/it/` holds all the others.

mod gate;

mod emfile;
mod fds;
mod flood;
mod h2;
mod sim_fleet;
