#include "s3cors/s3/list_objects.hpp"

#include "memory_store.hpp"
#include "s3cors/errc.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using s3cors::s3::error;
using s3cors::s3::error_detail;
using s3cors::s3::list_common_params;
using s3cors::s3::list_objects_params;
using s3cors::s3::list_objects_xml;
using s3cors::s3::parse_list_params;
using s3cors::s3::parse_list_versions_params;
using s3cors::s3::query_parameters;
using s3cors::s3::read_common_list_param;
using s3cors::store::list_page_request;
using s3cors::store::listed_object;
using s3cors::test::memory_store;

namespace {

const std::string declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const std::string owner =
    "<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
    "<DisplayName>s3cors</DisplayName></Owner>";

s3cors::store::seconds_time at(std::int64_t seconds) {
  return s3cors::store::seconds_time{std::chrono::seconds{seconds}};
}

// A store with bucket "media" holding keys (content "x", mtime 2009-10-12T17:50:30Z).
struct fixture {
  memory_store store;
  std::vector<list_page_request> requests;  ///< every fetch, to check paging

  explicit fixture(const std::vector<std::string>& keys) {
    store.add_bucket("media", at(0));
    for (const auto& key : keys) store.put("media", key, "x", at(1255369830));
  }

  s3cors::s3::fetch_page fetch(std::string bucket = "media") {
    return [this, bucket](
               const list_page_request& req) -> s3cors::result<std::vector<listed_object>, error_detail> {
      requests.push_back(req);
      auto page = store.list_objects(bucket, req);
      if (!page)
        return error_detail{page.error() == s3cors::errc::no_such_bucket ? error::no_such_bucket
                                                                         : error::internal_error};
      return std::move(*page);
    };
  }

  // Parses the query and renders the listing; fails the test on error.
  std::string list(const query_parameters& query) {
    auto params = parse_list_params(query);
    REQUIRE(params.has_value());
    auto xml = list_objects_xml("media", *params, fetch());
    REQUIRE(xml.has_value());
    return *xml;
  }
};

// The text of every <name>...</name> in document order.
std::vector<std::string> all(const std::string& xml, const std::string& name) {
  std::vector<std::string> out;
  const std::string open = "<" + name + ">";
  const std::string close = "</" + name + ">";
  for (std::size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at + 1)) {
    const std::size_t start = at + open.size();
    out.push_back(xml.substr(start, xml.find(close, start) - start));
  }
  return out;
}

std::vector<std::string> keys_of(const std::string& xml) {
  return all(xml, "Key");
}

// The <Prefix> of each <CommonPrefixes>.
std::vector<std::string> prefixes_of(const std::string& xml) {
  std::vector<std::string> out;
  for (const auto& inner : all(xml, "CommonPrefixes")) out.push_back(all(inner, "Prefix").at(0));
  return out;
}

std::string one(const std::string& xml, const std::string& name) {
  const auto values = all(xml, name);
  REQUIRE(values.size() == 1);
  return values.front();
}

bool has(const std::string& xml, const std::string& name) {
  return xml.find("<" + name + ">") != std::string::npos;
}

const std::vector<std::string> ceph_keys = {"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"};

}  // namespace

// ---------------------------------------------------------------------------------------
// Golden documents

TEST_CASE("list_objects: v2 golden document", "[list_objects]") {
  fixture fx({"a.txt", "b/c & d.txt"});
  const std::string xml = fx.list({{"list-type", "2"}});
  const std::string md5_x = "9dd4e461268c8034f5c8564e155c67a6";
  CHECK(xml == declaration +
                   "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   "<Name>media</Name><Prefix></Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>"
                   "<IsTruncated>false</IsTruncated>"
                   "<Contents><Key>a.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
                   "<ETag>&quot;" +
                   md5_x +
                   "&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"
                   "<Contents><Key>b/c &amp; d.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
                   "<ETag>&quot;" +
                   md5_x +
                   "&quot;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"
                   "</ListBucketResult>");
}

