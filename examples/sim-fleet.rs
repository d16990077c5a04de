//! The simulated Antrea fleet; the simulator lives in `sim/src/fleet/` (package `antrea-sim`).
fn main() -> std::process::ExitCode {
    antrea_sim::fleet::main()
}
