//! Makes the library compile every file of src/bin/ as a module of its
//! own name, list them in `FUNCTIONS`, and gather the handlers that carry
//! an OpenAPI operation (`#[utoipa::path`) into `Operations`: a function is
//! added by adding its file, and nothing names it twice.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo::rerun-if-changed=src/bin");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("functions/src/bin is readable")
        .filter_map(|entry| {
            let path = entry.expect("a directory entry").path();
            let stem = path.file_stem()?.to_str()?.to_string();
            (path.extension()? == "rs").then_some(stem)
        })
        .collect();
    names.sort();
    let mut code = String::new();
    for name in &names {
        let path = dir.join(format!("{name}.rs"));
        writeln!(
            code,
            "#[path = {:?}]\npub mod {name};",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    code.push_str("\n/// Every function, by name, in the order of their files.\npub const FUNCTIONS: &[(&str, Function)] = &[\n");
    for name in &names {
        writeln!(code, "    ({name:?}, {name}::FUNCTION),").expect("writing to a String");
    }
    code.push_str("];\n");
    // The files whose handler carries its OpenAPI operation.
    let documented: Vec<&String> = names
        .iter()
        .filter(|name| {
            std::fs::read_to_string(dir.join(format!("{name}.rs")))
                .expect("a readable source file")
                .contains("#[utoipa::path(")
        })
        .collect();
    code.push_str("\n/// Every operation of the document: the handlers' `#[utoipa::path]`s.\n#[derive(utoipa::OpenApi)]\n#[openapi(paths(");
    let paths: Vec<String> = documented
        .iter()
        .map(|name| format!("{name}::handler"))
        .collect();
    code.push_str(&paths.join(", "));
    code.push_str("))]\npub struct Operations;\n");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("functions.rs"), code).expect("OUT_DIR is writable");
}