TEST_CASE("list_objects: v1 golden document with delimiter, truncation and NextMarker", "[list_objects]") {
  fixture fx(ceph_keys);
  const std::string xml = fx.list({{"delimiter", "/"}, {"max-keys", "2"}});
  CHECK(xml == declaration +
                   "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   "<Name>media</Name><Prefix></Prefix><Marker></Marker><NextMarker>boo/</NextMarker>"
                   "<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
                   "<Contents><Key>asdf</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
                   "<ETag>&quot;9dd4e461268c8034f5c8564e155c67a6&quot;</ETag><Size>1</Size>" +
                   owner +
                   "<StorageClass>STANDARD</StorageClass></Contents>"
                   "<CommonPrefixes><Prefix>boo/</Prefix></CommonPrefixes>"
                   "</ListBucketResult>");
}

TEST_CASE("list_objects: v2 golden document of a truncated page with a delimiter", "[list_objects]") {
  fixture fx(ceph_keys);
  const std::string xml =
      fx.list({{"list-type", "2"}, {"delimiter", "/"}, {"max-keys", "1"}, {"start-after", "asdf"}});
  CHECK(xml == declaration +
                   "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   "<Name>media</Name><Prefix></Prefix><StartAfter>asdf</StartAfter><KeyCount>1</KeyCount>"
                   "<MaxKeys>1</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
                   "<CommonPrefixes><Prefix>boo/</Prefix></CommonPrefixes>"
                   "<NextContinuationToken>Ym9vLw==</NextContinuationToken>"
                   "</ListBucketResult>");
}

// ---------------------------------------------------------------------------------------
// Prefix, delimiter, markers (the ceph s3-tests cases)

TEST_CASE("list_objects: v1 marker pagination with prefix and delimiter (NextMarker)", "[list_objects]") {
  struct row {
    std::string prefix;
    std::string marker;
    std::string max_keys;
    bool truncated;
    std::vector<std::string> keys;
    std::vector<std::string> prefixes;
    std::string next_marker;  ///< "" when absent
  };
  const auto r = GENERATE(values<row>({
      {"", "", "1", true, {"asdf"}, {}, "asdf"},
      {"", "asdf", "1", true, {}, {"boo/"}, "boo/"},
      {"", "boo/", "1", false, {}, {"cquux/"}, ""},
      {"", "", "2", true, {"asdf"}, {"boo/"}, "boo/"},
      {"", "boo/", "2", false, {}, {"cquux/"}, ""},
      {"boo/", "", "1", true, {"boo/bar"}, {}, "boo/bar"},
      {"boo/", "boo/bar", "1", false, {}, {"boo/baz/"}, ""},
      {"boo/", "", "2", false, {"boo/bar"}, {"boo/baz/"}, ""},
  }));
  fixture fx(ceph_keys);
  const std::string xml =
      fx.list({{"prefix", r.prefix}, {"delimiter", "/"}, {"marker", r.marker}, {"max-keys", r.max_keys}});
  INFO(xml);
  CHECK(one(xml, "IsTruncated") == (r.truncated ? "true" : "false"));
  CHECK(keys_of(xml) == r.keys);
  CHECK(prefixes_of(xml) == r.prefixes);
  if (r.next_marker.empty()) {
    CHECK_FALSE(has(xml, "NextMarker"));
  } else {
    CHECK(one(xml, "NextMarker") == r.next_marker);
  }
  CHECK(one(xml, "Marker") == r.marker);
}

