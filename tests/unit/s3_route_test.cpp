#include "s3cors/s3/route.hpp"

#include "s3cors/store/names.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

using s3cors::method;
using s3cors::request;
using s3cors::s3::error_detail;
using s3cors::s3::get_object_op;
using s3cors::s3::head_bucket_op;
using s3cors::s3::list_buckets_op;
using s3cors::s3::preflight_op;
using s3cors::s3::routed;
using s3cors::s3::routing_options;

using field_list = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view path_host = "localhost:9000";

request make_request(method verb, std::string target, std::string_view host = path_host) {
  request req;
  req.verb = verb;
  req.method_name = std::string(s3cors::to_string(verb));
  req.target = std::move(target);
  if (!host.empty()) req.headers.add("Host", std::string(host));
  return req;
}

request make_other(std::string method_name, std::string target) {
  request req = make_request(method::other, std::move(target));
  req.method_name = std::move(method_name);
  return req;
}

routed route_ok(const request& req, const routing_options& options = {}) {
  auto r = s3cors::s3::route(req, options);
  INFO(req.method_name << ' ' << req.target << " (Host " << req.headers.find("Host").value_or("") << ')');
  if (!r.has_value()) UNSCOPED_INFO("routed to " << s3cors::s3::info(r.error().code).code);
  REQUIRE(r.has_value());
  return std::move(*r);
}

error_detail route_error(const request& req, const routing_options& options = {}) {
  auto r = s3cors::s3::route(req, options);
  INFO(req.method_name << ' ' << req.target << " (Host " << req.headers.find("Host").value_or("") << ')');
  REQUIRE_FALSE(r.has_value());
  return r.error();
}

std::string_view code_of(const error_detail& detail) {
  return s3cors::s3::info(detail.code).code;
}

get_object_op get_of(const routed& r) {
  REQUIRE(std::holds_alternative<get_object_op>(r.op));
  return std::get<get_object_op>(r.op);
}

}  // namespace

// --- percent_decode -------------------------------------------------------------------------

TEST_CASE("route: percent_decode decodes each escape exactly once", "[s3_route]") {
  struct row {
    std::string_view text;
    bool plus_is_space;
    std::string expected;
  };
  const auto r = GENERATE(values<row>({
      {"", false, ""},
      {"plain", false, "plain"},
      {"a%20b", false, "a b"},
      {"%41%42", false, "AB"},
      {"%7e%7E", false, "~~"},               // both hex cases
      {"%2525", false, "%25"},               // decoded once, not twice
      {"%25", false, "%"},                   //
      {"dir%2Fkey", false, "dir/key"},       // an encoded slash is just a character
      {"%e2%82%ac", false, "\xe2\x82\xac"},  // UTF-8 bytes pass through
      {"%00", false, std::string(1, '\0')},  // NUL is a byte like any other
      {"%FF", false, "\xff"},
      {"a+b", false, "a+b"},  // path: '+' is literal
      {"a+b", true, "a b"},   // query: '+' is a space
      {"%2B", true, "+"},     // an escaped plus stays a plus in queries
      {"%2B", false, "+"},
      {"+", true, " "},
  }));
  CAPTURE(r.text, r.plus_is_space);
  const auto decoded = s3cors::s3::percent_decode(r.text, r.plus_is_space);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == r.expected);
}

TEST_CASE("route: percent_decode rejects malformed escapes", "[s3_route]") {
  const std::string_view text = GENERATE(as<std::string_view>{}, "%", "%4", "abc%", "abc%2", "%G0", "%0G",
                                         "%%41", "% 20", "%-1", "a%2", "%+1");
  const bool plus_is_space = GENERATE(false, true);
  CAPTURE(text, plus_is_space);
  CHECK_FALSE(s3cors::s3::percent_decode(text, plus_is_space).has_value());
}

// --- is_valid_bucket_name -------------------------------------------------------------------

TEST_CASE("route: bucket names S3 accepts are valid", "[s3_route]") {
  const std::string name =
      GENERATE(as<std::string>{}, "abc", "media", "a-b", "a--b", "a.b.c", "my-bucket.v2", "123",
               "1.2.3",      // digits and dots, but not four parts
               "1.2.3.4.5",  // five parts is not an IP address
               "192.168.5.4a", "a1.b2-c3", std::string(63, 'a'));
  CAPTURE(name);
  CHECK(s3cors::store::is_valid_bucket_name(name));
}

