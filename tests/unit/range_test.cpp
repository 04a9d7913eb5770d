#include "s3cors/range/range.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace {

using s3cors::range::parse_range;
using s3cors::range::range_kind;

struct satisfiable_row {
  std::string_view header;
  std::uint64_t size;
  std::uint64_t first;
  std::uint64_t last;
};

void check_satisfiable(const satisfiable_row& row) {
  CAPTURE(row.header, row.size);
  const auto decision = parse_range(row.header, row.size);
  REQUIRE(decision.kind == range_kind::satisfiable);
  CHECK(decision.range.first == row.first);
  CHECK(decision.range.last == row.last);
}

struct kind_row {
  std::string_view header;
  std::uint64_t size;
};

void check_kind(const kind_row& row, range_kind expected) {
  CAPTURE(row.header, row.size);
  CHECK(parse_range(row.header, row.size).kind == expected);
}

}  // namespace

TEST_CASE("range: no header is absent", "[range]") {
  const std::uint64_t size = GENERATE(0u, 1u, 100u);
  const auto decision = parse_range(std::nullopt, size);
  CHECK(decision.kind == range_kind::absent);
}

TEST_CASE("range: first-last within the object is served as asked", "[range]") {
  check_satisfiable(GENERATE(values<satisfiable_row>({
      {"bytes=0-0", 100, 0, 0},  // the first byte
      {"bytes=0-1", 100, 0, 1},  // Safari's probe
      {"bytes=0-99", 100, 0, 99},
      {"bytes=10-19", 100, 10, 19},
      {"bytes=99-99", 100, 99, 99},  // the last byte (size-1)
      {"bytes=0-0", 1, 0, 0},        // a one-byte object
      {"bytes=007-008", 100, 7, 8},  // leading zeros are digits
  })));
}

TEST_CASE("range: last at or past the end is clamped to size-1", "[range]") {
  check_satisfiable(GENERATE(values<satisfiable_row>({
      {"bytes=0-100", 100, 0, 99},  // last == size
      {"bytes=50-1000", 100, 50, 99},
      {"bytes=99-100", 100, 99, 99},
      {"bytes=0-18446744073709551615", 100, 0, 99},  // last == 2^64-1
      {"bytes=0-5", 1, 0, 0},
  })));
}

TEST_CASE("range: open-ended first- runs to the end", "[range]") {
  check_satisfiable(GENERATE(values<satisfiable_row>({
      {"bytes=0-", 100, 0, 99},  // Safari's other probe
      {"bytes=42-", 100, 42, 99},
      {"bytes=99-", 100, 99, 99},
      {"bytes=0-", 1, 0, 0},
  })));
}

TEST_CASE("range: suffix -n selects the last n bytes", "[range]") {
  check_satisfiable(GENERATE(values<satisfiable_row>({
      {"bytes=-1", 100, 99, 99},
      {"bytes=-10", 100, 90, 99},
      {"bytes=-99", 100, 1, 99},
      {"bytes=-1", 1, 0, 0},
  })));
}

TEST_CASE("range: suffix longer than object is clamped", "[range]") {
  check_satisfiable(GENERATE(values<satisfiable_row>({
      {"bytes=-100", 100, 0, 99},  // n == size
      {"bytes=-101", 100, 0, 99},  // n == size+1
      {"bytes=-18446744073709551615", 100, 0, 99},
      {"bytes=-5", 1, 0, 0},
  })));
}

TEST_CASE("range: start at or past the end is unsatisfiable", "[range]") {
  check_kind(GENERATE(values<kind_row>({
                 {"bytes=100-", 100},  // first == size
                 {"bytes=100-100", 100},
                 {"bytes=100-200", 100},
                 {"bytes=101-", 100},
                 {"bytes=18446744073709551615-", 100},
                 {"bytes=1-1", 1},
             })),
             range_kind::unsatisfiable);
}

TEST_CASE("range: zero-length suffix is unsatisfiable", "[range]") {
  check_kind(GENERATE(values<kind_row>({{"bytes=-0", 100}, {"bytes=-000", 1}, {"bytes=-0", 0}})),
             range_kind::unsatisfiable);
}

TEST_CASE("range: first-last and first- on an empty object are unsatisfiable", "[range]") {
  // Amazon S3 answers 416 InvalidRange here (minio/minio-java#636, minio/minio#17713).
  check_kind(
      GENERATE(values<kind_row>({{"bytes=0-", 0}, {"bytes=0-0", 0}, {"bytes=0-1", 0}, {"bytes=40-50", 0}})),
      range_kind::unsatisfiable);
}

