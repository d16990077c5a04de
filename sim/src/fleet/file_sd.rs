//! The Prometheus `file_sd_configs` files listing the fleet's targets: every Node's, and the
//! controller's in a file of its own (Antrea's jobs scrape agents and controllers apart).

use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;

/// What a target runs, its `component` label (as in `deploy/prometheus/prometheus.yml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// A simulated Node's Antrea agent, labelled with its `node` too.
    Agent,
    /// The simulated Antrea controller.
    Controller,
}

impl Component {
    /// The `component` label's value.
    pub fn label(self) -> &'static str {
        match self {
            Component::Agent => "antrea-agent",
            Component::Controller => "antrea-controller",
        }
    }
}

/// One scrape target.
#[derive(Clone, Debug)]
pub struct Target {
    /// Where the target serves `/metrics`.
    pub addr: SocketAddr,
    /// The Node's name (the target's `node` label), or the controller's.
    pub node: String,
    /// What it runs.
    pub component: Component,
}

/// The file's JSON: one target group per target, since each Node has its own `node` label.
pub fn render(targets: &[Target]) -> String {
    let groups: Vec<_> = targets
        .iter()
        .map(|t| {
            let labels = match t.component {
                Component::Agent => json!({"node": t.node, "component": t.component.label()}),
                Component::Controller => json!({"component": t.component.label()}),
            };
            json!({"targets": [t.addr.to_string()], "labels": labels})
        })
        .collect();
    let mut text = serde_json::Value::Array(groups).to_string();
    text.push('\n');
    text
}

/// Writes the file whole: to a temporary file renamed over `path`, so that Prometheus, which
/// watches it, never reads half of it.
pub fn write(path: &Path, targets: &[Target]) -> Result<(), String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, render(targets))
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| format!("cannot write the file_sd file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<Target> {
        (0..3)
            .map(|i| Target {
                addr: SocketAddr::from(([127, 0, 0, 1], 20000 + i)),
                node: format!("sim-node-{i}"),
                component: Component::Agent,
            })
            .collect()
    }

    #[test]
    fn every_target_has_its_node_label() {
        let parsed: serde_json::Value = serde_json::from_str(&render(&targets())).unwrap();
        let groups = parsed.as_array().unwrap();
        assert_eq!(groups.len(), 3);
        assert_eq!(groups[2]["targets"], json!(["127.0.0.1:20002"]));
        assert_eq!(groups[2]["labels"]["node"], "sim-node-2");
        assert_eq!(groups[2]["labels"]["component"], "antrea-agent");
    }

    #[test]
    fn the_controller_has_its_component_and_no_node_label() {
        let controller = Target {
            addr: SocketAddr::from(([127, 0, 0, 1], 20100)),
            node: "sim-controller".into(),
            component: Component::Controller,
        };
        let parsed: serde_json::Value = serde_json::from_str(&render(&[controller])).unwrap();
        assert_eq!(
            parsed,
            json!([{"targets": ["127.0.0.1:20100"], "labels": {"component": "antrea-controller"}}])
        );
    }

    #[test]
    fn the_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sd/fleet.json");
        write(&path, &targets()).unwrap();
        write(&path, &targets()[..1]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, render(&targets()[..1]));
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "no partial file left behind");
    }
}