TEST_CASE("route: bucket names S3 refuses are invalid", "[s3_route]") {
  const std::string name = GENERATE(as<std::string>{}, "", "a", "ab",  // shorter than 3
                                    std::string(64, 'a'),              // longer than 63
                                    "Abc", "aBc", "abC", "MEDIA",      // uppercase
                                    "-ab", "ab-", ".ab", "ab.",        // must start and end alphanumeric
                                    "a..b", "a.-b", "a-.b",            // dots next to dots or hyphens
                                    "192.168.5.4", "0.0.0.0",          // IP address form
                                    "a_b", "a b", "a/b", "a%b", "ab\xc3\xa9");
  CAPTURE(name);
  CHECK_FALSE(s3cors::store::is_valid_bucket_name(name));
}

// --- path style -----------------------------------------------------------------------------

TEST_CASE("route: GET / is ListBuckets", "[s3_route]") {
  SECTION("GET") {
    CHECK(std::holds_alternative<list_buckets_op>(route_ok(make_request(method::get, "/")).op));
  }
  SECTION("HEAD") {
    CHECK(std::holds_alternative<list_buckets_op>(route_ok(make_request(method::head, "/")).op));
  }
  SECTION("without a Host header") {
    CHECK(std::holds_alternative<list_buckets_op>(route_ok(make_request(method::get, "/", "")).op));
  }
}

TEST_CASE("route: HEAD /bucket is HeadBucket", "[s3_route]") {
  const std::string target = GENERATE(as<std::string>{}, "/media", "/media/", "/media?x-id=HeadBucket");
  CAPTURE(target);
  const routed r = route_ok(make_request(method::head, target));
  REQUIRE(std::holds_alternative<head_bucket_op>(r.op));
  CHECK(std::get<head_bucket_op>(r.op).bucket == "media");
}

TEST_CASE("route: GET and HEAD /bucket/key are GetObject", "[s3_route]") {
  struct row {
    std::string_view target;
    std::string_view key;
  };
  const auto r = GENERATE(values<row>({
      {"/media/a.ts", "a.ts"},
      {"/media/video/720p/seg-001.ts", "video/720p/seg-001.ts"},
      {"/media/dir/", "dir/"},  // a trailing slash is part of the key
      {"/media/a//b", "a//b"},
  }));
  const bool head = GENERATE(false, true);
  CAPTURE(r.target, head);
  const get_object_op op =
      get_of(route_ok(make_request(head ? method::head : method::get, std::string(r.target))));
  CHECK(op.bucket == "media");
  CHECK(op.key == r.key);
  CHECK(op.is_head == head);
  CHECK(op.overrides.headers.empty());
}

TEST_CASE("route: keys are percent-decoded once and '+' in a path is literal", "[s3_route]") {
  struct row {
    std::string_view target;
    std::string_view key;
  };
  const auto r = GENERATE(values<row>({
      {"/media/a%20b.ts", "a b.ts"},
      {"/media/%2525", "%25"},
      {"/media/100%25.txt", "100%.txt"},
      {"/media/a+b.ts", "a+b.ts"},
      {"/media/a%2Bb.ts", "a+b.ts"},
      {"/media/dir%2Fkey", "dir/key"},
      {"/media/caf%C3%A9", "caf\xc3\xa9"},
      {"/media/%3Fq%3D1", "?q=1"},  // an encoded '?' is part of the key, not a query
  }));
  CAPTURE(r.target);
  CHECK(get_of(route_ok(make_request(method::get, std::string(r.target)))).key == r.key);
}

TEST_CASE("route: the bucket segment is percent-decoded too", "[s3_route]") {
  const routed r = route_ok(make_request(method::get, "/med%69a/key"));
  CHECK(get_of(r).bucket == "media");
}

TEST_CASE("route: query parameters are decoded in order with '+' as a space", "[s3_route]") {
  const routed r = route_ok(
      make_request(method::get, "/media/a+b?x-id=GetObject&flag&&q=a+b%2Bc&eq=x%3Dy=z&=anon&%41=%42"));
  CHECK(get_of(r).key == "a+b");
  CHECK(r.query == field_list{{"x-id", "GetObject"},
                              {"flag", ""},  // a name without '=' has an empty value
                              {"q", "a b+c"},
                              {"eq", "x=y=z"},  // only the first '=' separates
                              {"", "anon"},
                              {"A", "B"}});
}

