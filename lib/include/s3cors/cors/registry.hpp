#pragma once
// The CORS configuration in force for each bucket, shared by every server thread. Preflights
// are answered from here alone: no disk access.
#include "s3cors/cors/configuration.hpp"

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

namespace s3cors::cors {

using config_ptr = std::shared_ptr<const cors_configuration>;

/// Where a bucket's configuration comes from, strongest first.
enum class config_source { api, file, default_config, none };

class cors_registry {
 public:
  /// The configuration in force: set through the S3 API, else from the config file, else
  /// the config file's default; null when the bucket has none.
  [[nodiscard]] config_ptr find(std::string_view bucket) const;
  [[nodiscard]] config_source source_of(std::string_view bucket) const;

  /// Replaces everything the configuration file provides at once (startup and reload).
  void set_file_configs(std::map<std::string, config_ptr, std::less<>> by_bucket, config_ptr default_config);
  /// PutBucketCors (non-null) and DeleteBucketCors (null).
  void set_api_config(std::string_view bucket, config_ptr config);

 private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, config_ptr, std::less<>> api_;
  std::map<std::string, config_ptr, std::less<>> file_;
  config_ptr default_;
};

}  // namespace s3cors::cors