TEST_CASE("list_objects: delimiter roll-ups", "[list_objects]") {
  struct row {
    std::vector<std::string> objects;
    std::string prefix;
    std::string delimiter;
    std::vector<std::string> keys;
    std::vector<std::string> prefixes;
  };
  const auto r = GENERATE(values<row>({
      {{"foo/bar", "foo/bar/xyzzy", "quux/thud", "asdf"}, "", "/", {"asdf"}, {"foo/", "quux/"}},
      {{"bar", "baz", "cab", "foo"}, "", "a", {"foo"}, {"ba", "ca"}},
      {{"b.b", "b.c", "c.a", "ca"}, "", ".", {"ca"}, {"b.", "c."}},  // the dot sorts before letters
      {{"bar", "baz", "cab", "foo"}, "", "", {"bar", "baz", "cab", "foo"}, {}},
      {{"bar", "baz", "cab", "foo"}, "", "\n", {"bar", "baz", "cab", "foo"}, {}},
      {{"foo/bar", "foo/baz/xyzzy", "quux/thud", "asdf"}, "foo/", "/", {"foo/bar"}, {"foo/baz/"}},
      {{"foo/bar", "foo/baz/xyzzy", "quux/thud", "asdf"}, "fo", "/", {}, {"foo/"}},
      {{"a/b", "a/c/d", "a.b"}, "a", "/", {"a.b"}, {"a/"}},
      {{"x/y/z", "x/yy"}, "x/y", "/", {"x/yy"}, {"x/y/"}},
      {{"asdf", "boo/bar"}, "nope", "/", {}, {}},
      {{"one::two", "one::three", "one:"}, "", "::", {"one:"}, {"one::"}},  // multi-character delimiter
  }));
  fixture fx(r.objects);
  for (const bool v2 : {false, true}) {
    query_parameters query = {{"prefix", r.prefix}, {"delimiter", r.delimiter}};
    if (v2) query.emplace_back("list-type", "2");
    const std::string xml = fx.list(query);
    INFO(xml);
    CHECK(keys_of(xml) == r.keys);
    CHECK(prefixes_of(xml) == r.prefixes);
    CHECK(all(xml, "Prefix").at(0) == r.prefix);  // the first <Prefix> is the request's
    CHECK(has(xml, "Delimiter") == !r.delimiter.empty());
    if (v2) CHECK(one(xml, "KeyCount") == std::to_string(r.keys.size() + r.prefixes.size()));
  }
}

// ---------------------------------------------------------------------------------------
// max-keys

TEST_CASE("list_objects: max-keys boundaries", "[list_objects]") {
  const std::vector<std::string> keys = {"bar", "baz", "foo", "quxx"};
  struct row {
    std::string max_keys;
    std::size_t returned;
    bool truncated;
  };
  const auto r = GENERATE(values<row>({
      {"0", 0, false},  // S3: an empty page that is not truncated (ceph s3-tests maxkeys_zero)
      {"1", 1, true},
      {"3", 3, true},
      {"4", 4, false},
      {"5", 4, false},
      {"2147483647", 4, false},
  }));
  fixture fx(keys);
  for (const bool v2 : {false, true}) {
    query_parameters query = {{"max-keys", r.max_keys}};
    if (v2) query.emplace_back("list-type", "2");
    const std::string xml = fx.list(query);
    INFO(xml);
    CHECK(keys_of(xml) ==
          std::vector<std::string>(keys.begin(), keys.begin() + static_cast<long>(r.returned)));
    CHECK(one(xml, "IsTruncated") == (r.truncated ? "true" : "false"));
    CHECK(one(xml, "MaxKeys") == r.max_keys);
    CHECK(has(xml, "NextContinuationToken") == (v2 && r.truncated));
    CHECK_FALSE(has(xml, "NextMarker"));  // only with a delimiter
  }
}

TEST_CASE("list_objects: max-keys defaults to 1000 and pages never exceed 1000", "[list_objects]") {
  std::vector<std::string> keys;
  for (int i = 0; i < 1001; ++i) keys.push_back("k" + std::to_string(10000 + i));
  fixture fx(keys);
  SECTION("default") {
    const std::string xml = fx.list({{"list-type", "2"}});
    CHECK(one(xml, "MaxKeys") == "1000");
    CHECK(keys_of(xml).size() == 1000);
    CHECK(one(xml, "IsTruncated") == "true");
  }
  SECTION("more requested") {
    const std::string xml = fx.list({{"list-type", "2"}, {"max-keys", "5000"}});
    CHECK(one(xml, "MaxKeys") == "5000");
    CHECK(keys_of(xml).size() == 1000);
    CHECK(one(xml, "KeyCount") == "1000");
    CHECK(one(xml, "IsTruncated") == "true");
    const std::string next =
        fx.list({{"list-type", "2"}, {"continuation-token", one(xml, "NextContinuationToken")}});
    CHECK(keys_of(next) == std::vector<std::string>{"k11000"});
  }
  CHECK(fx.requests.front().max_keys == 1000);
}

