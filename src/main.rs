//! The `agoat` binary: parses the command line and runs the chosen command.

/// Every allocation of the server's own code goes to mimalloc (see `agoat::memory`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    agoat::memory::return_large_blocks_to_the_system();
    agoat::cli::main()
}
