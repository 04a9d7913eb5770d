#pragma once
// Reads the configuration file and the CORS documents it names (the application's file I/O), and
// notices when any of them changes so that the CORS rules can be reloaded without a restart.
#include "s3cors/config/config.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/store/object_store.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace s3cors::app {

[[nodiscard]] std::string read_text_file(const std::filesystem::path& path);

/// Parses the configuration file; throws std::runtime_error naming the file and field.
[[nodiscard]] config::server_config load_config_file(const std::filesystem::path& path);

/// Throws std::runtime_error ("data root '...' is not a directory") unless root is one.
void check_data_root(const std::filesystem::path& root);

struct file_cors {
  std::map<std::string, cors::config_ptr, std::less<>> buckets;
  cors::config_ptr default_config;
  std::vector<std::filesystem::path> files;  ///< the CORS documents read, to watch
};

/// Parses every CORS document the configuration names (paths relative to base_dir).
/// Throws std::runtime_error naming the bucket, file and S3's validation error.
[[nodiscard]] file_cors load_file_cors(const config::server_config& config,
                                       const std::filesystem::path& base_dir);

/// Loads the configurations PutBucketCors persisted, for every bucket on disk. Returns one
/// warning line per document that no longer parses.
[[nodiscard]] std::vector<std::string> load_api_cors(const store::object_store& store,
                                                     cors::cors_registry& registry);

/// Remembers size, mtime and inode of a set of files; changed() tells whether any differs.
class file_watch {
 public:
  void watch(std::vector<std::filesystem::path> files);
  [[nodiscard]] bool changed() const;

 private:
  struct stamp {
    bool exists = false;
    long long mtime_ns = 0;
    long long size = 0;
    unsigned long long inode = 0;
    friend bool operator==(const stamp&, const stamp&) = default;
  };
  static stamp stamp_of(const std::filesystem::path& file);
  std::vector<std::pair<std::filesystem::path, stamp>> stamps_;
};

}  // namespace s3cors::app
