#pragma once
// `s3cors doctor URL`: which of a player's cross-origin requests for a stream the server
// refuses or answers wrongly, and the fix (docs/doctor.md).

namespace s3cors::app {

/// Runs `s3cors doctor ...` with the arguments after "doctor". Returns the exit code: 0 every
/// check passed (warnings allowed), 1 a check failed, 2 usage errors or an unreadable manifest.
int run_doctor_command(int argc, char** argv);

}  // namespace s3cors::app
