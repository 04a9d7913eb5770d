// libFuzzer target for s3cors::cors::parse_any (format detection in front of both parsers).
// Any input must parse or be refused without crashing, leaking or hanging. When it parses, both
// renderings must be accepted by parse_any with the same number of rules: to_xml (what
// GetBucketCors returns, whichever format was pasted) and to_json (what the CLI would send).
// Only the rule count is compared across formats: to_json replaces invalid UTF-8 that XML
// input may carry, by design.
#include "s3cors/cors/parse.hpp"
#include "s3cors/cors/render.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, const std::string& rendering, const std::string& error) {
  std::fprintf(stderr, "fuzz_cors_any: %s\n  rendering (%zu bytes): %.2000s\n  re-parse error: %.2000s\n",
               what, rendering.size(), rendering.c_str(), error.c_str());
  std::abort();
}

void round_trip(const s3cors::cors::cors_configuration& parsed, const std::string& rendering,
                const char* refused, const char* count_changed) {
  const auto again = s3cors::cors::parse_any(rendering);
  if (!again) fail(refused, rendering, again.error().code + ": " + again.error().detail);
  if (again->rules.size() != parsed.rules.size()) fail(count_changed, rendering, "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = s3cors::cors::parse_any(text);
  if (!parsed) return 0;
  round_trip(*parsed, s3cors::cors::to_xml(*parsed), "to_xml output refused by parse_any",
             "rule count changed by to_xml + parse_any");
  round_trip(*parsed, s3cors::cors::to_json(*parsed), "to_json output refused by parse_any",
             "rule count changed by to_json + parse_any");
  return 0;
}
