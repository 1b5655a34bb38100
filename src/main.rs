//! The `agoat` binary: parses the command line and runs the chosen command.

fn main() -> std::process::ExitCode {
    agoat::memory::return_large_blocks_to_the_system();
    agoat::cli::main()
}
