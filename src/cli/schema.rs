//! `gwctl schema`: print the JSON Schema of the spec language (see [`crate::spec::schema`]).

use clap::Args;

use crate::output::Printer;

#[derive(Debug, Clone, Args)]
pub struct SchemaArgs {}

pub fn run(_args: &SchemaArgs, printer: &Printer) -> i32 {
    let text = serde_json::to_string_pretty(&crate::spec::schema::schema())
        .expect("the schema serialises");
    printer.data(&text);
    crate::exit::OK
}