TEST_CASE("route: an empty query string yields no parameters", "[s3_route]") {
  const std::string target = GENERATE(as<std::string>{}, "/media/key", "/media/key?", "/media/key?&&");
  CAPTURE(target);
  CHECK(route_ok(make_request(method::get, target)).query.empty());
}

// --- virtual-hosted style -------------------------------------------------------------------

TEST_CASE("route: Host bucket.localhost addresses the bucket virtual-hosted style", "[s3_route]") {
  struct row {
    std::string_view host;
    std::string_view target;
    std::string_view bucket;
    std::string_view key;
  };
  const auto r = GENERATE(values<row>({
      {"media.localhost:9000", "/video/seg.ts", "media", "video/seg.ts"},
      {"media.localhost", "/a.ts", "media", "a.ts"},
      {"Media.LocalHost:9000", "/a.ts", "media", "a.ts"},  // host names are case-insensitive
      {"my.bucket.localhost:9000", "/a%20b", "my.bucket", "a b"},
      {"media.localhost:9000", "/other/key", "media", "other/key"},  // the path is all key
      {"media.localhost:9000", "/%2525", "media", "%25"},
  }));
  CAPTURE(r.host, r.target);
  const get_object_op op = get_of(route_ok(make_request(method::get, std::string(r.target), r.host)));
  CHECK(op.bucket == r.bucket);
  CHECK(op.key == r.key);
}

TEST_CASE("route: Host bucket.s3.<domain> addresses the bucket when a domain is configured", "[s3_route]") {
  const routing_options options{"example.test"};
  SECTION("object") {
    const std::string host = GENERATE(as<std::string>{}, "media.s3.example.test",
                                      "media.s3.example.test:9000", "MEDIA.S3.EXAMPLE.TEST");
    CAPTURE(host);
    const get_object_op op = get_of(route_ok(make_request(method::get, "/video/seg.ts", host), options));
    CHECK(op.bucket == "media");
    CHECK(op.key == "video/seg.ts");
  }
  SECTION("HEAD / is HeadBucket") {
    const routed r = route_ok(make_request(method::head, "/", "media.s3.example.test"), options);
    REQUIRE(std::holds_alternative<head_bucket_op>(r.op));
    CHECK(std::get<head_bucket_op>(r.op).bucket == "media");
  }
  SECTION("bucket.localhost still works") {
    CHECK(get_of(route_ok(make_request(method::get, "/a.ts", "media.localhost:9000"), options)).bucket ==
          "media");
  }
  SECTION("the bare service host is path style") {
    const get_object_op op =
        get_of(route_ok(make_request(method::get, "/media/a.ts", "s3.example.test"), options));
    CHECK(op.bucket == "media");
    CHECK(op.key == "a.ts");
  }
}

TEST_CASE("route: hosts that do not name a bucket are path style", "[s3_route]") {
  const std::string host =
      GENERATE(as<std::string>{}, "localhost:9000", "localhost", "127.0.0.1:9000", "[::1]:9000",
               "media.s3.example.test",  // no domain configured
               "media.example.test", "", "xlocalhost:9000");
  CAPTURE(host);
  const get_object_op op = get_of(route_ok(make_request(method::get, "/media/a.ts", host)));
  CHECK(op.bucket == "media");
  CHECK(op.key == "a.ts");
}

TEST_CASE("route: virtual-hosted GET / is ListObjects", "[s3_route]") {
  const auto r = route_ok(make_request(method::get, "/", "media.localhost:9000"));
  CHECK(std::get<s3cors::s3::list_objects_op>(r.op).bucket == "media");
}

TEST_CASE("route: an invalid bucket in the Host is InvalidBucketName", "[s3_route]") {
  const error_detail e = route_error(make_request(method::get, "/a.ts", "bad_bucket.localhost:9000"));
  CHECK(code_of(e) == "InvalidBucketName");
  CHECK(e.fields == field_list{{"BucketName", "bad_bucket"}});
}

// --- errors ---------------------------------------------------------------------------------

