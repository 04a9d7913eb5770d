#pragma once
// `s3cors edge invalidate|flush|stats`: a running server's distribution control endpoints
// (/_s3cors/distributions/NAME/..., docs/edge.md §9) from the command line.

namespace s3cors::app {

/// Runs `s3cors edge ...` with the arguments after "edge". Returns the exit code: 0 when the
/// server accepted, 1 when it refused or could not be reached, 2 on usage errors.
int run_edge_command(int argc, char** argv);

}  // namespace s3cors::app
