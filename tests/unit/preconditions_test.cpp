#include "s3cors/conditional/preconditions.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace {

using s3cors::conditional::evaluate_preconditions;
using s3cors::conditional::outcome;
using s3cors::conditional::precondition_headers;
using s3cors::conditional::validators;

constexpr std::string_view etag = "9bb58f26192e4ba00f01e2e7b136bbd8";
constexpr std::string_view other_etag = "\"0000000000000000000000000000ffff\"";
constexpr std::string_view quoted_etag = "\"9bb58f26192e4ba00f01e2e7b136bbd8\"";

// Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT
const validators object{etag, std::chrono::sys_days{std::chrono::year{2015} / 10 / 21} +
                                  std::chrono::hours{7} + std::chrono::minutes{28}};

constexpr std::string_view one_second_before = "Wed, 21 Oct 2015 07:27:59 GMT";
constexpr std::string_view same_second = "Wed, 21 Oct 2015 07:28:00 GMT";
constexpr std::string_view one_second_after = "Wed, 21 Oct 2015 07:28:01 GMT";

struct row {
  const char* name;
  precondition_headers headers;
  outcome expected;
  std::string_view failed_condition;
};

void check(const row& r) {
  INFO(r.name);
  const auto result = evaluate_preconditions(r.headers, object);
  CHECK(result.result == r.expected);
  CHECK(result.failed_condition == r.failed_condition);
}

}  // namespace

TEST_CASE("preconditions: no conditional headers proceed", "[preconditions]") {
  const auto result = evaluate_preconditions({}, object);
  CHECK(result.result == outcome::proceed);
  CHECK(result.failed_condition.empty());
}

TEST_CASE("preconditions: If-Match uses strong comparison over an entity-tag list", "[preconditions]") {
  check(GENERATE(values<row>({
      {"quoted tag matches", {quoted_etag, {}, {}, {}}, outcome::proceed, {}},
      {"bare tag matches", {etag, {}, {}, {}}, outcome::proceed, {}},
      {"star matches any object", {"*", {}, {}, {}}, outcome::proceed, {}},
      {"match later in a list",
       {"\"a\", \"b\",\"9bb58f26192e4ba00f01e2e7b136bbd8\"", {}, {}, {}},
       outcome::proceed,
       {}},
      {"match with whitespace around",
       {"  \"9bb58f26192e4ba00f01e2e7b136bbd8\"\t", {}, {}, {}},
       outcome::proceed,
       {}},
      {"different tag fails", {other_etag, {}, {}, {}}, outcome::precondition_failed, "If-Match"},
      {"weak tag never matches strongly",
       {"W/\"9bb58f26192e4ba00f01e2e7b136bbd8\"", {}, {}, {}},
       outcome::precondition_failed,
       "If-Match"},
      {"tag comparison is case-sensitive",
       {"\"9BB58F26192E4BA00F01E2E7B136BBD8\"", {}, {}, {}},
       outcome::precondition_failed,
       "If-Match"},
      {"prefix of the tag fails", {"\"9bb58f26\"", {}, {}, {}}, outcome::precondition_failed, "If-Match"},
      {"unterminated quote fails",
       {"\"9bb58f26192e4ba00f01e2e7b136bbd8", {}, {}, {}},
       outcome::precondition_failed,
       "If-Match"},
      {"list of non-matching tags fails",
       {"\"a\", W/\"b\"", {}, {}, {}},
       outcome::precondition_failed,
       "If-Match"},
      {"quoted tag containing a comma is one tag",
       {"\"x,9bb58f26192e4ba00f01e2e7b136bbd8\"", {}, {}, {}},
       outcome::precondition_failed,
       "If-Match"},
      {"blank header counts as absent", {"  ", {}, {}, {}}, outcome::proceed, {}},
  })));
}

TEST_CASE("preconditions: If-None-Match uses weak comparison and answers 304", "[preconditions]") {
  check(GENERATE(values<row>({
      {"quoted tag matches", {{}, quoted_etag, {}, {}}, outcome::not_modified, "If-None-Match"},
      {"bare tag matches", {{}, etag, {}, {}}, outcome::not_modified, "If-None-Match"},
      {"weak tag matches weakly",
       {{}, "W/\"9bb58f26192e4ba00f01e2e7b136bbd8\"", {}, {}},
       outcome::not_modified,
       "If-None-Match"},
      {"star matches any object", {{}, "*", {}, {}}, outcome::not_modified, "If-None-Match"},
      {"match in a list",
       {{}, "\"a\" , W/\"9bb58f26192e4ba00f01e2e7b136bbd8\"", {}, {}},
       outcome::not_modified,
       "If-None-Match"},
      {"different tag proceeds", {{}, other_etag, {}, {}}, outcome::proceed, {}},
      {"list without the tag proceeds", {{}, "\"a\", \"b\"", {}, {}}, outcome::proceed, {}},
      {"malformed list proceeds", {{}, "\"9bb58f", {}, {}}, outcome::proceed, {}},
      {"empty header counts as absent", {{}, "", {}, {}}, outcome::proceed, {}},
  })));
}

