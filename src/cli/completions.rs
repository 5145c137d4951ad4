//! `gwctl completions SHELL` and `gwctl man`: generated from the clap definitions
//! ([`super::command`]), so they always match the binary.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::output::Printer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write gwctl.1 and one page per verb (gwctl-plan.1, ...) into DIR instead of printing
    /// gwctl.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> i32 {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut cmd = super::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "gwctl", &mut out);
    write_stdout(&out)
}

pub fn man(args: &ManArgs, printer: &Printer) -> i32 {
    let cmd = super::command();
    if let Some(dir) = &args.dir {
        if let Err(e) =
            std::fs::create_dir_all(dir).and_then(|_| clap_mangen::generate_to(cmd, dir))
        {
            printer.error(
                &format!("cannot write man pages to `{}`: {e}", dir.display()),
                None,
            );
            return crate::exit::ERROR;
        }
        printer.info(&format!("man pages written to `{}`", dir.display()));
        return crate::exit::OK;
    }
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
        printer.error(&format!("cannot render the man page: {e}"), None);
        return crate::exit::ERROR;
    }
    write_stdout(&out)
}

/// Bytes on stdout; a closed pipe ends quietly.
fn write_stdout(bytes: &[u8]) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|_| out.flush());
    crate::exit::OK
}
