//! Flags both simulators share: where and how to serve, which profile, and how to run.

use antrea_metrics::{NativeConfig, NativeHistograms, Profile};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Serving and run-control flags (`#[command(flatten)]` into each simulator's flags).
#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    /// Address to serve https://ADDR/metrics on [default: 127.0.0.1:10350 for the agent,
    /// 127.0.0.1:10349 for the controller, Antrea's API ports; 127.0.0.1:20000 for the fleet's
    /// first Node]. Port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// File holding the bearer token scrapers must send. Created with a random token (mode
    /// 0600) when it does not exist [default: target/sim/<agent|controller|fleet>.token].
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Check scrapers' tokens with the Kubernetes API server, as Antrea does: a TokenReview,
    /// then a SubjectAccessReview of `get /metrics`, using the Pod's ServiceAccount (in-cluster).
    /// Replaces --token-file; requests without a token are reviewed as system:anonymous.
    #[arg(long, conflicts_with_all = ["token_file", "kubeconfig"])]
    pub kube_auth: bool,

    /// Like --kube-auth, reaching the API server through this kubeconfig file instead of the
    /// in-cluster ServiceAccount (for running outside a cluster).
    #[arg(long, value_name = "PATH", conflicts_with = "token_file")]
    pub kubeconfig: Option<PathBuf>,

    /// PEM certificate chain to serve (with --tls-key); otherwise a self-signed one is made.
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Where to write the self-signed certificate's CA, for Prometheus' `ca_file` or curl's
    /// --cacert [default: target/sim/<agent|controller|fleet>-ca.pem].
    #[arg(long, value_name = "PATH", conflicts_with = "tls_cert")]
    pub write_ca: Option<PathBuf>,

    /// Which Antrea release's metric names and labels to expose: latest or v1.11.
    #[arg(long, default_value = "latest", value_name = "PROFILE")]
    pub profile: Profile,

    /// Seed of the simulation; the same seed and flags give the same sequence of steps
    /// (what a scrape sees depends on when it lands) [default: random, and logged].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Stop by itself after this long (e.g. 30, 30s, 500ms) instead of at Ctrl-C or SIGTERM.
    #[arg(long, value_name = "SECONDS", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// Milliseconds between two simulation steps.
    #[arg(long, value_name = "MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub tick_ms: u64,

    /// Threads serving scrapes (and stepping the simulation). One is plenty for Prometheus;
    /// more lets load tests use every core, as Antrea's Go runtime does.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,

    /// Also offer OpenMetrics 1.0.0 text to scrapers that ask for it (Prometheus does by
    /// default). Off by default, as in Antrea: Prometheus then stores counters as
    /// `<name>_total`, which Antrea's queries and dashboards do not use.
    #[arg(long)]
    pub openmetrics: bool,

    /// Keep native (sparse, exponential) buckets for every histogram, beside the classic ones,
    /// for a Prometheus started with `--enable-feature=native-histograms` (it asks for the
    /// protobuf format, the only one that carries them).
    #[arg(long)]
    pub native_histograms: bool,

    /// The widest ratio between a native bucket's bounds (client_golang's
    /// NativeHistogramBucketFactor); with --native-histograms.
    #[arg(
        long,
        value_name = "FACTOR",
        default_value_t = 1.1,
        requires = "native_histograms"
    )]
    pub native_bucket_factor: f64,
}

/// What the two simulators' defaults differ in.
pub struct Defaults {
    /// `--listen`.
    pub listen: &'static str,
    /// `--token-file`.
    pub token_file: &'static str,
    /// `--write-ca`.
    pub write_ca: &'static str,
}

/// Where the certificate comes from.
#[derive(Debug, Clone)]
pub enum Tls {
    /// Generated at startup; its CA is written to the path.
    SelfSigned {
        /// Where the CA goes.
        write_ca: PathBuf,
        /// Whether --write-ca was given: then failing to write it is an error; the default
        /// path is best effort (a container's root filesystem may be read-only).
        required: bool,
    },
    /// Read from PEM files.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// Its private key.
        key: PathBuf,
    },
}

