//! `gwctl validate`.

use super::{GlobalArgs, ValidateArgs};

pub fn run(_args: &ValidateArgs, _global: &GlobalArgs) -> i32 {
    eprintln!("error: validate is being built");
    crate::exit::ERROR
}