TEST_CASE("route: malformed percent escapes are InvalidURI", "[s3_route]") {
  const std::string target =
      GENERATE(as<std::string>{}, "/media/a%", "/media/a%2", "/media/a%zz", "/med%ia/key", "/media/key?x=%",
               "/media/key?x=%4g", "/media/key?%G1=1", "/?prefix=%", "/media?list-type=2&x=%");
  const bool head = GENERATE(false, true);
  CAPTURE(target, head);
  CHECK(code_of(route_error(make_request(head ? method::head : method::get, target))) == "InvalidURI");
}

TEST_CASE("route: a fragment in the request target is InvalidURI, never obeyed", "[s3_route]") {
  const std::string target = GENERATE(as<std::string>{}, "/media/a.ts#&response-content-type=text/html",
                                      "/media/a.ts?X-Amz-Signature=ab#&acl", "/media#", "/#x");
  CAPTURE(target);
  CHECK(code_of(route_error(make_request(method::get, target))) == "InvalidURI");
  CHECK(code_of(route_error(make_request(method::put, target))) == "InvalidURI");
}

TEST_CASE("route: a target that is not origin-form is InvalidURI", "[s3_route]") {
  const std::string target =
      GENERATE(as<std::string>{}, "", "*", "media/key", "http://localhost:9000/media/key");
  CAPTURE(target);
  CHECK(code_of(route_error(make_request(method::get, target))) == "InvalidURI");
}

TEST_CASE("route: an invalid path-style bucket name is InvalidBucketName naming the bucket", "[s3_route]") {
  struct row {
    std::string_view target;
    std::string_view bucket;
  };
  const auto r = GENERATE(values<row>({
      {"/Media/key", "Media"},
      {"/ab/key", "ab"},
      {"/a_b", "a_b"},
      {"/192.168.5.4/key", "192.168.5.4"},
      {"/a..b/key", "a..b"},
      {"/a%20b/key", "a b"},
  }));
  const bool head = GENERATE(false, true);
  CAPTURE(r.target, head);
  const error_detail e = route_error(make_request(head ? method::head : method::get, std::string(r.target)));
  CHECK(code_of(e) == "InvalidBucketName");
  CHECK(e.fields == field_list{{"BucketName", std::string(r.bucket)}});
}

TEST_CASE("route: object subresources are NotImplemented", "[s3_route]") {
  const std::string query =
      GENERATE(as<std::string>{}, "legal-hold", "restore", "retention", "select&select-type=2", "torrent",
               "versionId=3HL4kqtJlcpXroDTDmjVBH40Nrjfkd");
  const bool head = GENERATE(false, true);
  CAPTURE(query, head);
  const error_detail e = route_error(make_request(head ? method::head : method::get, "/media/a.ts?" + query));
  CHECK(code_of(e) == "NotImplemented");
  REQUIRE(e.fields.size() == 1);
  CHECK(e.fields[0].first == "Detail");
}

TEST_CASE("route: ?partNumber reads a part, ?attributes is GetObjectAttributes", "[s3_route]") {
  using s3cors::s3::get_object_op;
  const auto get =
      std::get<get_object_op>(route_ok(make_request(method::get, "/media/a.ts?partNumber=2")).op);
  CHECK((get.key == "a.ts" && get.part_number == "2" && !get.is_head));
  const auto head =
      std::get<get_object_op>(route_ok(make_request(method::head, "/media/a.ts?partNumber=1")).op);
  CHECK((head.part_number == "1" && head.is_head));
  CHECK_FALSE(std::get<get_object_op>(route_ok(make_request(method::get, "/media/a.ts")).op).part_number);
  const auto attributes = std::get<s3cors::s3::get_object_attributes_op>(
      route_ok(make_request(method::get, "/media/a.ts?attributes")).op);
  CHECK((attributes.bucket == "media" && attributes.key == "a.ts"));
  // HEAD has no GetObjectAttributes.
  CHECK(code_of(route_error(make_request(method::head, "/media/a.ts?attributes"))) == "NotImplemented");
}

TEST_CASE("route: ?torrent on an object is NotImplemented, naming what", "[s3_route]") {
  const error_detail e = route_error(make_request(method::get, "/media/a.ts?torrent"));
  CHECK(code_of(e) == "NotImplemented");
  CHECK(e.fields == field_list{{"Detail", "s3cors does not implement ?torrent yet"}});
}

