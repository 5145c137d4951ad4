//! Unit tests: one small spec per check, asserting message and position.

use std::path::Path;

use super::*;

fn load(text: &str) -> Loaded {
    load_str_with(Path::new("t.yaml"), text, &LoadOptions { lint: true })
}

#[test]
fn smoke() {
    let l = load("api: {name: a}\nfunctions: {f: f}\nroutes:\n  - {path: /x, method: GET, function: f}\nstages: {prod: {}}\n");
    for d in &l.diagnostics {
        eprint!("{}", d.render(false));
    }
}
