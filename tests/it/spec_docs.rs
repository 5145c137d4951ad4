//! Every complete spec in docs/spec.md (a ```yaml block with a top-level `routes:` key)
//! validates without errors or warnings, so the reference cannot drift from the code.

use std::path::Path;

use gwctl::spec::{self, LoadOptions};

fn yaml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    // (first line number, indentation of the fence, body)
    let mut current: Option<(usize, usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        match &mut current {
            None if line.trim_start() == "```yaml" => {
                current = Some((i + 2, indent, String::new()))
            }
            Some(_) if line.trim_start() == "```" => {
                let (l, _, body) = current.take().unwrap();
                out.push((l, body));
            }
            Some((_, fence, body)) => {
                // Blocks inside list items are indented like their fence.
                body.push_str(line.get(*fence..).unwrap_or(""));
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn every_complete_example_in_the_reference_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/spec.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let specs: Vec<(usize, String)> = yaml_blocks(&text)
        .into_iter()
        .filter(|(_, b)| b.lines().any(|l| l.trim_start() == "routes:"))
        .collect();
    assert!(specs.len() >= 15, "only {} complete examples", specs.len());
    for (line, body) in specs {
        let file = format!("docs/spec.md:{line}");
        let loaded = spec::load_str_with(Path::new(&file), &body, &LoadOptions { lint: true });
        let rendered: String = loaded.diagnostics.iter().map(|d| d.render(false)).collect();
        assert!(
            loaded.diagnostics.is_empty(),
            "example at {file}:\n{body}\n{rendered}"
        );
        assert!(loaded.spec.is_some());
    }
}