TEST_CASE("route: ?tagging reads, writes and removes bucket and object tags", "[s3_route]") {
  using s3cors::s3::tagging_op;
  struct row {
    method verb;
    std::string_view target;
    tagging_op::kind what;
    std::string_view key;
  };
  const auto r = GENERATE(values<row>({
      {method::get, "/media/a.ts?tagging", tagging_op::kind::get, "a.ts"},
      {method::get, "/media/a.ts?x-id=GetObjectTagging&tagging", tagging_op::kind::get, "a.ts"},
      {method::head, "/media?tagging", tagging_op::kind::get, ""},
      {method::put, "/media/a.ts?tagging", tagging_op::kind::put, "a.ts"},
      {method::put, "/media?tagging", tagging_op::kind::put, ""},
      {method::delete_, "/media/a.ts?tagging", tagging_op::kind::remove, "a.ts"},
      {method::delete_, "/media?tagging", tagging_op::kind::remove, ""},
  }));
  CAPTURE(r.target);
  const auto op = std::get<tagging_op>(route_ok(make_request(r.verb, std::string(r.target))).op);
  CHECK(op.what == r.what);
  CHECK(op.bucket == "media");
  CHECK(op.key == r.key);
}

TEST_CASE("route: ?versions lists object versions and ?versioning reads the versioning state", "[s3_route]") {
  using namespace s3cors::s3;
  CHECK(std::get<list_object_versions_op>(route_ok(make_request(method::get, "/media?versions&prefix=a")).op)
            .bucket == "media");
  CHECK(std::get<get_bucket_versioning_op>(route_ok(make_request(method::get, "/media?versioning")).op)
            .bucket == "media");
  CHECK(code_of(route_error(make_request(method::put, "/media?versioning"))) == "NotImplemented");
}

TEST_CASE("route: ?acl reads and writes bucket and object ACLs", "[s3_route]") {
  using s3cors::s3::acl_op;
  const auto bucket_get = std::get<acl_op>(route_ok(make_request(method::get, "/media?acl")).op);
  CHECK((bucket_get.bucket == "media" && bucket_get.key.empty() && !bucket_get.put));
  const auto object_put = std::get<acl_op>(route_ok(make_request(method::put, "/media/a.ts?acl")).op);
  CHECK((object_put.bucket == "media" && object_put.key == "a.ts" && object_put.put));
  CHECK(std::holds_alternative<acl_op>(route_ok(make_request(method::head, "/media?acl")).op));
  CHECK(code_of(route_error(make_request(method::delete_, "/media/a.ts?acl"))) == "NotImplemented");
}

TEST_CASE("route: GET on a bucket lists its objects", "[s3_route]") {
  const std::string target =
      GENERATE(as<std::string>{}, "/media", "/media/", "/media?list-type=2", "/media?prefix=a/&delimiter=/");
  CAPTURE(target);
  CHECK(std::get<s3cors::s3::list_objects_op>(route_ok(make_request(method::get, target)).op).bucket ==
        "media");
}

TEST_CASE("route: bucket subresources are NotImplemented", "[s3_route]") {
  const std::string target = GENERATE(as<std::string>{}, "/media?analytics", "/media?website",
                                      "/media?lifecycle", "/media?replication");
  CAPTURE(target);
  CHECK(code_of(route_error(make_request(method::get, target))) == "NotImplemented");
}

// S3 operations newer than the lists once were: routed as plain object or bucket requests they
// overwrote objects (PUT ?encryption, ?renameObject), deleted buckets (DELETE ?metadataTable) or
// listed with a wrong 200.
TEST_CASE("route: newer S3 subresources are NotImplemented, whatever the method", "[s3_route]") {
  struct row {
    method verb;
    std::string_view target;
  };
  const auto r = GENERATE(values<row>({
      {method::put, "/media/a.ts?encryption"},
      {method::put, "/media/a.ts?renameObject"},
      {method::delete_, "/media?metadataConfiguration"},
      {method::delete_, "/media?metadataTable"},
      {method::put, "/media?abac"},
      {method::put, "/media?metadataInventoryTable"},
      {method::put, "/media?metadataJournalTable"},
      {method::get, "/media?session"},
      {method::get, "/media?abac"},
      {method::get, "/media?metadataConfiguration"},
      {method::get, "/media?metadataTable"},
  }));
  CAPTURE(r.target);
  CHECK(code_of(route_error(make_request(r.verb, std::string(r.target)))) == "NotImplemented");
}

