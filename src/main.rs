fn main() {
    std::process::exit(gwctl::cli::main());
}