TEST_CASE("list_objects: invalid parameters are InvalidArgument", "[list_objects]") {
  struct row {
    query_parameters query;
    std::string argument;
  };
  const auto r = GENERATE(values<row>({
      {{{"max-keys", "blah"}}, "max-keys"},
      {{{"max-keys", "-1"}}, "max-keys"},
      {{{"max-keys", ""}}, "max-keys"},
      {{{"max-keys", "2147483648"}}, "max-keys"},
      {{{"max-keys", "1x"}}, "max-keys"},
      {{{"max-keys", "+1"}}, "max-keys"},
      {{{"encoding-type", "xml"}}, "encoding-type"},
      {{{"encoding-type", "URL"}}, "encoding-type"},
      {{{"list-type", "2"}, {"continuation-token", "not base64!"}}, "continuation-token"},
      {{{"list-type", "3"}}, "list-type"},
  }));
  const auto parsed = parse_list_params(r.query);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == error::invalid_argument);
  REQUIRE(parsed.error().fields.size() == 2);
  CHECK(parsed.error().fields[0] == std::pair<std::string, std::string>{"ArgumentName", r.argument});
}

TEST_CASE("list_objects: parse_list_params reads v1 and v2 parameters", "[list_objects]") {
  SECTION("v1 ignores v2-only parameters") {
    const auto p =
        parse_list_params({{"prefix", "p"}, {"marker", "m"}, {"start-after", "s"}, {"max-keys", "7"}});
    REQUIRE(p.has_value());
    CHECK_FALSE(p->v2);
    CHECK(p->prefix == "p");
    CHECK(p->marker == "m");
    CHECK(p->start_after.empty());
    CHECK(p->max_keys == 7);
  }
  SECTION("v2") {
    const auto p = parse_list_params({{"list-type", "2"},
                                      {"start-after", ""},
                                      {"marker", "m"},
                                      {"fetch-owner", "true"},
                                      {"encoding-type", "url"},
                                      {"delimiter", "/"}});
    REQUIRE(p.has_value());
    CHECK(p->v2);
    CHECK(p->has_start_after);
    CHECK_FALSE(p->has_continuation_token);
    CHECK(p->marker.empty());
    CHECK(p->fetch_owner);
    CHECK(p->encoding_type == "url");
    CHECK(p->delimiter == "/");
    CHECK(p->max_keys == 1000);
  }
}

TEST_CASE("list_objects: read_common_list_param reads the parameters every listing shares",
          "[list_objects]") {
  list_common_params p;
  const auto read = [&](std::string_view name, const std::string& value) {
    const auto consumed = read_common_list_param(name, value, p);
    REQUIRE(consumed.has_value());
    return *consumed;
  };
  CHECK(p.max_keys == 1000);
  CHECK(read("prefix", "photos/"));
  CHECK(read("delimiter", "/"));
  CHECK(read("encoding-type", "url"));
  CHECK(read("max-keys", "0"));
  CHECK(p.prefix == "photos/");
  CHECK(p.delimiter == "/");
  CHECK(p.encoding_type == "url");
  CHECK(p.max_keys == 0);
  CHECK(read("max-keys", "2147483647"));
  CHECK(p.max_keys == 2147483647);
  CHECK(read("prefix", ""));  // a later parameter of the same name wins
  CHECK(p.prefix.empty());
  // Not one of the shared parameters: p stays as it is.
  for (const std::string_view name : {"marker", "key-marker", "list-type", "Prefix", "max_keys", ""}) {
    CAPTURE(name);
    CHECK_FALSE(read(name, "x"));
  }
  CHECK(p.delimiter == "/");
}