TEST_CASE("route: HEAD on a bucket with a subresource is NotImplemented", "[s3_route]") {
  CHECK(code_of(route_error(make_request(method::head, "/media?lifecycle"))) == "NotImplemented");
}

TEST_CASE("route: versionId=null addresses the only version", "[s3_route]") {
  CHECK(get_of(route_ok(make_request(method::get, "/media/a.ts?versionId=null"))).key == "a.ts");
}

TEST_CASE("route: POST on buckets and objects is NotImplemented", "[s3_route]") {
  const std::string target = GENERATE(as<std::string>{}, "/media", "/media/a.ts");
  CAPTURE(target);
  const error_detail e = route_error(make_request(method::post, target));
  CHECK(code_of(e) == "NotImplemented");
  CHECK(e.fields == field_list{{"Detail", "s3cors does not implement POST requests yet"}});
}

TEST_CASE("route: PUT and DELETE name bucket and object writes", "[s3_route]") {
  using namespace s3cors::s3;
  CHECK(std::get<create_bucket_op>(route_ok(make_request(method::put, "/media")).op).bucket == "media");
  CHECK(std::get<delete_bucket_op>(route_ok(make_request(method::delete_, "/media")).op).bucket == "media");
  CHECK(std::get<put_object_op>(route_ok(make_request(method::put, "/media/a%20b.ts")).op).key == "a b.ts");
  CHECK(std::get<delete_object_op>(route_ok(make_request(method::delete_, "/media/a.ts")).op).key == "a.ts");
  CHECK(std::get<get_bucket_location_op>(route_ok(make_request(method::get, "/media?location")).op).bucket ==
        "media");
  CHECK(code_of(route_error(make_request(method::put, "/media/a.ts?uploads"))) == "NotImplemented");
  CHECK(code_of(route_error(make_request(method::delete_, "/media/a.ts?retention"))) == "NotImplemented");
}

TEST_CASE("route: PUT, POST and DELETE on the service are MethodNotAllowed", "[s3_route]") {
  const method verb = GENERATE(method::put, method::post, method::delete_);
  CAPTURE(s3cors::to_string(verb));
  const error_detail e = route_error(make_request(verb, "/"));
  CHECK(code_of(e) == "MethodNotAllowed");
  CHECK(e.fields ==
        field_list{{"Method", std::string(s3cors::to_string(verb))}, {"ResourceType", "SERVICE"}});
}

TEST_CASE("route: PATCH and unknown methods are MethodNotAllowed", "[s3_route]") {
  struct row {
    std::string_view method_name;
    std::string_view target;
    std::string_view resource_type;
  };
  const auto r = GENERATE(values<row>({
      {"PATCH", "/media/a.ts", "OBJECT"},
      {"PATCH", "/media", "BUCKET"},
      {"PROPFIND", "/media/dir/", "OBJECT"},
      {"TRACE", "/media/", "BUCKET"},
  }));
  CAPTURE(r.method_name, r.target);
  const error_detail e = route_error(make_other(std::string(r.method_name), std::string(r.target)));
  CHECK(code_of(e) == "MethodNotAllowed");
  CHECK(e.fields ==
        field_list{{"Method", std::string(r.method_name)}, {"ResourceType", std::string(r.resource_type)}});
}

// --- OPTIONS --------------------------------------------------------------------------------

TEST_CASE("route: OPTIONS is a preflight for any bucket name, key or query", "[s3_route]") {
  struct row {
    std::string_view target;
    std::string_view host;
    std::string_view bucket;
    std::string_view key;
  };
  const auto r = GENERATE(values<row>({
      {"/media/a.ts", path_host, "media", "a.ts"},
      {"/media", path_host, "media", ""},
      {"/media/a%20b?x-id=GetObject", path_host, "media", "a b"},
      {"/media/a.ts?acl", path_host, "media", "a.ts"},  // subresources do not matter
      {"/media?cors", path_host, "media", ""},
      {"/", path_host, "", ""},                             // the service root
      {"/Bad_Bucket/key", path_host, "Bad_Bucket", "key"},  // not validated: the preflight decides
      {"/ab", path_host, "ab", ""},
      {"/a.ts", "media.localhost:9000", "media", "a.ts"},
      {"/a.ts", "bad_bucket.localhost:9000", "bad_bucket", "a.ts"},
  }));
  CAPTURE(r.target, r.host);
  const routed out = route_ok(make_request(method::options, std::string(r.target), r.host));
  REQUIRE(std::holds_alternative<preflight_op>(out.op));
  const auto& op = std::get<preflight_op>(out.op);
  CHECK(op.bucket == r.bucket);
  CHECK(op.key == r.key);
}

