#include "s3cors/cors/registry.hpp"

#include <mutex>

namespace s3cors::cors {

config_ptr cors_registry::find(std::string_view bucket) const {
  std::shared_lock lock(mutex_);
  if (auto it = api_.find(bucket); it != api_.end()) return it->second;
  if (auto it = file_.find(bucket); it != file_.end()) return it->second;
  return default_;
}

config_source cors_registry::source_of(std::string_view bucket) const {
  std::shared_lock lock(mutex_);
  if (api_.contains(bucket)) return config_source::api;
  if (file_.contains(bucket)) return config_source::file;
  return default_ ? config_source::default_config : config_source::none;
}

void cors_registry::set_file_configs(std::map<std::string, config_ptr, std::less<>> by_bucket,
                                     config_ptr default_config) {
  std::unique_lock lock(mutex_);
  file_ = std::move(by_bucket);
  default_ = std::move(default_config);
}

void cors_registry::set_api_config(std::string_view bucket, config_ptr config) {
  std::unique_lock lock(mutex_);
  if (config) {
    api_.insert_or_assign(std::string(bucket), std::move(config));
  } else if (auto it = api_.find(bucket); it != api_.end()) {
    api_.erase(it);
  }
}

}  // namespace s3cors::cors