TEST_CASE("list_objects: every listing refuses a bad max-keys or encoding-type with the same error",
          "[list_objects]") {
  struct row {
    std::string name;
    std::string value;
    std::string_view message;
  };
  const auto r = GENERATE(values<row>({
      {"max-keys", "", "Provided max-keys not an integer or within integer range"},
      {"max-keys", "x", "Provided max-keys not an integer or within integer range"},
      {"max-keys", "+1", "Provided max-keys not an integer or within integer range"},
      {"max-keys", "2147483648", "Provided max-keys not an integer or within integer range"},
      {"max-keys", "-1", "Argument maxKeys must be an integer between 0 and 2147483647"},
      {"encoding-type", "", "Invalid Encoding Method specified in Request"},
      {"encoding-type", "URL", "Invalid Encoding Method specified in Request"},
  }));
  CAPTURE(r.name, r.value);
  const auto check = [&](const error_detail& e) {
    CHECK(e.code == error::invalid_argument);
    CHECK(e.message == r.message);
    CHECK(e.fields == std::vector<std::pair<std::string, std::string>>{{"ArgumentName", r.name},
                                                                       {"ArgumentValue", r.value}});
  };
  list_common_params p;
  const auto common = read_common_list_param(r.name, r.value, p);
  REQUIRE_FALSE(common.has_value());
  check(common.error());
  const auto v1 = parse_list_params({{"prefix", "a"}, {r.name, r.value}});
  REQUIRE_FALSE(v1.has_value());
  check(v1.error());
  const auto v2 = parse_list_params({{r.name, r.value}, {"list-type", "2"}});
  REQUIRE_FALSE(v2.has_value());
  check(v2.error());
  const auto versions = parse_list_versions_params({{"key-marker", "k"}, {r.name, r.value}});
  REQUIRE_FALSE(versions.has_value());
  check(versions.error());
}

TEST_CASE("list_objects: the first bad listing parameter in query order decides", "[list_objects]") {
  const auto argument = [](const auto& parsed) {
    REQUIRE_FALSE(parsed.has_value());
    REQUIRE_FALSE(parsed.error().fields.empty());
    return parsed.error().fields[0].second;
  };
  CHECK(argument(parse_list_versions_params({{"max-keys", "x"}, {"encoding-type", "xml"}})) == "max-keys");
  CHECK(argument(parse_list_versions_params({{"encoding-type", "xml"}, {"max-keys", "x"}})) ==
        "encoding-type");
  CHECK(
      argument(parse_list_params({{"list-type", "2"}, {"continuation-token", "bad!"}, {"max-keys", "x"}})) ==
      "continuation-token");
  CHECK(argument(parse_list_params(
            {{"list-type", "2"}, {"max-keys", "x"}, {"continuation-token", "bad!"}})) == "max-keys");
  // The version-id-marker checks come after the whole query is read.
  CHECK(argument(parse_list_versions_params({{"version-id-marker", "v"}, {"max-keys", "x"}})) == "max-keys");
  CHECK(argument(parse_list_versions_params({{"version-id-marker", "v"}})) == "version-id-marker");
}

// ---------------------------------------------------------------------------------------
// Pagination

TEST_CASE("list_objects: v2 pages with a delimiter cover the listing exactly once", "[list_objects]") {
  const std::vector<std::string> objects = {"a",   "a.b", "a/1",   "a/2",   "a/3/x", "b/1",
                                            "b/2", "b0",  "c/d/e", "c/d/f", "c/g",   "d",
                                            "e/1", "e/2", "e/3/4", "f",     "f/1",   "g.txt"};
  fixture fx(objects);
  for (const std::string prefix : {"", "a", "c/", "e/"}) {
    const std::string whole = fx.list({{"list-type", "2"}, {"delimiter", "/"}, {"prefix", prefix}});
    REQUIRE(one(whole, "IsTruncated") == "false");
    for (int max_keys = 1; max_keys <= 4; ++max_keys) {
      std::vector<std::string> keys;
      std::vector<std::string> prefixes;
      std::string token;
      bool first = true;
      int pages = 0;
      while (first || !token.empty()) {
        query_parameters query = {{"list-type", "2"},
                                  {"delimiter", "/"},
                                  {"prefix", prefix},
                                  {"max-keys", std::to_string(max_keys)}};
        if (!first) query.emplace_back("continuation-token", token);
        first = false;
        const std::string xml = fx.list(query);
        INFO(xml);
        const auto page_keys = keys_of(xml);
        const auto page_prefixes = prefixes_of(xml);
        CHECK(page_keys.size() + page_prefixes.size() <= static_cast<std::size_t>(max_keys));
        keys.insert(keys.end(), page_keys.begin(), page_keys.end());
        prefixes.insert(prefixes.end(), page_prefixes.begin(), page_prefixes.end());
        token = has(xml, "NextContinuationToken") ? one(xml, "NextContinuationToken") : "";
        CHECK(token.empty() == (one(xml, "IsTruncated") == "false"));
        REQUIRE(++pages < 50);
      }
      INFO("prefix " << prefix << " max-keys " << max_keys);
      CHECK(keys == keys_of(whole));
      CHECK(prefixes == prefixes_of(whole));
    }
  }
}

