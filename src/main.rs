//! The `agoat` binary: parses the command line and runs the chosen command.

fn main() -> std::process::ExitCode {
    agoat::cli::main()
}
