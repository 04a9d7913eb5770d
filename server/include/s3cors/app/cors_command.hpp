#pragma once
// `s3cors cors explain|lint`: the CORS engine's explanations, from the command line.

namespace s3cors::app {

/// Runs `s3cors cors ...` with the arguments after "cors". Returns the exit code.
int run_cors_command(int argc, char** argv);

}  // namespace s3cors::app