TEST_CASE("list_objects: v1 pages through NextMarker or the last key cover the listing", "[list_objects]") {
  std::vector<std::string> objects;
  for (int d = 0; d < 5; ++d) {
    for (int f = 0; f < 4; ++f) objects.push_back("d" + std::to_string(d) + "/f" + std::to_string(f));
    objects.push_back("d" + std::to_string(d) + ".file");
  }
  fixture fx(objects);
  for (const std::string delimiter : {"", "/"}) {
    const std::string whole = fx.list({{"delimiter", delimiter}});
    std::vector<std::string> seen;
    std::string marker;
    for (int pages = 0; pages < 100; ++pages) {
      const std::string xml = fx.list({{"delimiter", delimiter}, {"marker", marker}, {"max-keys", "3"}});
      for (const auto& k : keys_of(xml)) seen.push_back(k);
      for (const auto& p : prefixes_of(xml)) seen.push_back(p);
      if (one(xml, "IsTruncated") == "false") break;
      // Without a delimiter S3 sends no NextMarker: the client continues after the last key.
      marker = delimiter.empty() ? keys_of(xml).back() : one(xml, "NextMarker");
    }
    std::vector<std::string> expected = keys_of(whole);
    for (const auto& p : prefixes_of(whole)) expected.push_back(p);
    std::multiset<std::string> a(seen.begin(), seen.end());
    std::multiset<std::string> b(expected.begin(), expected.end());
    CHECK(a == b);
    CHECK(seen.size() == (delimiter.empty() ? 25U : 10U));
  }
}

TEST_CASE("list_objects: keys under a common prefix are skipped, not fetched page by page",
          "[list_objects]") {
  std::vector<std::string> objects;
  for (int i = 0; i < 500; ++i) objects.push_back("dir/" + std::to_string(1000 + i));
  objects.push_back("file");
  fixture fx(objects);
  const std::string xml = fx.list({{"list-type", "2"}, {"delimiter", "/"}, {"max-keys", "1"}});
  CHECK(prefixes_of(xml) == std::vector<std::string>{"dir/"});
  CHECK(one(xml, "IsTruncated") == "true");
  // One fetch found "dir/"; the next resumed after every key in it, at "dir/\xff".
  REQUIRE(fx.requests.size() == 2);
  CHECK(fx.requests[1].start_after == "dir/\xff");
  const std::string next = fx.list(
      {{"list-type", "2"}, {"delimiter", "/"}, {"continuation-token", one(xml, "NextContinuationToken")}});
  CHECK(keys_of(next) == std::vector<std::string>{"file"});
  CHECK(prefixes_of(next).empty());
  CHECK(fx.requests[2].start_after == "dir/\xff");
}

TEST_CASE("list_objects: truncation is only reported when another entry would follow", "[list_objects]") {
  // The last common prefix holds more keys, but nothing comes after it.
  fixture fx({"a", "z/1", "z/2", "z/3"});
  const std::string xml = fx.list({{"list-type", "2"}, {"delimiter", "/"}, {"max-keys", "2"}});
  CHECK(keys_of(xml) == std::vector<std::string>{"a"});
  CHECK(prefixes_of(xml) == std::vector<std::string>{"z/"});
  CHECK(one(xml, "IsTruncated") == "false");
  CHECK_FALSE(has(xml, "NextContinuationToken"));
}

