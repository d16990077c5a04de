//! What describes one metric family: the facts the catalogue holds for each.

use crate::profile::{Change, Profile};
use std::fmt;

/// Which Antrea process defines a family. The agent process exposes agent and proxy families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Component {
    /// `antrea_agent_*`, exposed by the agent.
    Agent,
    /// `antrea_controller_*`, exposed by the controller.
    Controller,
    /// `antrea_proxy_*`, exposed by the agent (Antrea Proxy runs inside it).
    Proxy,
}

impl Component {
    /// The component's name as Antrea's docs write it: `agent`, `controller` or `proxy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Agent => "agent",
            Component::Controller => "controller",
            Component::Proxy => "proxy",
        }
    }
}

/// The unit a histogram's family declares, so that durations are observed in it without mistakes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `*_seconds` families.
    Seconds,
    /// `*_milliseconds` families.
    Milliseconds,
    /// Plain numbers, such as tries per request: observe them with
    /// [`Histogram::observe`](crate::Histogram::observe); [`Histogram::observe_duration`](crate::Histogram::observe_duration) records seconds.
    Count,
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

/// One metric family, with every fact needed to register and expose it exactly as Antrea does.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Descriptor {
    /// The full metric name.
    pub name: &'static str,
    /// The Antrea component that defines it; `None` for a family that is not Antrea's (the
    /// library's HTTPS server's own `antrea_metrics_server_*`).
    pub component: Option<Component>,
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
}

/// How a family appears on the wire for one [`Profile`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
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
        let mut exposed = Exposed {
            name: self.name,
            help: self.help,
            labels: self.labels,
        };
        let rows = profile.overrides().iter().filter(|o| o.family == self.name);
        for row in rows {
            match row.change {
                Change::Absent => return None,
                Change::Name(name) => exposed.name = name,
                Change::Help(help) => exposed.help = help,
                Change::Labels(labels) => exposed.labels = labels,
            }
        }
        Some(exposed)
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
