//! Generates the local server's function table from the function crates
//! local/Cargo.toml depends on (those under `../functions/`), so that
//! local/ names each function once: adding an operation adds one dependency
//! line and nothing else here.

use std::fmt::Write as _;

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
        if spec.contains(&format!("\"../functions/{name}\"")) {
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