// ---------------------------------------------------------------------------------------
// start-after, continuation tokens

TEST_CASE("list_objects: start-after and marker", "[list_objects]") {
  const std::vector<std::string> keys = {"bar", "baz", "foo", "quxx"};
  struct row {
    std::string start;
    std::vector<std::string> expected;
  };
  const auto r = GENERATE(values<row>({
      {"", {"bar", "baz", "foo", "quxx"}},
      {"bar", {"baz", "foo", "quxx"}},
      {"blah", {"foo", "quxx"}},  // need not be a key
      {"zzz", {}},
      {"\n", {"bar", "baz", "foo", "quxx"}},
  }));
  fixture fx(keys);
  const std::string v2 = fx.list({{"list-type", "2"}, {"start-after", r.start}});
  CHECK(keys_of(v2) == r.expected);
  CHECK(one(v2, "StartAfter") == r.start);
  CHECK(one(v2, "IsTruncated") == "false");
  const std::string v1 = fx.list({{"marker", r.start}});
  CHECK(keys_of(v1) == r.expected);
  CHECK(one(v1, "Marker") == r.start);
}

TEST_CASE("list_objects: continuation tokens", "[list_objects]") {
  fixture fx({"bar", "baz", "foo", "quxx"});
  SECTION("round trip") {
    for (const std::string& key :
         std::vector<std::string>{"a", "dir/", "caf\xc3\xa9 & co", std::string(1024, 'k')}) {
      const std::string token = s3cors::s3::make_continuation_token(key);
      CHECK(s3cors::s3::decode_continuation_token(token) == key);
    }
    CHECK_FALSE(s3cors::s3::decode_continuation_token("").has_value());
    CHECK_FALSE(s3cors::s3::decode_continuation_token("%%%").has_value());
  }
  SECTION("the token resumes after the last entry and is echoed") {
    const std::string first = fx.list({{"list-type", "2"}, {"max-keys", "1"}});
    const std::string token = one(first, "NextContinuationToken");
    const std::string second = fx.list({{"list-type", "2"}, {"continuation-token", token}});
    CHECK(one(second, "ContinuationToken") == token);
    CHECK(keys_of(second) == std::vector<std::string>{"baz", "foo", "quxx"});
    CHECK(one(second, "IsTruncated") == "false");
  }
  SECTION("an empty token lists from the start and is echoed empty") {
    const std::string xml = fx.list({{"list-type", "2"}, {"continuation-token", ""}});
    CHECK(one(xml, "ContinuationToken").empty());
    CHECK(keys_of(xml).size() == 4);
  }
  SECTION("with start-after, the later of the two wins and both are echoed") {
    const std::string first = fx.list({{"list-type", "2"}, {"start-after", "bar"}, {"max-keys", "1"}});
    CHECK(keys_of(first) == std::vector<std::string>{"baz"});
    const std::string token = one(first, "NextContinuationToken");
    const std::string second =
        fx.list({{"list-type", "2"}, {"start-after", "bar"}, {"continuation-token", token}});
    CHECK(keys_of(second) == std::vector<std::string>{"foo", "quxx"});
    CHECK(one(second, "StartAfter") == "bar");
    CHECK(one(second, "ContinuationToken") == token);
  }
  SECTION("a token in the params that does not decode fails") {
    list_objects_params p;
    p.continuation_token = "!!";
    p.has_continuation_token = true;
    const auto xml = list_objects_xml("media", p, fx.fetch());
    REQUIRE_FALSE(xml.has_value());
    CHECK(xml.error().code == error::invalid_argument);
  }
}

// ---------------------------------------------------------------------------------------
// encoding-type=url, owners, errors

