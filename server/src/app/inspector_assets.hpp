#pragma once
// The inspector page's files (server/assets/inspector/*), compiled into the binary by
// cmake/embed_assets.cmake.
#include <string_view>
#include <vector>

namespace s3cors::app {

struct embedded_file {
  std::string_view name;  ///< e.g. "index.html"
  std::string_view bytes;
};

[[nodiscard]] std::vector<embedded_file> inspector_files();

}  // namespace s3cors::app
