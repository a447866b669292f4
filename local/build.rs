//! Generates the local server's function table from the function crates
//! local/Cargo.toml depends on (those under `../functions/`), so that
//! local/ names each function once: adding an operation adds one dependency
//! line and nothing else here. A crate whose manifest declares a
//! `[package.metadata.microblog] trigger` other than HTTP (the stream
//! fan-out) is run by its trigger's driver, not the HTTP dispatcher.

use std::fmt::Write as _;

/// Whether `functions/<name>` is invoked by HTTP (declares no other trigger).
fn serves_http(name: &str) -> bool {
    let manifest = format!("../functions/{name}/Cargo.toml");
    println!("cargo::rerun-if-changed={manifest}");
    let text = std::fs::read_to_string(&manifest).unwrap_or_default();
    !text
        .lines()
        .any(|line| line.trim_start().starts_with("trigger ="))
}

fn main() {
    println!("cargo::rerun-if-changed=Cargo.toml");
    let manifest = std::fs::read_to_string("Cargo.toml").expect("local/Cargo.toml is readable");
    let mut names = Vec::new();
    for line in manifest.lines() {
        // get_user = { path = "../functions/get_user" }
        let Some((name, spec)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if spec.contains(&format!("\"../functions/{name}\"")) && serves_http(name) {
            names.push(name.to_string());
        }
    }
    assert!(
        !names.is_empty(),
        "local/Cargo.toml depends on no crate in ../functions/"
    );
    let mut code = String::from("functions! {\n");
    for name in &names {
        writeln!(code, "    {name},").expect("writing to a String");
    }
    code.push_str("}\n");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(format!("{out}/functions.rs"), code).expect("OUT_DIR is writable");
}
