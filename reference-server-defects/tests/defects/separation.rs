//! The reference server's source holds the protocol and nothing else: no file of it names a
//! deliberate defect or a switch for one, and its manifest has no feature for them. The
//! defects reach it only through `Wiring` (a layer, a setting, a store wrapper, a policy).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use clap::ValueEnum as _;
use reference_server_defects::Defect;

fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reference-server")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn the_servers_source_names_no_defect() {
    let mut files = Vec::new();
    rust_files(&server_dir().join("src"), &mut files);
    assert!(files.len() > 20, "the server's source was not found");
    // Variant names as the enum spells them; a few are ordinary words elsewhere, so only the
    // longer, unmistakable ones are looked for besides the word itself.
    let names: Vec<String> = Defect::value_variants()
        .iter()
        .map(|d| format!("{d:?}"))
        .filter(|name| name.len() >= 12)
        .collect();
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let named = names.iter().find(|name| line.contains(name.as_str()));
            if line.to_ascii_lowercase().contains("defect") || named.is_some() {
                found.push(format!("{}:{}: {line}", file.display(), number + 1));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the server's source names defects:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_servers_manifest_has_no_feature_for_them() {
    let manifest = std::fs::read_to_string(server_dir().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    assert!(
        manifest.get("features").is_none(),
        "reference-server/Cargo.toml has features: {:?}",
        manifest.get("features")
    );
}