TEST_CASE("preconditions: If-Unmodified-Since fails only when modified after the date", "[preconditions]") {
  check(GENERATE(values<row>({
      {"modified one second after the date",
       {{}, {}, {}, one_second_before},
       outcome::precondition_failed,
       "If-Unmodified-Since"},
      {"same second is unmodified", {{}, {}, {}, same_second}, outcome::proceed, {}},
      {"date after the modification", {{}, {}, {}, one_second_after}, outcome::proceed, {}},
      {"RFC 850 date",
       {{}, {}, {}, "Wednesday, 21-Oct-15 07:27:59 GMT"},
       outcome::precondition_failed,
       "If-Unmodified-Since"},
      {"asctime date",
       {{}, {}, {}, "Wed Oct 21 07:27:59 2015"},
       outcome::precondition_failed,
       "If-Unmodified-Since"},
      {"invalid date is ignored", {{}, {}, {}, "yesterday"}, outcome::proceed, {}},
      {"empty date is ignored", {{}, {}, {}, ""}, outcome::proceed, {}},
  })));
}

TEST_CASE("preconditions: If-Modified-Since answers 304 unless modified after the date", "[preconditions]") {
  check(GENERATE(values<row>({
      {"date after the modification",
       {{}, {}, one_second_after, {}},
       outcome::not_modified,
       "If-Modified-Since"},
      {"same second is not modified", {{}, {}, same_second, {}}, outcome::not_modified, "If-Modified-Since"},
      {"modified one second after the date", {{}, {}, one_second_before, {}}, outcome::proceed, {}},
      {"epoch", {{}, {}, "Thu, 01 Jan 1970 00:00:00 GMT", {}}, outcome::proceed, {}},
      {"invalid date is ignored", {{}, {}, "Wed, 21 Oct 2015 07:28:00 UTC", {}}, outcome::proceed, {}},
  })));
}

TEST_CASE("preconditions: S3's documented combinations", "[preconditions]") {
  check(GENERATE(values<row>({
      // "If-Match condition evaluates to true, and If-Unmodified-Since condition evaluates to
      // false; then, S3 returns 200 OK and the data requested."
      {"If-Match true + If-Unmodified-Since false -> 200",
       {quoted_etag, {}, {}, one_second_before},
       outcome::proceed,
       {}},
      // "If-None-Match condition evaluates to false, and If-Modified-Since condition evaluates to
      // true; then, S3 returns 304 Not Modified."
      {"If-None-Match false + If-Modified-Since true -> 304",
       {{}, quoted_etag, one_second_before, {}},
       outcome::not_modified,
       "If-None-Match"},
      {"If-Match false -> 412 even with If-Unmodified-Since true",
       {other_etag, {}, {}, one_second_after},
       outcome::precondition_failed,
       "If-Match"},
      {"If-Unmodified-Since false without If-Match -> 412",
       {{}, {}, {}, one_second_before},
       outcome::precondition_failed,
       "If-Unmodified-Since"},
      {"If-None-Match true skips If-Modified-Since",
       {{}, other_etag, one_second_after, {}},
       outcome::proceed,
       {}},
      {"If-Modified-Since not modified without If-None-Match -> 304",
       {{}, {}, one_second_after, {}},
       outcome::not_modified,
       "If-Modified-Since"},
  })));
}

TEST_CASE("preconditions: 412 conditions are evaluated before 304 conditions", "[preconditions]") {
  check(GENERATE(values<row>({
      {"If-Match false wins over If-None-Match match",
       {other_etag, quoted_etag, {}, {}},
       outcome::precondition_failed,
       "If-Match"},
      {"If-Unmodified-Since false wins over If-Modified-Since",
       {{}, {}, one_second_after, one_second_before},
       outcome::precondition_failed,
       "If-Unmodified-Since"},
      {"If-Match true then If-None-Match match -> 304",
       {quoted_etag, quoted_etag, {}, {}},
       outcome::not_modified,
       "If-None-Match"},
      {"all four pass", {quoted_etag, other_etag, one_second_before, one_second_after}, outcome::proceed, {}},
      {"blank If-Match lets If-Unmodified-Since decide",
       {"", {}, {}, one_second_before},
       outcome::precondition_failed,
       "If-Unmodified-Since"},
      {"invalid If-Unmodified-Since with If-None-Match match -> 304",
       {{}, "*", {}, "not a date"},
       outcome::not_modified,
       "If-None-Match"},
  })));
}
