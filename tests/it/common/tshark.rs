//! tshark, the real tool the pcapng tests read captures back with
//! (installed by `.ci/setup`; without it those tests say so and pass).

use std::path::Path;
use std::process::{Command, Stdio};

/// Whether this machine has tshark (said when it does not).
pub fn available() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!("skipped: tshark is not installed (.ci/setup installs it with apt-get)");
    }
    found
}

/// tshark's output for `args` on `file`; fails on any warning it prints
/// (all but the note about running as root).
pub fn says(file: &Path, args: &[&str]) -> String {
    let output = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.contains("Running as user"))
        .collect();
    assert!(
        output.status.success() && warnings.is_empty(),
        "tshark: {stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}