TEST_CASE("range: a non-zero suffix on an empty object serves the empty object", "[range]") {
  check_kind(GENERATE(values<kind_row>({{"bytes=-1", 0}, {"bytes=-100", 0}})), range_kind::ignore);
}

TEST_CASE("range: headers S3 does not understand are ignored", "[range]") {
  check_kind(GENERATE(values<kind_row>({
                 {"", 100},                             // empty value
                 {"   ", 100},                          // blank value
                 {"garbage", 100},                      //
                 {"bytes", 100},                        // no '='
                 {"bytes=", 100},                       // empty range set
                 {"bytes=,", 100},                      // only empty elements
                 {"bytes=-", 100},                      // neither first nor suffix length
                 {"bytes=5", 100},                      // no '-'
                 {"bytes=a-b", 100},                    // letters
                 {"bytes=0x10-0x20", 100},              // hex
                 {"bytes=+1-2", 100},                   // sign
                 {"bytes=1--2", 100},                   // negative last
                 {"bytes=1-2-3", 100},                  // extra dash
                 {"bytes=1 -2", 100},                   // whitespace inside a range
                 {"bytes=1- 2", 100},                   //
                 {"bytes=10-5", 100},                   // last < first (S3 ignores, no 416)
                 {"bytes=200-100", 100},                // inverted and past the end
                 {"bytes=0-1,4-5", 100},                // several ranges
                 {"bytes=0-1, -5", 100},                //
                 {"bytes=0-0,0-0", 100},                // duplicates are still several
                 {"items=0-1", 100},                    // another unit
                 {"byte=0-1", 100},                     //
                 {"bytes =0-1", 100},                   // no whitespace before '='
                 {"bytes=18446744073709551616-", 100},  // first == 2^64
                 {"bytes=0-18446744073709551616", 100},
                 {"bytes=-18446744073709551616", 100},
                 {"bytes=99999999999999999999999-", 100},
                 {"bytes=10-5", 0},  // ignored before size matters
                 {"bytes=0-1,2-3", 0},
             })),
             range_kind::ignore);
}

TEST_CASE("range: whitespace and empty list elements are tolerated as RFC 9110 allows", "[range]") {
  check_satisfiable(GENERATE(values<satisfiable_row>({
      {" bytes=0-1 ", 100, 0, 1},  // surrounding OWS of the field value
      {"\tbytes=0-1", 100, 0, 1},
      {"bytes= 0-1", 100, 0, 1},  // OWS around list elements
      {"bytes=0-1 ,", 100, 0, 1},
      {"bytes=,0-1", 100, 0, 1},  // empty list elements are skipped
      {"bytes=0-1,,", 100, 0, 1},
      {"BYTES=0-1", 100, 0, 1},  // the unit is case-insensitive
      {"Bytes=-1", 100, 99, 99},
  })));
}

TEST_CASE("range: content_range renders 206 and 416 forms", "[range]") {
  using s3cors::range::byte_range;
  CHECK(s3cors::range::content_range(byte_range{0, 0}, 1) == "bytes 0-0/1");
  CHECK(s3cors::range::content_range(byte_range{0, 1}, 100) == "bytes 0-1/100");
  CHECK(s3cors::range::content_range(byte_range{90, 99}, 100) == "bytes 90-99/100");
  CHECK(s3cors::range::content_range(byte_range{0, 18446744073709551614u}, 18446744073709551615u) ==
        "bytes 0-18446744073709551614/18446744073709551615");
  CHECK(s3cors::range::unsatisfied_content_range(0) == "bytes */0");
  CHECK(s3cors::range::unsatisfied_content_range(100) == "bytes */100");
}

TEST_CASE("range: a satisfiable decision always lies inside the object", "[range]") {
  const std::uint64_t size = GENERATE(1u, 2u, 100u);
  const std::string_view header = GENERATE(as<std::string_view>{}, "bytes=0-", "bytes=0-0", "bytes=0-1",
                                           "bytes=1-", "bytes=-1", "bytes=-2", "bytes=0-1000", "bytes=-1000");
  CAPTURE(header, size);
  const auto decision = parse_range(header, size);
  if (decision.kind == range_kind::satisfiable) {
    CHECK(decision.range.first <= decision.range.last);
    CHECK(decision.range.last < size);
  } else {
    CHECK(decision.kind == range_kind::unsatisfiable);  // only "bytes=1-" on a 1-byte object
    CHECK(size == 1);
  }
}
