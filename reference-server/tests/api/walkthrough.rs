//! The curl walkthroughs of `docs/walkthrough.md` work as written, and can be pasted twice.
//!
//! The server is started the way the page says (its "Start the sandbox" command, with the
//! real binary in place of `cargo run` and a free port in place of 8080). Every other `sh`
//! block runs under its heading as one script, twice, with `bash -euo pipefail` in an empty
//! directory and `$TMPDIR` pointing at another: both runs must succeed, print each `#>` line
//! of the block (in order; `...` stands for anything), and leave both directories empty.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const PAGE: &str = include_str!("../../../docs/walkthrough.md");
const README: &str = include_str!("../../../README.md");
const SERVER_HEADING: &str = "Start the sandbox";

/// The `sh` blocks of a Markdown page, each with the `## ` heading it sits under.
fn sh_blocks(page: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut heading = String::new();
    let mut block: Option<String> = None;
    for line in page.lines() {
        match &mut block {
            Some(text) if line.trim_end() == "```" => {
                blocks.push((heading.clone(), std::mem::take(text)));
                block = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None if line.trim_end() == "```sh" => block = Some(String::new()),
            None => {
                if let Some(title) = line.strip_prefix("## ") {
                    heading = title.trim().to_owned();
                }
            }
        }
    }
    blocks
}

/// A running server binary, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary as `command` says: `NAME=value ... cargo run ... -- ARGS`, on a free port.
fn start_as_documented(command: &str) -> Server {
    let joined = command.replace("\\\n", " ");
    let words: Vec<&str> = joined.split_whitespace().collect();
    let cargo = words
        .iter()
        .position(|w| *w == "cargo")
        .expect("the start command runs cargo");
    let args_from = words
        .iter()
        .position(|w| *w == "--")
        .expect("the start command passes arguments after --")
        + 1;
    let mut binary = Command::new(env!("CARGO_BIN_EXE_reference-server"));
    for assignment in &words[..cargo] {
        let (name, value) = assignment.split_once('=').expect("NAME=value");
        binary.env(name, value);
    }
    let mut args = words[args_from..].iter();
    while let Some(arg) = args.next() {
        if *arg == "--addr" {
            args.next();
        } else {
            binary.arg(arg);
        }
    }
    let mut child = binary
        .args(["--addr", "127.0.0.1:0"])
        .env("REFERENCE_SERVER_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // Read the log on a thread until the "listening" line, then keep draining it.
    let stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line
                .split(" addr=")
                .nth(1)
                .filter(|_| line.contains("listening"))
            {
                let addr = rest.split_whitespace().next().unwrap_or_default();
                let _ = sender.send(addr.to_owned());
            }
        }
    });
    let addr = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the server listens within 30 s");
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

/// The `#>` lines of a block: what its commands print.
fn expected_lines(block: &str) -> Vec<&str> {
    block
        .lines()
        .filter_map(|line| line.strip_prefix("#> "))
        .collect()
}

/// Whether `line` matches `expected`, where `...` stands for any text.
fn matches(line: &str, expected: &str) -> bool {
    let pieces: Vec<&str> = expected.split("...").collect();
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if pieces.len() == 1 {
        return line == expected;
    }
    if !line.starts_with(first) || !line[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read the directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_walkthroughs_run_twice_against_a_fresh_server_and_leave_nothing_behind() {
    // Arrange
    let blocks = sh_blocks(PAGE);
    let (_, start) = blocks
        .iter()
        .find(|(heading, _)| heading == SERVER_HEADING)
        .expect("a block under \"## Start the sandbox\"");
    let walkthroughs: Vec<_> = blocks
        .iter()
        .filter(|(heading, _)| heading != SERVER_HEADING)
        .collect();
    assert!(
        walkthroughs.len() >= 3,
        "walkthroughs found: {walkthroughs:?}"
    );
    let server = start_as_documented(start);

    for round in 1..=2 {
        for (heading, script) in &walkthroughs {
            let work = tempfile::tempdir().expect("working directory");
            let tmp = tempfile::tempdir().expect("TMPDIR");

            // Act
            let output = Command::new("bash")
                .args(["-euo", "pipefail", "-c", script])
                .current_dir(work.path())
                .env("AS", &server.base)
                .env("TMPDIR", tmp.path())
                .env_remove("ADMIN")
                .output()
                .expect("bash runs");

            // Assert
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let context =
                format!("\"{heading}\", run {round}\n--- stdout\n{stdout}--- stderr\n{stderr}");
            assert!(output.status.success(), "exit {}: {context}", output.status);
            let mut printed = stdout.lines();
            for expected in expected_lines(script) {
                assert!(
                    printed.any(|line| matches(line, expected)),
                    "`#> {expected}` not printed (in order): {context}"
                );
            }
            assert_eq!(
                entries(work.path()),
                Vec::<String>::new(),
                "left in the working directory: {context}"
            );
            assert_eq!(
                entries(tmp.path()),
                Vec::<String>::new(),
                "left in $TMPDIR: {context}"
            );
        }
    }
}

#[test]
fn the_readme_starts_the_sandbox_as_the_walkthroughs_do() {
    let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let (_, start) = sh_blocks(PAGE)
        .into_iter()
        .find(|(heading, _)| heading == SERVER_HEADING)
        .expect("a block under \"## Start the sandbox\"");
    assert!(
        flat(README).contains(&flat(&start)),
        "README.md should start the sandbox with docs/walkthrough.md's command:\n{start}"
    );
}

#[test]
fn expected_lines_match_with_ellipses() {
    let cases = [
        ("204", "204", true),
        ("2045", "204", false),
        (r#"{"a":"x1","b":2}"#, r#"{"a":"...","b":2}"#, true),
        (
            r#"{"a":"x1","c":3,"b":2}"#,
            r#"{"a":"...",...,"b":2}"#,
            true,
        ),
        (r#"{"a":"x1","b":2}"#, r#"{"a":"...",...,"b":2}"#, false),
        (r#"{"b":2,"a":"x"}"#, r#"{"a":"...","b":2}"#, false),
    ];
    for (line, expected, want) in cases {
        assert_eq!(matches(line, expected), want, "{line} against {expected}");
    }
}
