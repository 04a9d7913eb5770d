#include "auth/request_target.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace {

using s3cors::auth::append_percent_decoded;
using s3cors::auth::hex_digit;
using s3cors::auth::needs_decoding;
using s3cors::auth::percent_decode;
using s3cors::auth::split_target;

}  // namespace

// --- split_target ---------------------------------------------------------------------------

TEST_CASE("request target: split_target separates the raw path from the raw query", "[request_target]") {
  struct row {
    std::string_view target;
    std::string_view path;
    std::string_view query;
  };
  const auto r = GENERATE(values<row>({
      {"", "", ""},
      {"/", "/", ""},
      {"/bucket/key", "/bucket/key", ""},
      {"/bucket/key?acl", "/bucket/key", "acl"},
      {"/bucket/key?", "/bucket/key", ""},      // an empty query is none
      {"/b/k?a=1&b=%2F", "/b/k", "a=1&b=%2F"},  // kept as sent, not decoded
      {"/b/a%3Fb?x", "/b/a%3Fb", "x"},          // an escaped '?' is part of the path
      {"/b/k?x=1?y", "/b/k", "x=1?y"},          // the first '?' splits
      {"/b/k#frag", "/b/k", ""},                // fragments are dropped
      {"/b/k?x#frag?y", "/b/k", "x"},           //
      {"/b/x://y?q", "/b/x://y", "q"},          // origin-form: "://" is in the path
      {"http://host/b/k?x=1", "/b/k", "x=1"},   // absolute-form loses the authority
      {"https://host:9000/b/k", "/b/k", ""},    //
      {"http://host?q", "", "q"},               // authority, then straight to the query
      {"http://host", "", ""},                  //
      {"*", "*", ""},                           // asterisk-form stays as it is
      {"host:443", "host:443", ""},             // authority-form likewise
  }));
  CAPTURE(r.target);
  const auto parts = split_target(r.target);
  CHECK(parts.path == r.path);
  CHECK(parts.query == r.query);
}

// --- hex_digit ------------------------------------------------------------------------------

TEST_CASE("request target: hex_digit reads either case and refuses the rest", "[request_target]") {
  STATIC_REQUIRE(hex_digit('0') == 0);
  STATIC_REQUIRE(hex_digit('9') == 9);
  STATIC_REQUIRE(hex_digit('a') == 10);
  STATIC_REQUIRE(hex_digit('A') == 10);
  STATIC_REQUIRE(hex_digit('f') == 15);
  STATIC_REQUIRE(hex_digit('F') == 15);
  const char c = GENERATE('g', 'G', '/', ':', '@', '`', ' ', '%', '\0', '\x80', '\xff');
  CAPTURE(static_cast<int>(static_cast<unsigned char>(c)));
  CHECK(hex_digit(c) == -1);
}

// --- percent_decode -------------------------------------------------------------------------

TEST_CASE("request target: percent_decode decodes each escape once and keeps malformed ones",
          "[request_target]") {
  struct row {
    std::string_view text;
    bool plus_is_space;
    std::string expected;
  };
  const auto r = GENERATE(values<row>({
      {"", false, ""},
      {"plain", false, "plain"},
      {"a%20b", false, "a b"},
      {"%41%4a%4A", false, "AJJ"},           // both hex cases
      {"%2541", false, "%41"},               // decoded once, not twice
      {"dir%2Fkey", false, "dir/key"},       //
      {"%e2%82%ac", false, "\xe2\x82\xac"},  // UTF-8 bytes pass through
      {"%00", false, std::string(1, '\0')},  //
      {"a+b", false, "a+b"},                 // a path: '+' is literal (SigV2 queries too)
      {"a+b", true, "a b"},                  // a form-style query: '+' is a space
      {"%2B", true, "+"},                    // an escaped plus stays a plus
      {"%", false, "%"},                     // malformed escapes stay literal, never fail
      {"%4", false, "%4"},                   //
      {"abc%2", false, "abc%2"},             //
      {"%G0", false, "%G0"},                 //
      {"%0G", false, "%0G"},                 //
      {"%%41", false, "%A"},                 // a bad escape, then a good one
      {"% 20", true, "% 20"},                //
      {"%+1", true, "% 1"},                  //
  }));
  CAPTURE(r.text, r.plus_is_space);
  CHECK(percent_decode(r.text, r.plus_is_space) == r.expected);
}

TEST_CASE("request target: append_percent_decoded appends and never lengthens", "[request_target]") {
  std::string out = "prefix:";
  append_percent_decoded(out, "a%2Fb+c", false);
  CHECK(out == "prefix:a/b+c");
  append_percent_decoded(out, "+%2b", true);
  CHECK(out == "prefix:a/b+c +");
  const std::string_view text = GENERATE(as<std::string_view>{}, "", "%", "%%%", "%41%", "a+%zz+%2");
  std::string decoded;
  append_percent_decoded(decoded, text, true);
  CAPTURE(text);
  CHECK(decoded.size() <= text.size());
}

TEST_CASE("request target: needs_decoding looks for '%', and for '+' only in form-style text",
          "[request_target]") {
  CHECK_FALSE(needs_decoding("", true));
  CHECK_FALSE(needs_decoding("plain/key", true));
  CHECK(needs_decoding("a%20b", false));
  CHECK(needs_decoding("%", false));  // malformed: decoding keeps it, but it has to look
  CHECK_FALSE(needs_decoding("a+b", false));
  CHECK(needs_decoding("a+b", true));
}
