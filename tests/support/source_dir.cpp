#include "source_dir.hpp"

namespace s3cors::test {

const std::filesystem::path& source_dir() {
  static const std::filesystem::path root{S3CORS_SOURCE_DIR};
  return root;
}

}  // namespace s3cors::test
