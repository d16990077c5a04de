//! The README's shell recipes, taken from its fenced `sh` blocks and run as written, in order,
//! from the repository root as a user would run them after a fresh clone:
//!
//! - the quick start's simulator starts, and the `curl` command it prints answers metrics;
//! - the exposition command prints the agent's families;
//! - the Prometheus recipe ends with both simulators' targets up in Prometheus, and Ctrl-C
//!   stops Prometheus and removes its storage.
//!
//! The quick start's `scripts/test.sh` line is skipped: it is the CI run that runs this test.
//! The recipes use fixed ports (10350, 10349, 19090); no other test does.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use suite::group::{without_test_env, Group};

/// Recipes build the simulators: on a fresh clone with two busy cores that takes minutes.
const BUILD_TIMEOUT: Duration = Duration::from_secs(1200);
/// Once built, how long a command may take to print or to finish.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Prometheus' API in the README recipe.
const PROMETHEUS: &str = "127.0.0.1:19090";

/// A fenced `sh` block and the heading it is under.
struct Recipe {
    heading: String,
    lines: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn recipes() -> Vec<Recipe> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut block: Option<Vec<String>> = None;
    for line in readme.lines() {
        match &mut block {
            Some(lines) if line.trim_start().starts_with("```") => {
                out.push(Recipe {
                    heading: heading.clone(),
                    lines: std::mem::take(lines),
                });
                block = None;
            }
            Some(lines) => lines.push(line.to_owned()),
            None if line.starts_with("## ") => heading = line[3..].trim().to_owned(),
            None if line.trim() == "```sh" => block = Some(Vec::new()),
            None => {}
        }
    }
    out
}

/// `bash` running `script` from the repository root, without the test's cargo variables, with
/// temporary files (`mktemp`) under `tmp`.
fn bash(script: &str, tmp: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", script])
        .current_dir(root())
        .env("TMPDIR", tmp);
    without_test_env(&mut cmd);
    cmd
}

/// The command part of a line: comments after `#` dropped (the recipes quote no `#`).
fn command(line: &str) -> &str {
    line.split(" #").next().unwrap_or(line).trim()
}

#[test]
#[ignore = "needs Debian's prometheus: scripts/install-test-deps.sh, then --include-ignored"]
fn readme_shell_recipes_work_in_order() {
    let recipes = recipes();
    let headings: Vec<&str> = recipes.iter().map(|r| r.heading.as_str()).collect();
    assert_eq!(
        headings,
        [
            "Quick start",
            "Use the library",
            "Scrape it with Prometheus"
        ],
        "the README's shell blocks changed: teach this test the new ones"
    );
    let tmp = suite::private_tempdir().expect("temp dir");
    quick_start(&recipes[0], tmp.path());
    exposition(&recipes[1], tmp.path());
    prometheus(&recipes[2], tmp.path());
}

/// Runs the simulator as the quick start does, then the `curl` command it prints.
fn quick_start(recipe: &Recipe, tmp: &Path) {
    let commands: Vec<&str> = recipe
        .lines
        .iter()
        .map(|l| command(l))
        .filter(|c| *c != "scripts/test.sh")
        .collect();
    assert_eq!(commands.len(), 1, "quick start: {commands:?}");
    let mut sim = Group::spawn(&mut bash(commands[0], tmp), &tmp.join("quick-start.log"))
        .expect("start the quick start");
    let curl = sim
        .wait_for(BUILD_TIMEOUT, |out| {
            out.lines()
                .find_map(|l| l.trim().strip_prefix("try:"))
                .map(|c| c.trim().to_owned())
        })
        .unwrap_or_else(|e| panic!("quick start `{}`: {e}", commands[0]));
    let mut client =
        Group::spawn(&mut bash(&curl, tmp), &tmp.join("quick-start-curl.log")).expect("start curl");
    let status = client.wait(RUN_TIMEOUT).expect("curl finishes");
    let answer = client.output();
    assert!(
        status.success() && answer.contains("# TYPE antrea_agent_ovs_flow_ops_count counter"),
        "the printed `{curl}` ({status}) answered:\n{answer}"
    );
    // The user stops it with Ctrl-C before the next recipe, which needs its port.
    sim.kill();
}

fn exposition(recipe: &Recipe, tmp: &Path) {
    assert_eq!(recipe.lines.len(), 1, "{:?}", recipe.lines);
    let mut run = Group::spawn(
        &mut bash(&recipe.lines[0], tmp),
        &tmp.join("exposition.log"),
    )
    .expect("start exposition");
    let status = run.wait(BUILD_TIMEOUT).expect("exposition finishes");
    let out = run.output();
    // The README asks for the agent with the v1.11 profile: Antrea v1.11's startup exposition.
    let golden = std::fs::read_to_string(root().join("tests/data/golden/agent-v1.11.prom"))
        .expect("golden file");
    assert!(
        status.success() && out.contains(&golden),
        "`{}` ({status}) did not print the golden exposition:\n{out}",
        recipe.lines[0]
    );
}

/// Runs the whole block as one script (its last line keeps Prometheus in the foreground) and
/// waits until Prometheus reports both jobs' targets up.
fn prometheus(recipe: &Recipe, tmp: &Path) {
    suite::prom::binary().expect("prometheus");
    let script = recipe.lines.join("\n");
    let mut run =
        Group::spawn(&mut bash(&script, tmp), &tmp.join("prometheus.log")).expect("start recipe");
    let addr: SocketAddr = PROMETHEUS.parse().expect("address");
    let up = run.wait_for(BUILD_TIMEOUT + RUN_TIMEOUT, |_| {
        let targets = suite::prom::api_at(addr, "/api/v1/targets").ok()?;
        let active = targets["activeTargets"].as_array()?;
        let up = |job: &str| {
            active
                .iter()
                .any(|t| t["labels"]["job"] == job && t["health"] == "up")
        };
        (up("antrea-agents") && up("antrea-controllers")).then_some(active.len())
    });
    match up {
        Ok(count) => assert_eq!(count, 2, "targets: both simulators and nothing else"),
        Err(e) => panic!("the Prometheus recipe did not end with both targets up: {e}"),
    }
    // Ctrl-C, as the README says: Prometheus stops and the recipe removes its storage (the
    // recipe's `mktemp -d`, under `tmp`). The simulators, background jobs, ignore SIGINT.
    run.interrupt();
    let status = run.wait(RUN_TIMEOUT).expect("the recipe ends after Ctrl-C");
    assert!(status.success(), "after Ctrl-C: {status}\n{}", run.output());
    let left: Vec<_> = std::fs::read_dir(tmp)
        .expect("temp dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("tmp."))
        .collect();
    assert!(left.is_empty(), "Prometheus' storage is left: {left:?}");
    run.kill();
}
