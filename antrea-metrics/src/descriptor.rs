//! What describes one metric family: the facts the catalogue holds for each.

use crate::{Profile, Unit};
use std::fmt;

/// Which Antrea process defines a family. The agent process exposes agent and proxy families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Component {
    /// `antrea_agent_*`, exposed by the agent.
    Agent,
    /// `antrea_controller_*`, exposed by the controller.
    Controller,
    /// `antrea_proxy_*`, exposed by the agent (Antrea Proxy runs inside it).
    Proxy,
    /// `antrea_metrics_server_*`: not Antrea's, the library's HTTPS server's own families
    /// (its Kubernetes reviews' included).
    MetricsServer,
}

impl Component {
    /// The component's name as Antrea's docs write it: `agent`, `controller` or `proxy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Agent => "agent",
            Component::Controller => "controller",
            Component::Proxy => "proxy",
            Component::MetricsServer => "metrics server",
        }
    }
}

/// The Prometheus metric type of a family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A monotonic counter.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A histogram with fixed buckets.
    Histogram,
}

impl MetricType {
    /// The name in a `# TYPE` line.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
    }
}

/// Kubernetes component-base stability level, shown as a `[ALPHA] `/`[STABLE] ` HELP prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stability {
    /// May change without deprecation.
    Alpha,
    /// Guaranteed not to change.
    Stable,
    /// Not a Kubernetes component-base family (the library's own server families): no
    /// stability level, HELP without a prefix.
    Internal,
}

impl Stability {
    /// `ALPHA`, `STABLE` or `INTERNAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Alpha => "ALPHA",
            Stability::Stable => "STABLE",
            Stability::Internal => "INTERNAL",
        }
    }
}

/// How a family differs in the exposition documented for Antrea v1.11.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum V1_11 {
    /// Not exposed by v1.11.
    Absent,
    /// Exposed, with the given overrides (`None`: as in the latest release).
    Present {
        /// The v1.11 name.
        name: Option<&'static str>,
        /// The v1.11 HELP text (without the stability prefix).
        help: Option<&'static str>,
        /// The v1.11 label names.
        labels: Option<&'static [&'static str]>,
    },
}

/// One metric family, with every fact needed to register and expose it exactly as Antrea does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Descriptor {
    /// The full metric name.
    pub name: &'static str,
    /// The component that defines it.
    pub component: Component,
    /// Its Prometheus type.
    pub metric_type: MetricType,
    /// Its stability level.
    pub stability: Stability,
    /// The HELP text, without the stability prefix.
    pub help: &'static str,
    /// Variable label names, in exposition order.
    pub labels: &'static [&'static str],
    /// Label values whose series exist from startup (value 0).
    pub startup: &'static [&'static [&'static str]],
    /// Histogram upper bounds (empty for other types).
    pub buckets: &'static [f64],
    /// The unit histogram observations are in (`None` for other types), as declared: never
    /// guessed from the name.
    pub unit: Option<Unit>,
    /// Antrea Proxy registers one series per IP family, told apart by the constant label
    /// `ip_family` (`v4`, `v6`).
    pub per_ip_family: bool,
    /// The Antrea release that introduced it (`v0.x` for the earliest ones), or the releases,
    /// comma-separated, when several release lines shipped it the same day (the FQDN families:
    /// `v2.5.3, v2.6.3, v2.7.0`).
    pub since: &'static str,
    /// Its v1.11 exposition.
    pub v1_11: V1_11,
}

/// How a family appears on the wire for one [`Profile`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exposed {
    /// The exposed name.
    pub name: &'static str,
    /// The HELP text without the stability prefix.
    pub help: &'static str,
    /// Variable label names.
    pub labels: &'static [&'static str],
}

impl Descriptor {
    /// How the family appears for `profile`, or `None` when that release does not expose it.
    ///
    /// ```
    /// use antrea_metrics::{catalogue, Profile};
    /// let d = catalogue::CONTROLLER_ANNP_STATUS_UPDATES;
    /// assert_eq!(d.exposed(Profile::V1_11).unwrap().name, "antrea_controller_anp_status_updates");
    /// assert!(catalogue::AGENT_FQDN_CACHE_SIZE.exposed(Profile::V1_11).is_none());
    /// ```
    pub fn exposed(&self, profile: Profile) -> Option<Exposed> {
        let latest = Exposed {
            name: self.name,
            help: self.help,
            labels: self.labels,
        };
        match (profile, self.v1_11) {
            (Profile::Latest, _) => Some(latest),
            (Profile::V1_11, V1_11::Absent) => None,
            (Profile::V1_11, V1_11::Present { name, help, labels }) => Some(Exposed {
                name: name.unwrap_or(self.name),
                help: help.unwrap_or(self.help),
                labels: labels.unwrap_or(self.labels),
            }),
        }
    }

    /// The HELP line's text as exposed: `[ALPHA] ` or `[STABLE] ` followed by `help`
    /// (`help` alone for [`Stability::Internal`] families).
    pub fn exposed_help(&self, help: &str) -> String {
        match self.stability {
            Stability::Internal => help.to_owned(),
            s => format!("[{}] {}", s.as_str(), help),
        }
    }
}

impl fmt::Display for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