TEST_CASE("list_objects: encoding-type=url percent-encodes names as S3 does", "[list_objects]") {
  fixture fx({"foo+1/bar", "foo/bar/xyzzy", "quux ab/thud", "asdf+b"});
  for (const bool v2 : {false, true}) {
    query_parameters query = {{"delimiter", "/"}, {"encoding-type", "url"}};
    if (v2) query.emplace_back("list-type", "2");
    const std::string xml = fx.list(query);
    INFO(xml);
    CHECK(keys_of(xml) == std::vector<std::string>{"asdf%2Bb"});
    CHECK(prefixes_of(xml) == std::vector<std::string>{"foo%2B1/", "foo/", "quux%20ab/"});
    CHECK(one(xml, "EncodingType") == "url");
    CHECK(one(xml, "Delimiter") == "/");
  }
  SECTION("request names are encoded too") {
    const std::string v2 = fx.list({{"list-type", "2"},
                                    {"encoding-type", "url"},
                                    {"prefix", "quux a"},
                                    {"delimiter", "\n"},
                                    {"start-after", "a&b"}});
    CHECK(one(v2, "Prefix") == "quux%20a");
    CHECK(one(v2, "Delimiter") == "%0A");
    CHECK(one(v2, "StartAfter") == "a%26b");
    CHECK(keys_of(v2) == std::vector<std::string>{"quux%20ab/thud"});
    const std::string v1 =
        fx.list({{"encoding-type", "url"}, {"marker", "a b"}, {"delimiter", "/"}, {"max-keys", "1"}});
    CHECK(one(v1, "Marker") == "a%20b");
    CHECK(one(v1, "NextMarker") == "asdf%2Bb");
  }
  SECTION("without encoding-type names are XML-escaped only") {
    const std::string xml = fx.list({{"list-type", "2"}});
    CHECK_FALSE(has(xml, "EncodingType"));
    CHECK(keys_of(xml) == std::vector<std::string>{"asdf+b", "foo+1/bar", "foo/bar/xyzzy", "quux ab/thud"});
  }
}

TEST_CASE("list_objects: url_encode_key", "[list_objects]") {
  struct row {
    std::string_view in;
    std::string_view out;
  };
  const auto r = GENERATE(values<row>({
      {"", ""},
      {"AZaz09-._~/", "AZaz09-._~/"},
      {" +", "%20%2B"},
      {"%", "%25"},
      {"caf\xc3\xa9", "caf%C3%A9"},
      {"a=b&c?d#e", "a%3Db%26c%3Fd%23e"},
  }));
  CHECK(s3cors::s3::url_encode_key(r.in) == r.out);
}

TEST_CASE("list_objects: Owner is in v1 entries and in v2 only with fetch-owner", "[list_objects]") {
  fixture fx({"k"});
  CHECK(has(fx.list({}), "Owner"));
  CHECK_FALSE(has(fx.list({{"list-type", "2"}}), "Owner"));
  CHECK_FALSE(has(fx.list({{"list-type", "2"}, {"fetch-owner", "false"}}), "Owner"));
  CHECK(fx.list({{"list-type", "2"}, {"fetch-owner", "true"}}).find(owner) != std::string::npos);
}

TEST_CASE("list_objects: store errors are returned, even for max-keys=0", "[list_objects]") {
  fixture fx({"k"});
  for (const std::string max_keys : {"0", "1", "1000"}) {
    const auto p = parse_list_params({{"list-type", "2"}, {"max-keys", max_keys}});
    REQUIRE(p.has_value());
    const auto xml = list_objects_xml("missing", *p, fx.fetch("missing"));
    REQUIRE_FALSE(xml.has_value());
    CHECK(xml.error().code == error::no_such_bucket);
  }
}

TEST_CASE("list_objects: an empty bucket", "[list_objects]") {
  fixture fx({});
  const std::string v2 = fx.list({{"list-type", "2"}});
  CHECK(one(v2, "KeyCount") == "0");
  CHECK(one(v2, "IsTruncated") == "false");
  CHECK_FALSE(has(v2, "Contents"));
  const std::string v1 = fx.list({});
  CHECK(one(v1, "Marker").empty());
  CHECK(one(v1, "Prefix").empty());
}
