#pragma once
// `s3cors faults list|add|remove|clear`: a running server's media-fault rules through its
// control API (/_s3cors/faults, docs/faults.md §5.4) from the command line.

namespace s3cors::app {

/// Runs `s3cors faults ...` with the arguments after "faults". Returns the exit code: 0 when the
/// server accepted, 1 when it refused or could not be reached, 2 on usage errors.
int run_faults_command(int argc, char** argv);

}  // namespace s3cors::app
