// libFuzzer target for s3cors::cors::parse_xml (S3's <CORSConfiguration>).
// Any input must parse or be refused without crashing, leaking or hanging. When it parses, the
// GetBucketCors rendering (to_xml) must parse back to the same configuration: the rule count
// first (the required invariant), then every value (to_xml promises values verbatim).
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
  std::fprintf(stderr, "fuzz_cors_xml: %s\n  to_xml (%zu bytes): %.2000s\n  re-parse error: %.2000s\n", what,
               rendering.size(), rendering.c_str(), error.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = s3cors::cors::parse_xml(text);
  if (!parsed) return 0;
  const std::string rendering = s3cors::cors::to_xml(*parsed);
  const auto again = s3cors::cors::parse_xml(rendering);
  if (!again)
    fail("to_xml output refused by parse_xml", rendering, again.error().code + ": " + again.error().detail);
  if (again->rules.size() != parsed->rules.size())
    fail("rule count changed by to_xml + parse_xml", rendering, "");
  if (*again != *parsed) fail("rules changed by to_xml + parse_xml", rendering, "");
  return 0;
}
