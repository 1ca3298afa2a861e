//! The `dejunk` command: a thin layer over the library. Arguments become a
//! `CleanerBuilder` and a list of inputs; everything else is the library's.
//! `dejunk learn ...` runs the pattern learner instead (a file named `learn`
//! is cleaned as `dejunk ./learn`).

mod cli;
mod learn_cli;

fn main() {
    let code = if std::env::args_os().nth(1).is_some_and(|a| a == "learn") {
        learn_cli::run(std::env::args_os().skip(1))
    } else {
        cli::run()
    };
    std::process::exit(code);
}
