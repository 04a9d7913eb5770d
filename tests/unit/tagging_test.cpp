#include "s3cors/s3/tagging.hpp"

#include "s3cors/http/request.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace {

using s3cors::s3::error;
using s3cors::s3::tag_owner;
using s3cors::s3::tag_set;

std::string doc(std::string_view tags) {
  return "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>" + std::string(tags) +
         "</TagSet></Tagging>";
}

std::string tag(std::string_view key, std::string_view value) {
  return "<Tag><Key>" + std::string(key) + "</Key><Value>" + std::string(value) + "</Value></Tag>";
}

std::string code_of(const s3cors::s3::error_detail& e) {
  return std::string(s3cors::s3::info(e.code).code);
}

}  // namespace

TEST_CASE("tagging: a Tagging document parses in order, with or without the namespace", "[tagging]") {
  const auto parsed = s3cors::s3::parse_tagging(doc(tag("b", "2") + tag("a", "")), tag_owner::object);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == tag_set{{"b", "2"}, {"a", ""}});
  const auto bare = s3cors::s3::parse_tagging(
      "<Tagging><TagSet><Tag><Value>v</Value><Key>k</Key></Tag></TagSet></Tagging>", tag_owner::bucket);
  REQUIRE(bare.has_value());
  CHECK(*bare == tag_set{{"k", "v"}});
  const auto empty = s3cors::s3::parse_tagging("<Tagging><TagSet/></Tagging>", tag_owner::object);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("tagging: white space in keys and values is kept", "[tagging]") {
  const auto parsed = s3cors::s3::parse_tagging(doc(tag(" k ", "   ")), tag_owner::object);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == tag_set{{" k ", "   "}});
}

TEST_CASE("tagging: documents that are not a Tagging are MalformedXML", "[tagging]") {
  const std::string body =
      GENERATE(as<std::string>{}, "", "<Tagging>", "<Other><TagSet/></Other>", "<Tagging/>",
               "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
               "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
               "<Tagging><TagSet><Other/></TagSet></Tagging>",
               "<Tagging><TagSet><Tag><Key>k</Key><Key>l</Key><Value/></Tag></TagSet></Tagging>");
  CAPTURE(body);
  const auto parsed = s3cors::s3::parse_tagging(body, tag_owner::object);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == error::malformed_xml);
}

TEST_CASE("tagging: S3's limits and messages", "[tagging]") {
  struct row {
    std::string name;
    tag_set tags;
    tag_owner owner;
    std::string code;  ///< empty: accepted
    std::string message;
  };
  tag_set ten;
  tag_set eleven;
  tag_set fifty;
  tag_set fifty_one;
  for (int i = 0; i < 51; ++i) {
    const std::string key = "k" + std::to_string(i);
    if (i < 10) ten.emplace_back(key, "v");
    if (i < 11) eleven.emplace_back(key, "v");
    if (i < 50) fifty.emplace_back(key, "v");
    fifty_one.emplace_back(key, "v");
  }
  const std::string key128(128, 'k');
  const std::string value256(256, 'v');
  // U+1F600 (an emoji) is not a letter; U+20000 (CJK) is, and counts 2 in UTF-16.
  std::string cjk64;
  for (int i = 0; i < 64; ++i) cjk64 += "\xF0\xA0\x80\x80";
  const auto r = GENERATE_COPY(values<row>({
      {"10 object tags", ten, tag_owner::object, "", ""},
      {"11 object tags", eleven, tag_owner::object, "BadRequest", "Object tags cannot be greater than 10"},
      {"50 bucket tags", fifty, tag_owner::bucket, "", ""},
      {"51 bucket tags", fifty_one, tag_owner::bucket, "BadRequest",
       "Bucket tag count cannot be greater than 50"},
      {"128-character key", {{key128, "v"}}, tag_owner::object, "", ""},
      {"129-character key",
       {{key128 + "k", "v"}},
       tag_owner::object,
       "InvalidTag",
       "The TagKey you have provided is invalid"},
      {"empty key", {{"", "v"}}, tag_owner::object, "InvalidTag", "The TagKey you have provided is invalid"},
      {"256-character value", {{"k", value256}}, tag_owner::object, "", ""},
      {"257-character value",
       {{"k", value256 + "v"}},
       tag_owner::object,
       "InvalidTag",
       "The TagValue you have provided is invalid"},
      {"every allowed symbol", {{"a Z_.:/=+-@9", "a Z_.:/=+-@9"}}, tag_owner::object, "", ""},
      {"letters of other scripts", {{"caf\xC3\xA9", "\xE6\x97\xA5\xE6\x9C\xAC"}}, tag_owner::object, "", ""},
      {"64 supplementary letters are 128 UTF-16 units", {{cjk64, "v"}}, tag_owner::object, "", ""},
      {"65 supplementary letters are 130",
       {{cjk64 + "\xF0\xA0\x80\x80", "v"}},
       tag_owner::object,
       "InvalidTag",
       "The TagKey you have provided is invalid"},
      {"comma in a value",
       {{"k", "a,b"}},
       tag_owner::object,
       "InvalidTag",
       "The TagValue you have provided is invalid"},
      {"ampersand in a key",
       {{"a&b", "v"}},
       tag_owner::bucket,
       "InvalidTag",
       "The TagKey you have provided is invalid"},
      {"control character",
       {{"k", "a\tb"}},
       tag_owner::object,
       "InvalidTag",
       "The TagValue you have provided is invalid"},
      {"symbol outside ASCII",
       {{"k", "\xF0\x9F\x98\x80"}},
       tag_owner::object,
       "InvalidTag",
       "The TagValue you have provided is invalid"},
      {"invalid UTF-8",
       {{"k\xFF", "v"}},
       tag_owner::object,
       "InvalidTag",
       "The TagKey you have provided is invalid"},
      {"aws: prefix",
       {{"aws:cloudformation", "v"}},
       tag_owner::bucket,
       "InvalidTag",
       "Your TagKey cannot be prefixed with aws:"},
      {"AWS: prefix",
       {{"AWS:x", "v"}},
       tag_owner::object,
       "InvalidTag",
       "Your TagKey cannot be prefixed with aws:"},
      {"duplicate keys",
       {{"k", "1"}, {"k", "2"}},
       tag_owner::object,
       "InvalidTag",
       "Cannot provide multiple Tags with the same key"},
  }));
  CAPTURE(r.name);
  const auto invalid = s3cors::s3::validate_tags(r.tags, r.owner);
  if (r.code.empty()) {
    CHECK_FALSE(invalid);
  } else {
    REQUIRE(invalid);
    CHECK(code_of(*invalid) == r.code);
    CHECK(invalid->message == r.message);
  }
}

