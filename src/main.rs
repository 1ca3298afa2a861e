//! The `dejunk` command: a thin layer over the library. Arguments become a
//! `CleanerBuilder` and a list of inputs; everything else is the library's.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
