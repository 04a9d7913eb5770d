#pragma once
// Validation shared by validate(), the parsers and lint, parameterised by how locations are
// written in `validation_error::detail`.
#include "s3cors/cors/configuration.hpp"
#include "s3cors/cors/validation.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace s3cors::cors::detail {

enum class location_style { model, xml, json_cli, json_console };
enum class field { id, allowed_origin, allowed_method, allowed_header, expose_header, max_age };

/// Location of the document, a rule, or an item of a rule (item index within its field).
[[nodiscard]] std::string location(location_style style, std::optional<std::size_t> rule = std::nullopt,
                                   std::optional<field> f = std::nullopt,
                                   std::optional<std::size_t> item = std::nullopt);

[[nodiscard]] validation_error make_error(std::string_view code, std::string_view message,
                                          const std::string& where, std::string_view why);
[[nodiscard]] validation_error malformed(const std::string& where, std::string_view why);

struct located_error {
  validation_error error;
  std::optional<std::size_t> rule;
};

/// Phase 1 of docs/cors.md §3: rule count, AllowedOrigin/AllowedMethod present, MaxAgeSeconds range.
[[nodiscard]] std::optional<located_error> check_structure(const cors_configuration& config,
                                                           location_style style);
/// Phase 2 of §3, per rule: ID length, methods, origins, allowed headers, expose headers.
[[nodiscard]] std::optional<located_error> check_values(const cors_configuration& config,
                                                        location_style style);

}  // namespace s3cors::cors::detail
