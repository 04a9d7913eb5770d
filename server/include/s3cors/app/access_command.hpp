#pragma once
// `s3cors access explain`: which bucket-policy statement allows or denies a request.

namespace s3cors::app {

/// Runs `s3cors access ...` with the arguments after "access". Returns the exit code.
int run_access_command(int argc, char** argv);

}  // namespace s3cors::app
