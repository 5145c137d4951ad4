//! Command-line definitions and commands.

/// Entry point used by `main`; returns the process exit code.
pub fn main() -> i32 {
    eprintln!("gwctl: no commands yet");
    crate::exit::ERROR
}
