#pragma once
// Private: the edge module's JSON readers, shared by policies.cpp and distribution.cpp (and by the
// server configuration, which holds distributions as JSON values). They throw detail::failure,
// which the public parse functions turn into an edge_error.
#include "detail/parse_text.hpp"
#include "s3cors/edge/distribution.hpp"
#include "s3cors/edge/policies.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::edge::detail {

using json = nlohmann::json;

struct failure {
  edge_error error;
};

[[noreturn]] inline void fail(std::string pointer, std::string message) {
  throw failure{{std::move(pointer), std::move(message)}};
}

[[nodiscard]] inline std::string child(const std::string& pointer, std::string_view name) {
  return pointer + "/" + s3cors::detail::json_pointer_token(name);
}

[[nodiscard]] std::string get_string(const json& value, const std::string& pointer);
[[nodiscard]] bool get_bool(const json& value, const std::string& pointer);
[[nodiscard]] std::uint64_t get_unsigned(const json& value, const std::string& pointer);
/// A list written as an array or as the API's {"Quantity": n, "Items": [...]} (CloudFormation
/// writes {"Items": [...]}); Quantity, when present, must equal the number of items.
[[nodiscard]] std::vector<std::string> get_string_list(const json& value, const std::string& pointer);
/// Unwraps {"<wrapper>": {...}} when the document is exactly that.
[[nodiscard]] const json& unwrap(const json& doc, std::string_view wrapper);

[[nodiscard]] cache_policy cache_policy_from_json(const json& value, const std::string& pointer);
[[nodiscard]] origin_request_policy origin_request_policy_from_json(const json& value,
                                                                    const std::string& pointer);
[[nodiscard]] response_headers_policy response_headers_policy_from_json(const json& value,
                                                                        const std::string& pointer);
[[nodiscard]] distribution_config distribution_from_json(const json& value, const std::string& pointer);
[[nodiscard]] distribution_config distribution_from_cloudformation(const json& value,
                                                                   const std::string& pointer);

/// For callers holding the JSON already (the server configuration): a distribution at `pointer`,
/// errors as values.
[[nodiscard]] inline result<distribution_config, edge_error> parse_distribution_value(
    const json& value, const std::string& pointer) {
  try {
    return distribution_from_json(value, pointer);
  } catch (const failure& f) {
    return f.error;
  } catch (const json::exception& e) {
    return edge_error{pointer, e.what()};
  }
}

/// Parses text and runs `read` on the document, turning JSON and failure exceptions into errors.
template <class T, class Read>
[[nodiscard]] result<T, edge_error> parse_text(std::string_view text, Read read) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return edge_error{"", std::string("not valid JSON: ") + e.what()};
  }
  try {
    return read(doc);
  } catch (const failure& f) {
    return f.error;
  } catch (const json::exception& e) {
    return edge_error{"", e.what()};
  }
}

}  // namespace s3cors::edge::detail
