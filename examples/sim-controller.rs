//! The simulated Antrea Controller; the simulator lives in `sim/src/controller/` (package `antrea-sim`).
fn main() -> std::process::ExitCode {
    antrea_sim::controller::main()
}
