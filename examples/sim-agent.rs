//! The simulated Antrea Agent; the simulator lives in `sim/src/agent/` (package `antrea-sim`).
fn main() -> std::process::ExitCode {
    antrea_sim::agent::main()
}
