//! The `dejunk` command: a thin layer over the library. Arguments become a
//! `CleanerBuilder` and a list of inputs; everything else is the library's.
//! `dejunk learn ...` runs the pattern learner instead (a file named `learn`
//! is cleaned as `dejunk ./learn`).

mod cli;
mod learn_cli;

fn main() {
    // Read once: `args_os` copies every argument (11,648 paths of a bulk
    // run: 2.7 million instructions a copy, before any work starts).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = if argv.get(1).is_some_and(|a| a == "learn") {
        learn_cli::run(argv.into_iter().skip(1))
    } else {
        cli::run(argv)
    };
    std::process::exit(code);
}