/// How scrapers' tokens are checked.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Against the tokens in this file.
    TokenFile(PathBuf),
    /// By the Kubernetes API server reached from inside the cluster.
    KubeInCluster,
    /// By the Kubernetes API server named in this kubeconfig.
    Kubeconfig(PathBuf),
}

/// The serving options with every default applied.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// How tokens are checked.
    pub auth: Auth,
    /// The certificate.
    pub tls: Tls,
    /// Whether OpenMetrics is offered.
    pub openmetrics: bool,
}

impl CommonArgs {
    /// The serving options, with `defaults` for what was not given.
    pub fn serve_options(&self, defaults: &Defaults) -> Result<ServeOptions, String> {
        let listen = match self.listen {
            Some(addr) => addr,
            None => defaults
                .listen
                .parse()
                .map_err(|e| format!("bad built-in address {}: {e}", defaults.listen))?,
        };
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Tls::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            // clap's `requires` makes a lone --tls-cert or --tls-key a usage error.
            _ => Tls::SelfSigned {
                write_ca: self
                    .write_ca
                    .clone()
                    .unwrap_or_else(|| defaults.write_ca.into()),
                required: self.write_ca.is_some(),
            },
        };
        Ok(ServeOptions {
            listen,
            auth: match (&self.kubeconfig, self.kube_auth) {
                (Some(path), _) => Auth::Kubeconfig(path.clone()),
                (None, true) => Auth::KubeInCluster,
                (None, false) => Auth::TokenFile(
                    self.token_file
                        .clone()
                        .unwrap_or_else(|| defaults.token_file.into()),
                ),
            },
            tls,
            openmetrics: self.openmetrics,
        })
    }

    /// Which histograms keep native buckets: all of them with --native-histograms, else none.
    pub fn native_histograms(&self) -> Result<NativeHistograms, String> {
        if !self.native_histograms {
            return Ok(NativeHistograms::none());
        }
        let config = NativeConfig::new(self.native_bucket_factor).map_err(|e| e.to_string())?;
        Ok(NativeHistograms::all(config))
    }

    /// The time between two simulation steps.
    pub fn tick(&self) -> Duration {
        Duration::from_millis(self.tick_ms)
    }

    /// The seed to use: the given one, or a fresh one from the OS.
    pub fn seed(&self) -> Result<u64, String> {
        match self.seed {
            Some(seed) => Ok(seed),
            None => {
                let mut bytes = [0u8; 8];
                getrandom::getrandom(&mut bytes)
                    .map_err(|e| format!("cannot draw a random seed: {e} (pass --seed)"))?;
                Ok(u64::from_le_bytes(bytes))
            }
        }
    }
}

/// Parses `30`, `2.5`, `30s`, `500ms` or `2m` into a positive duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (use e.g. 30, 30s, 500ms or 2m)"))?;
    let secs = value * scale;
    // A week is far past any use and keeps Duration::from_secs_f64 in range.
    if !(secs > 0.0 && secs <= 7.0 * 86_400.0) {
        return Err(format!("{text:?} must be more than 0 and at most a week"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn number(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{text:?} is not a number"))
}

/// A mean count per step: 0 to 10 000 (more would only make steps slow).
pub fn rate(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    (0.0..=10_000.0)
        .contains(&v)
        .then_some(v)
        .ok_or_else(|| format!("{v} is not between 0 and 10000"))
}

/// A probability, 0 to 1.
pub fn probability(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    (0.0..=1.0)
        .contains(&v)
        .then_some(v)
        .ok_or_else(|| format!("{v} is not a probability between 0 and 1"))
}

/// A positive amount, up to 60 000 (a minute in milliseconds).
pub fn positive(text: &str) -> Result<f64, String> {
    let v = number(text)?;
    (v > 0.0 && v <= 60_000.0)
        .then_some(v)
        .ok_or_else(|| format!("{v} is not between 0 (excluded) and 60000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "0", "-1s", "soon", "NaN", "1e99"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
