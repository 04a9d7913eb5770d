#pragma once
// Where the repository is, for tests that read its shipped configurations, the example stream
// and tests/data. One translation unit (source_dir.cpp) carries the path, so every other test
// compiles to the same command wherever the checkout is: a compile cache shared between two
// checkouts (CI's host build and the container image's build) then serves them all.
#include <filesystem>

namespace s3cors::test {

/// The repository's root directory (absolute).
[[nodiscard]] const std::filesystem::path& source_dir();

}  // namespace s3cors::test
