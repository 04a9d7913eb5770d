#pragma once
// Human-readable explanations of a CORS decision, for operators debugging "why does my
// browser say CORS?" (docs/cors.md §7–§11).
#include "s3cors/cors/configuration.hpp"
#include "s3cors/cors/evaluate.hpp"

#include <string>

namespace s3cors::cors {

/// Multi-line text ('\n'-terminated lines): the request as judged, the decision (for a
/// preflight the §8 status/code/message; for an actual request whether headers are added),
/// the headers S3 would send, and per rule the first condition that failed or that it matched.
/// Rules are numbered from 0, as in decision::matched_rule and /CORSRules/<n>.
[[nodiscard]] std::string explain(const cors_configuration& config, const cors_request& request,
                                  bool preflight);

/// One line for logs or an `x-s3cors-cors` response header: printable ASCII only (other
/// bytes are written as \xNN), never CR/LF, at most 1024 characters.
/// E.g. `matched rule 1` or `no match: rule 0 origin_mismatch (...); rule 1 method_mismatch (...)`.
[[nodiscard]] std::string one_line_explanation(const decision& d);

}  // namespace s3cors::cors
