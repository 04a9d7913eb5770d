#pragma once
// Private: the rule language's JSON readers, for callers that hold the JSON already (the server
// configuration will hold rules as a JSON value). Errors as values.
#include "s3cors/faults/rules.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace s3cors::faults::detail {

/// A rule at `pointer` in a document.
[[nodiscard]] result<fault_rule, fault_error> parse_rule_value(const nlohmann::json& value,
                                                               const std::string& pointer);
/// An array of rules (or {"rules": [...]}) at `pointer`; names must be unique.
[[nodiscard]] result<std::vector<fault_rule>, fault_error> parse_rules_value(const nlohmann::json& value,
                                                                             const std::string& pointer);
[[nodiscard]] nlohmann::json rule_to_json(const fault_rule& rule);

}  // namespace s3cors::faults::detail
