//! Prints the metrics reference that `docs/metrics.md` holds:
//! `cargo run --example metrics-reference > docs/metrics.md`.

fn main() {
    print!("{}", antrea_metrics::reference_markdown());
}
