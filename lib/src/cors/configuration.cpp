#include "s3cors/cors/configuration.hpp"

#include <algorithm>

namespace s3cors::cors {

bool is_supported_method(std::string_view method) noexcept {
  return std::find(supported_methods.begin(), supported_methods.end(), method) != supported_methods.end();
}

bool has_any_origin(const cors_rule& rule) noexcept {
  return std::find(rule.allowed_origins.begin(), rule.allowed_origins.end(), "*") !=
         rule.allowed_origins.end();
}

}  // namespace s3cors::cors
