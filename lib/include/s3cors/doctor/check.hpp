#pragma once
// Judging what a server answered to a player's requests as a browser would (docs/doctor.md):
// per request a verdict and, for each problem, the fix — as the minimal CORS rule change
// (cors/suggest.hpp) when the bucket's configuration is known, else in words.
// Pure: the caller sends the requests and passes the answers in.
#include "s3cors/cors/configuration.hpp"
#include "s3cors/cors/suggest.hpp"
#include "s3cors/doctor/model.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace s3cors::doctor {

enum class verdict { ok, warn, fail };
[[nodiscard]] std::string_view to_string(verdict v) noexcept;

/// One HTTP answer: status and headers (names as received; looked up ignoring case).
struct http_response {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;

  /// The first header called `name` (ignoring case), or nullopt.
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
};

/// What the server answered to one player request.
struct exchange {
  std::optional<http_response> preflight;  ///< the OPTIONS sent when preflight_headers() is not empty
                                           ///< or the method is not GET/HEAD
  std::optional<http_response> actual;     ///< the request itself, with Origin (and Range)
  std::string error;                       ///< why there is no answer (connection refused, …)
};

/// The Access-Control-Request-Headers a browser could send for `r`: its headers plus "range"
/// when it sends Range, lowercase, sorted, comma-separated; "" when none.
[[nodiscard]] std::string preflight_headers(const player_request& r);

/// True when browsers preflight `r` whatever Range it carries: a method other than GET/HEAD/POST
/// or a header that is not CORS-safelisted (the page's own headers).
[[nodiscard]] bool needs_preflight(const player_request& r);

/// True for a Range value the Fetch standard safelists (one range `bytes=N-` or `bytes=N-M`):
/// current browsers send it without a preflight, older ones preflight it.
[[nodiscard]] bool is_safelisted_range(std::string_view value) noexcept;

struct finding {
  verdict level = verdict::fail;
  std::string check;    ///< "cors", "head", "credentials", "expose", "vary", "range", "status", "preflight"
  std::string problem;  ///< what the browser/player would do
  std::string fix;      ///< in words
  std::optional<cors::fix_suggestion> suggestion;  ///< the rule change, when the rules are known
};

struct request_check {
  player_request request;
  verdict level = verdict::ok;
  std::vector<finding> findings;
};

/// Judges one exchange for a page on `origin`. `rules` is the bucket's CORS configuration when
/// known (GetBucketCors); fixes then carry suggest_fix's rule change.
[[nodiscard]] request_check check_request(const player_request& request, const exchange& answer,
                                          std::string_view origin, const cors::cors_configuration* rules);

/// A whole doctor run.
struct report {
  std::string url;
  std::string origin;
  player p = player::hls_js;
  bool rules_known = false;
  bool insecure = false;  ///< --insecure: https certificates were not verified
  std::vector<request_check> checks;
  /// All rule changes applied one after the other: one configuration that fixes every CORS
  /// finding. Nullopt when there is none or the rules are unknown.
  std::optional<cors::fix_suggestion> combined;

  [[nodiscard]] verdict overall() const noexcept;
};

/// Applies each finding's suggestion in turn to `rules` (re-suggesting against the changed
/// configuration), so that the result fixes all of them; nullopt when nothing changes.
[[nodiscard]] std::optional<cors::fix_suggestion> combine_fixes(const cors::cors_configuration& rules,
                                                                const std::vector<request_check>& checks,
                                                                std::string_view origin);

/// Human-readable: one block per request kind (worst verdict of its requests), each problem
/// with its fix, then the combined configuration.
[[nodiscard]] std::string to_text(const report& r);

/// For CI:
/// {"url","origin","player","rules_known","tls_verify","verdict","kinds":[{"kind","verdict","requests":[...]}],
/// "fix": {"summary","configuration"}|null}.
[[nodiscard]] std::string to_json(const report& r);

}  // namespace s3cors::doctor