TEST_CASE("route: OPTIONS with a malformed escape is still InvalidURI", "[s3_route]") {
  CHECK(code_of(route_error(make_request(method::options, "/media/a%zz"))) == "InvalidURI");
}

// --- response-* overrides -------------------------------------------------------------------

TEST_CASE("route: response-* query parameters become header overrides in request order", "[s3_route]") {
  const routed r =
      route_ok(make_request(method::get,
                            "/media/a.ts?response-expires=Thu%2C%2001%20Dec%201994%2016%3A00%3A00%20GMT"
                            "&response-content-type=text/plain+charset"
                            "&response-cache-control=no-cache"
                            "&response-content-disposition=attachment%3B%20filename%3D%22a.ts%22"
                            "&response-content-encoding=gzip"
                            "&response-content-language=en-US"
                            "&response-bogus=1&x-id=GetObject"));
  const get_object_op op = get_of(r);
  CHECK(op.overrides.headers == field_list{{"Expires", "Thu, 01 Dec 1994 16:00:00 GMT"},
                                           {"Content-Type", "text/plain charset"},
                                           {"Cache-Control", "no-cache"},
                                           {"Content-Disposition", "attachment; filename=\"a.ts\""},
                                           {"Content-Encoding", "gzip"},
                                           {"Content-Language", "en-US"}});
}

TEST_CASE("route: response-* overrides apply to HEAD too", "[s3_route]") {
  const get_object_op op =
      get_of(route_ok(make_request(method::head, "/media/a.ts?response-content-type=x%2Fy")));
  CHECK(op.is_head);
  CHECK(op.overrides.headers == field_list{{"Content-Type", "x/y"}});
}

TEST_CASE("route: response-* parameter names are case-sensitive", "[s3_route]") {
  const get_object_op op =
      get_of(route_ok(make_request(method::get, "/media/a.ts?Response-Content-Type=x%2Fy")));
  CHECK(op.overrides.headers.empty());
}

TEST_CASE("route: ?cors on a bucket is Get/Put/DeleteBucketCors", "[s3_route]") {
  using s3cors::s3::delete_bucket_cors_op;
  using s3cors::s3::get_bucket_cors_op;
  using s3cors::s3::put_bucket_cors_op;
  auto op_of = [](method m) {
    s3cors::request req;
    req.verb = m;
    req.method_name = std::string(s3cors::to_string(m));
    req.target = "/media?cors";
    req.headers.add("Host", "localhost:9000");
    auto r = s3cors::s3::route(req, {});
    REQUIRE(r.has_value());
    return r->op;
  };
  CHECK(std::get<get_bucket_cors_op>(op_of(method::get)).bucket == "media");
  CHECK(std::get<put_bucket_cors_op>(op_of(method::put)).bucket == "media");
  CHECK(std::get<delete_bucket_cors_op>(op_of(method::delete_)).bucket == "media");
}

TEST_CASE("route: multipart uploads", "[s3_route]") {
  using s3cors::s3::multipart_op;
  using kind = multipart_op::kind;
  struct row {
    method verb;
    std::string target;
    kind what;
  };
  const auto r = GENERATE(values<row>({
      {method::post, "/media/a.ts?uploads", kind::create},
      {method::put, "/media/a.ts?partNumber=2&uploadId=u1", kind::upload_part},
      {method::post, "/media/a.ts?uploadId=u1", kind::complete},
      {method::delete_, "/media/a.ts?uploadId=u1", kind::abort},
      {method::get, "/media/a.ts?uploadId=u1", kind::list_parts},
      {method::get, "/media?uploads", kind::list_uploads},
  }));
  CAPTURE(r.target);
  const auto op = std::get<multipart_op>(route_ok(make_request(r.verb, r.target)).op);
  CHECK(op.what == r.what);
  CHECK(op.bucket == "media");
  if (r.what == kind::upload_part) CHECK(op.part_number == "2");
}
