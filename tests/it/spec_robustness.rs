//! Validation never panics: every shipped spec and bad fixture, mutated many ways
//! (deterministically), goes through `load_bytes` and yields diagnostics or a spec.

use std::path::{Path, PathBuf};

use gwctl::spec::{self, LoadOptions};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SNIPPETS: &[&str] = &[
    "",
    " ",
    ":",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "\"",
    "'",
    "#",
    "&a ",
    "*a",
    "<<: ",
    "\n",
    "\t",
    "/",
    "//",
    "{id}",
    "{proxy+}",
    "$default",
    "ANY",
    "null",
    "~",
    "true",
    "yes",
    "-1",
    "0",
    "99999999999999999999",
    "1.5",
    ".nan",
    "é",
    "\u{feff}",
    "\u{0}",
    "|\n",
    ">-\n",
    "!!str ",
    "!!binary ",
    "? ",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "arn:aws:lambda:",
    "http://",
    "${x}",
];

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["specs", "tests/fixtures/bad"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            // Keep the mutation work bounded: the deep-nesting fixtures are long lines.
            if bytes.len() < 4_000 {
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(b.len() + 1);
        match rng.below(5) {
            0 => {
                // delete a span
                let end = (at + 1 + rng.below(8)).min(b.len());
                b.drain(at.min(end)..end);
            }
            1 => {
                let s = SNIPPETS[rng.below(SNIPPETS.len())].as_bytes();
                b.splice(at..at, s.iter().copied());
            }
            2 => {
                // duplicate a line
                let text = b.clone();
                let lines: Vec<&[u8]> = text.split(|c| *c == b'\n').collect();
                let l = lines[rng.below(lines.len())];
                b.splice(at..at, l.iter().copied().chain([b'\n']));
            }
            3 => {
                if at < b.len() {
                    b[at] = (rng.next() & 0xff) as u8;
                }
            }
            _ => {
                // swap two lines
                let text = String::from_utf8_lossy(&b).into_owned();
                let mut lines: Vec<&str> = text.split('\n').collect();
                let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(i, j);
                b = lines.join("\n").into_bytes();
            }
        }
    }
    b
}

#[test]
fn mutated_specs_never_panic() {
    let corpus = corpus();
    assert!(corpus.len() > 40);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let opts = LoadOptions { lint: true };
    let mut outcomes = [0usize; 2];
    for round in 0..40 {
        for (path, bytes) in &corpus {
            let m = mutate(&mut rng, bytes);
            let loaded = spec::load_bytes(path, &m, &opts);
            // Either a spec or at least one error, never both, never neither.
            assert_eq!(
                loaded.spec.is_some(),
                !loaded.has_errors(),
                "round {round}, {}:\n{}",
                path.display(),
                String::from_utf8_lossy(&m)
            );
            for d in &loaded.diagnostics {
                let _ = d.render(true);
                assert!(!d.message.is_empty());
            }
            outcomes[usize::from(loaded.spec.is_some())] += 1;
        }
    }
    // The mutations exercise both outcomes.
    assert!(outcomes[0] > 100 && outcomes[1] > 10, "{outcomes:?}");
}
