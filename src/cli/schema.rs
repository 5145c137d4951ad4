//! `gwctl schema`: print the JSON Schema of the spec language (see [`crate::spec::schema`]).

use clap::Args;

use crate::output::Printer;

#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {}

pub fn run(_args: &SchemaArgs, printer: &Printer) -> i32 {
    // A JSON document: `\uXXXX` escapes where text would show `\x1b` (crate::term).
    printer.document(&crate::spec::schema::schema());
    crate::exit::OK
}