TEST_CASE("tagging: InvalidTag names the tag as S3 does", "[tagging]") {
  const auto value = s3cors::s3::validate_tags({{"key", "inv&alid"}}, tag_owner::bucket);
  REQUIRE(value);
  CHECK(value->fields == decltype(value->fields){{"TagKey", "key"}, {"TagValue", "inv&alid"}});
  const auto duplicate = s3cors::s3::validate_tags({{"key", "a"}, {"key", "b"}}, tag_owner::bucket);
  REQUIRE(duplicate);
  CHECK(duplicate->fields == decltype(duplicate->fields){{"TagKey", "key"}});
}

TEST_CASE("tagging: x-amz-tagging is URL query form", "[tagging]") {
  struct row {
    std::string header;
    tag_set tags;
  };
  const auto r = GENERATE(values<row>({
      {"", {}},
      {"a=1&b=2", {{"a", "1"}, {"b", "2"}}},
      {"flag", {{"flag", ""}}},
      {"k=", {{"k", ""}}},
      {"a%20b=c+d&e%3Af=%2F", {{"a b", "c d"}, {"e:f", "/"}}},
      {"caf%C3%A9=%E6%97%A5", {{"caf\xC3\xA9", "\xE6\x97\xA5"}}},
      {"&a=1&&", {{"a", "1"}}},
  }));
  CAPTURE(r.header);
  const auto parsed = s3cors::s3::parse_tagging_header(r.header);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == r.tags);
}

TEST_CASE("tagging: a malformed x-amz-tagging is InvalidArgument naming the header", "[tagging]") {
  const std::string header =
      GENERATE(as<std::string>{}, "TagSet=[{Key=string,Value=string}]", "a=1&a=2", "a=%zz", "k=v=w");
  CAPTURE(header);
  const auto parsed = s3cors::s3::parse_tagging_header(header);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(code_of(parsed.error()) == "InvalidArgument");
  CHECK(
      parsed.error().message ==
      "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag "
      "name duplicates.");
  CHECK(parsed.error().fields ==
        decltype(parsed.error().fields){{"ArgumentName", "x-amz-tagging"}, {"ArgumentValue", header}});
}

TEST_CASE("tagging: x-amz-tagging's tags obey the object limits", "[tagging]") {
  const auto bad_key = s3cors::s3::parse_tagging_header("TagSet%3D%5B%7BKey%3Dstring%7D%5D");
  REQUIRE_FALSE(bad_key.has_value());
  CHECK(code_of(bad_key.error()) == "InvalidTag");
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += "k" + std::to_string(i) + "=v&";
  const auto too_many = s3cors::s3::parse_tagging_header(eleven);
  REQUIRE_FALSE(too_many.has_value());
  CHECK(code_of(too_many.error()) == "BadRequest");
}

TEST_CASE("tagging: tags_from_headers is empty without x-amz-tagging", "[tagging]") {
  s3cors::header_list headers;
  CHECK(s3cors::s3::tags_from_headers(headers)->empty());
  headers.add("x-amz-tagging", "a=b");
  CHECK(*s3cors::s3::tags_from_headers(headers) == tag_set{{"a", "b"}});
}

TEST_CASE("tagging: POST Object's tagging field is a Tagging document", "[tagging]") {
  const auto tags = s3cors::s3::tags_from_form_fields({{"key", "k"}, {"tagging", doc(tag("a", "b"))}});
  REQUIRE(tags.has_value());
  CHECK(*tags == tag_set{{"a", "b"}});
  CHECK(s3cors::s3::tags_from_form_fields({{"key", "k"}})->empty());
  CHECK_FALSE(s3cors::s3::tags_from_form_fields({{"tagging", "a=b"}}).has_value());
}

TEST_CASE("tagging: render_tagging is S3's document", "[tagging]") {
  CHECK(s3cors::s3::render_tagging({{"a&", "1"}, {"b", ""}}) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
        "<Tag><Key>a&amp;</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag>"
        "</TagSet></Tagging>");
}
