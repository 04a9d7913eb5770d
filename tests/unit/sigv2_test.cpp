#include "s3cors/auth/sigv2.hpp"

#include "s3cors/http/date.hpp"
#include "s3cors/s3/route.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using s3cors::request;
using s3cors::auth::auth_type;
using s3cors::auth::credential;
using s3cors::auth::credential_set;
using s3cors::auth::signature_version;
using s3cors::auth::verified_identity;
using s3cors::s3::error;
using s3cors::s3::error_detail;
using namespace std::chrono;

using header_fields = std::vector<std::pair<std::string, std::string>>;

// The key of the examples in the S3 developer guide ("Signing and authenticating REST requests").
const std::string key_id = "AKIAIOSFODNN7EXAMPLE";
const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const credential example_key{key_id, secret};
const credential_set keys{{example_key}};

request make_request(std::string method, std::string target, const header_fields& headers) {
  request req;
  req.verb = s3cors::method_from_string(method);
  req.method_name = std::move(method);
  req.target = std::move(target);
  for (const auto& [name, value] : headers) req.headers.add(name, value);
  return req;
}

sys_seconds date(std::string_view text) {
  const auto parsed = s3cors::auth::parse_sigv2_date(text);
  REQUIRE(parsed);
  return *parsed;
}

std::string field(const error_detail& detail, std::string_view name) {
  for (const auto& [n, v] : detail.fields) {
    if (n == name) return v;
  }
  return "<absent>";
}

std::vector<std::string> field_names(const error_detail& detail) {
  std::vector<std::string> names;
  for (const auto& [n, v] : detail.fields) names.push_back(n);
  return names;
}

error_detail header_error(const request& req, sys_seconds now, std::string_view bucket = {}) {
  auto verified =
      s3cors::auth::verify_sigv2_header(req, *req.headers.find("Authorization"), keys, now, bucket);
  REQUIRE_FALSE(verified.has_value());
  return verified.error();
}

error_detail query_error(const request& req, sys_seconds now, std::string_view bucket = {}) {
  auto verified = s3cors::auth::verify_sigv2_query(req, keys, now, bucket);
  REQUIRE_FALSE(verified.has_value());
  return verified.error();
}

std::string spaced_hex(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    if (!out.empty()) out += ' ';
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

}  // namespace

// ---- AWS's worked examples ---------------------------------------------------------------------

TEST_CASE("sigv2: the developer guide's header examples give its StringToSign and signature", "[sigv2]") {
  struct example {
    std::string_view name;
    request req;
    std::string bucket;  // named by the Host (virtual-hosted style)
    std::string date;    // the Date line
    std::string string_to_sign;
    std::string signature;
  };
  const std::vector<example> examples = {
      {"Object GET",
       make_request("GET", "/photos/puppy.jpg",
                    {{"Host", "awsexamplebucket1.us-west-1.s3.amazonaws.com"},
                     {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}}),
       "awsexamplebucket1", "Tue, 27 Mar 2007 19:36:42 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg",
       "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="},
      {"Object PUT",
       make_request("PUT", "/photos/puppy.jpg",
                    {{"Content-Type", "image/jpeg"},
                     {"Content-Length", "94328"},
                     {"Host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"},
                     {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"}}),
       "awsexamplebucket1", "Tue, 27 Mar 2007 21:15:45 +0000",
       "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg",
       "iqRzw+ileNPu1fhspnRs8nOjjIA="},
      {"List (no query parameter is a sub-resource)",
       make_request("GET", "/?prefix=photos&max-keys=50&marker=puppy",
                    {{"User-Agent", "Mozilla/5.0"},
                     {"Host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"},
                     {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"}}),
       "awsexamplebucket1", "Tue, 27 Mar 2007 19:42:41 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/", "m0WP8eCtspQl5Ahe6L1SozdX9YA="},
      {"Fetch (?acl)",
       make_request("GET", "/?acl",
                    {{"Host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"},
                     {"Date", "Tue, 27 Mar 2007 19:44:46 +0000"}}),
       "awsexamplebucket1", "Tue, 27 Mar 2007 19:44:46 +0000",
       "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl", "82ZHiFIjc+WbcwFKGUVEQspPn+0="},
      {"Upload (CNAME bucket, metadata, repeated x-amz-meta-*)",
       make_request("PUT", "/db-backup.dat.gz",
                    {{"User-Agent", "curl/7.15.5"},
                     {"Host", "static.johnsmith.net:8080"},
                     {"Date", "Tue, 27 Mar 2007 21:06:08 +0000"},
                     {"x-amz-acl", "public-read"},
                     {"content-type", "application/x-download"},
                     {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="},
                     {"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"},
                     {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
                     {"X-Amz-Meta-FileChecksum", "0x02661779"},
                     {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
                     {"Content-Disposition", "attachment; filename=database.dat"},
                     {"Content-Encoding", "gzip"},
                     {"Content-Length", "5913339"}}),
       "static.johnsmith.net", "Tue, 27 Mar 2007 21:06:08 +0000",
       "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n"
       "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n"
       "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
       "ilyl83RwaSoYIEdixDQcA4OnAnc="},
      {"List all my buckets",
       make_request("GET", "/",
                    {{"Host", "s3.us-west-1.amazonaws.com"}, {"Date", "Wed, 28 Mar 2007 01:29:59 +0000"}}),
       "", "Wed, 28 Mar 2007 01:29:59 +0000", "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
       "qGdzdERIC03wnaRNKh6OqZehG9s="},
      {"Unicode keys (the path as sent, escapes and their case kept)",
       make_request("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
                    {{"Host", "s3.us-west-1.amazonaws.com"}, {"Date", "Wed, 28 Mar 2007 01:49:49 +0000"}}),
       "", "Wed, 28 Mar 2007 01:49:49 +0000",
       "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
       "DNEZGsoieTZ92F3bUfSPQcbGmlM="},
      // The guide's Delete example puts x-amz-date's value on the Date line, contradicting its own
      // rule (and boto's signer) that the Date line is empty when x-amz-date is present and the
      // header is signed with the other x-amz-* headers: the rule is what S3 checks.
      {"Delete (x-amz-date instead of Date)",
       make_request("DELETE", "/awsexamplebucket1/photos/puppy.jpg",
                    {{"User-Agent", "dotnet"},
                     {"Host", "s3.us-west-1.amazonaws.com"},
                     {"Date", "Tue, 27 Mar 2007 21:20:27 +0000"},
                     {"x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"}}),
       "", "",
       "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg",
       "Ri1hpB1zpS9pGqR7y8kuNFCl4sE="},
  };
  for (const auto& e : examples) {
    INFO(e.name);
    CHECK(s3cors::auth::sigv2_string_to_sign(e.req, e.date, e.bucket, false) == e.string_to_sign);
    CHECK(s3cors::auth::sigv2_signature(secret, e.string_to_sign) == e.signature);
    // And verification accepts it, at the request's own time.
    request signed_req = e.req;
    signed_req.headers.add("Authorization", "AWS " + key_id + ":" + e.signature);
    const auto request_time =
        date(signed_req.headers.find("x-amz-date").value_or(*signed_req.headers.find("Date")));
    auto verified = s3cors::auth::verify_sigv2_header(signed_req, *signed_req.headers.find("Authorization"),
                                                      keys, request_time, e.bucket);
    REQUIRE(verified.has_value());
    CHECK(verified->access_key_id == key_id);
    CHECK(verified->version == signature_version::v2);
    CHECK(verified->type == auth_type::header);
    CHECK_FALSE(verified->presigned);
  }
}

TEST_CASE("sigv2: the developer guide's query-string example verifies until it expires", "[sigv2]") {
  const request req = make_request("GET",
                                   "/photos/"
                                   "puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%"
                                   "2BWFzoENXmpNDUsSn8%3D&Expires=1175139620",
                                   {{"Host", "johnsmith.s3.amazonaws.com"}});
  CHECK(s3cors::auth::sigv2_string_to_sign(req, "1175139620", "johnsmith", true) ==
        "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg");
  const sys_seconds expires{seconds{1175139620}};
  for (const sys_seconds now : {expires - hours{24 * 365}, expires - seconds{1}, expires}) {
    auto verified = s3cors::auth::verify_sigv2_query(req, keys, now, "johnsmith");
    REQUIRE(verified.has_value());
    CHECK(verified->access_key_id == key_id);
    CHECK(verified->presigned);
    CHECK(verified->type == auth_type::query);
    CHECK(verified->version == signature_version::v2);
  }
  const error_detail e = query_error(req, expires + seconds{1}, "johnsmith");
  CHECK(e.code == error::access_denied);
  CHECK(e.message == "Request has expired");
  CHECK(field_names(e) == std::vector<std::string>{"Expires", "ServerTime"});
  CHECK(field(e, "Expires") == "2007-03-29T03:40:20Z");
  CHECK(field(e, "ServerTime") == "2007-03-29T03:40:21Z");
}

// ---- Canonicalisation --------------------------------------------------------------------------

TEST_CASE("sigv2: CanonicalizedResource", "[sigv2]") {
  struct row {
    std::string_view target;
    std::string_view bucket;
    std::string_view expected;
  };
  const auto r = GENERATE(values<row>({
      {"/", "", "/"},
      {"/b", "", "/b/"},  // the bucket itself, path style: as SDKs sign it
      {"/b/", "", "/b/"},
      {"/", "b", "/b/"},
      {"/k", "b", "/b/k"},
      {"/b/a%20b+c", "", "/b/a%20b+c"},  // the path as sent
      {"/b/k?x-id=GetObject&list-type=2", "", "/b/k"},
      {"/b?acl", "", "/b/?acl"},
      {"/b?acl=", "", "/b/?acl="},
      {"/b/k?versionId=3%2F4&acl", "", "/b/k?acl&versionId=3/4"},  // sorted, values decoded
      {"/b/k?uploadId=u&partNumber=2", "", "/b/k?partNumber=2&uploadId=u"},
      {"/b?uploads", "", "/b/?uploads"},
      {"/b?delete", "", "/b/?delete"},
      {"/b?tagging&cors&website&versioning&versions&lifecycle&location&logging&notification&policy&"
       "requestPayment&torrent",
       "",
       "/b/?cors&lifecycle&location&logging&notification&policy&requestPayment&tagging&torrent&versioning&"
       "versions&website"},
      {"/b/"
       "k?response-content-disposition=attachment%3B%20filename%3D%22a%20b.txt%22&response-content-type=text%"
       "2Fplain&"
       "response-cache-control=no-cache&response-content-encoding=gzip&response-content-language=en&"
       "response-expires=0",
       "",
       "/b/k?response-cache-control=no-cache&response-content-disposition=attachment; filename=\"a b.txt\"&"
       "response-content-encoding=gzip&response-content-language=en&response-content-type=text/plain&"
       "response-expires=0"},
      {"/b/k?AWSAccessKeyId=A&Signature=S&Expires=1", "", "/b/k"},  // the auth parameters are not signed
      {"/b/k?ACL", "", "/b/k"},                                     // names are case-sensitive
      {"/b/k?acl#fragment", "", "/b/k?acl"},
      {"http://host:9000/b/k?acl", "", "/b/k?acl"},  // absolute-form target
  }));
  INFO(r.target);
  CHECK(s3cors::auth::sigv2_canonical_resource(r.target, r.bucket) == r.expected);
}

TEST_CASE("sigv2: the sub-resources are S3's list and what botocore signs", "[sigv2]") {
  for (const std::string_view name : {"acl",
                                      "cors",
                                      "delete",
                                      "lifecycle",
                                      "location",
                                      "logging",
                                      "notification",
                                      "partNumber",
                                      "policy",
                                      "requestPayment",
                                      "tagging",
                                      "torrent",
                                      "uploadId",
                                      "uploads",
                                      "versionId",
                                      "versioning",
                                      "versions",
                                      "website",
                                      "response-content-type",
                                      "response-content-language",
                                      "response-expires",
                                      "response-cache-control",
                                      "response-content-disposition",
                                      "response-content-encoding",
                                      "restore",
                                      "select",
                                      "select-type",
                                      "object-lock",
                                      "accelerate",
                                      "replication"}) {
    INFO(name);
    CHECK(s3cors::auth::is_sigv2_subresource(name));
  }
  for (const std::string_view name :
       {"", "prefix", "list-type", "x-id", "Acl", "uploadid", "max-keys", "marker"}) {
    INFO(name);
    CHECK_FALSE(s3cors::auth::is_sigv2_subresource(name));
  }
}

TEST_CASE("sigv2: CanonicalizedAmzHeaders", "[sigv2]") {
  request req = make_request("PUT", "/b/k",
                             {{"X-Amz-Meta-B", "  two  "},
                              {"x-amz-meta-a", "1"},
                              {"X-AMZ-META-B", "three"},
                              {"Content-Type", "text/plain"},
                              {"x-amzfoo", "not amz"}});
  CHECK(s3cors::auth::sigv2_canonical_amz_headers(req, false) == "x-amz-meta-a:1\nx-amz-meta-b:two,three\n");
  // Presigned: the x-amz-* parameters of the URL count, and win over a header of the same name.
  req.target += "?x-amz-acl=public-read&X-Amz-Meta-A=from%20query&AWSAccessKeyId=A";
  CHECK(s3cors::auth::sigv2_canonical_amz_headers(req, true) ==
        "x-amz-acl:public-read\nx-amz-meta-a:from query\nx-amz-meta-b:two,three\n");
  CHECK(s3cors::auth::sigv2_canonical_amz_headers(req, false) == "x-amz-meta-a:1\nx-amz-meta-b:two,three\n");
}

TEST_CASE("sigv2: dates as clients write them", "[sigv2]") {
  const sys_seconds t = sys_days{year{2007} / 3 / 27} + hours{19} + minutes{36} + seconds{42};
  CHECK(s3cors::auth::parse_sigv2_date("Tue, 27 Mar 2007 19:36:42 GMT") == t);
  CHECK(s3cors::auth::parse_sigv2_date("Tue, 27 Mar 2007 19:36:42 +0000") == t);
  CHECK(s3cors::auth::parse_sigv2_date("Tue, 27 Mar 2007 21:36:42 +0200") == t);
  CHECK(s3cors::auth::parse_sigv2_date("Tue, 27 Mar 2007 14:36:42 -0500") == t);
  CHECK(s3cors::auth::parse_sigv2_date(" Tue, 27 Mar 2007 19:36:42 GMT ") == t);
  for (const std::string_view bad : {"", "Bad Date", "20070327T193642Z", "Tue, 27 Mar 2007 19:36:42 +00",
                                     "Tue, 27 Mar 2007 19:36:42 +0099", "Tue, 27 Mar 2007 19:36:42 0000"}) {
    INFO(bad);
    CHECK_FALSE(s3cors::auth::parse_sigv2_date(bad));
  }
}

// ---- Errors ------------------------------------------------------------------------------------

namespace {

const sys_seconds t0 = sys_days{year{2026} / 12 / 5} + hours{22};

request signed_put(sys_seconds when = t0) {
  request req =
      make_request("PUT", "/bucket/key.txt", {{"Host", "127.0.0.1:9000"}, {"Content-Type", "text/plain"}});
  s3cors::auth::sign_request_v2(req, example_key, when);
  return req;
}

}  // namespace

TEST_CASE("sigv2: a signed request verifies; a changed one gets SignatureDoesNotMatch with S3's fields",
          "[sigv2]") {
  const request good = signed_put();
  CHECK(good.headers.find("Date") == "Sat, 05 Dec 2026 22:00:00 GMT");
  REQUIRE(
      s3cors::auth::verify_sigv2_header(good, *good.headers.find("Authorization"), keys, t0, {}).has_value());

  request changed = good;
  changed.headers.set("Content-Type", "image/png");
  const error_detail e = header_error(changed, t0);
  CHECK(e.code == error::signature_does_not_match);
  const std::string sts = "PUT\n\nimage/png\nSat, 05 Dec 2026 22:00:00 GMT\n/bucket/key.txt";
  CHECK(field_names(e) ==
        std::vector<std::string>{"AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"});
  CHECK(field(e, "AWSAccessKeyId") == key_id);
  CHECK(field(e, "StringToSign") == sts);
  CHECK(field(e, "StringToSignBytes") == spaced_hex(sts));
  CHECK(field(e, "StringToSignBytes").starts_with("50 55 54 0a"));  // "PUT\n"
  const std::string header(*good.headers.find("Authorization"));
  CHECK(field(e, "SignatureProvided") == header.substr(header.find(':') + 1));

  // Unknown key.
  request stranger = good;
  stranger.headers.set("Authorization", "AWS AKIDSTRANGER:" + header.substr(header.find(':') + 1));
  const error_detail unknown = header_error(stranger, t0);
  CHECK(unknown.code == error::invalid_access_key_id);
  CHECK(field(unknown, "AWSAccessKeyId") == "AKIDSTRANGER");
}

TEST_CASE("sigv2: a malformed header or a missing date is refused as S3 refuses it", "[sigv2]") {
  for (const std::string_view value : {"AWS HAHAHA", "AWS :sig", "AWS  AKID:sig", "AWS AKID sig"}) {
    INFO(value);
    request req = signed_put();
    req.headers.set("Authorization", std::string(value));
    const error_detail e = header_error(req, t0);
    CHECK(e.code == error::invalid_argument);
    CHECK(e.message == "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
    CHECK(field(e, "ArgumentName") == "Authorization");
    CHECK(field(e, "ArgumentValue") == value);
  }
  for (const auto& change :
       {std::pair<std::string, std::string>{"Date", ""}, {"Date", "Bad Date"}, {"x-amz-date", "soon"}}) {
    INFO(change.first << ": " << change.second);
    request req = signed_put();
    req.headers.set(change.first, change.second);
    const error_detail e = header_error(req, t0);
    CHECK(e.code == error::access_denied);
    CHECK(e.message == "AWS authentication requires a valid Date or x-amz-date header");
  }
  request no_date = signed_put();
  no_date.headers.remove("Date");
  CHECK(header_error(no_date, t0).code == error::access_denied);
}

TEST_CASE("sigv2: header auth allows 15 minutes of clock skew", "[sigv2]") {
  REQUIRE(s3cors::auth::verify_sigv2_header(signed_put(t0 - seconds{900}),
                                            *signed_put(t0 - seconds{900}).headers.find("Authorization"),
                                            keys, t0, {})
              .has_value());
  REQUIRE(s3cors::auth::verify_sigv2_header(signed_put(t0 + seconds{900}),
                                            *signed_put(t0 + seconds{900}).headers.find("Authorization"),
                                            keys, t0, {})
              .has_value());
  for (const seconds offset : {seconds{-901}, seconds{901}, seconds{-86400}}) {
    INFO(offset.count());
    const request req = signed_put(t0 + offset);
    const error_detail e = header_error(req, t0);
    CHECK(e.code == error::request_time_too_skewed);
    CHECK(field_names(e) ==
          std::vector<std::string>{"RequestTime", "ServerTime", "MaxAllowedSkewMilliseconds"});
    CHECK(field(e, "RequestTime") == *req.headers.find("Date"));
    CHECK(field(e, "ServerTime") == "2026-12-05T22:00:00Z");
    CHECK(field(e, "MaxAllowedSkewMilliseconds") == "900000");
  }
}

TEST_CASE("sigv2: presigned URLs: round trip, missing parameters, bad Expires, wrong signature", "[sigv2]") {
  const sys_seconds expires = t0 + seconds{3600};
  request req = make_request("PUT", "/bucket/up.txt?x-id=PutObject",
                             {{"Host", "127.0.0.1"}, {"Content-Type", "text/plain"}});
  s3cors::auth::presign_request_v2(req, example_key, expires);
  CHECK(req.target.starts_with("/bucket/up.txt?x-id=PutObject&AWSAccessKeyId=" + key_id + "&Signature="));
  CHECK(req.target.ends_with("&Expires=" + std::to_string(expires.time_since_epoch().count())));
  REQUIRE(s3cors::auth::verify_sigv2_query(req, keys, t0, {}).has_value());

  // A '+' the URL left unescaped arrives as a space.
  request plus = make_request("GET",
                              "/photos/"
                              "puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM+"
                              "WFzoENXmpNDUsSn8%3D&Expires=1175139620",
                              {});
  REQUIRE(s3cors::auth::verify_sigv2_query(plus, keys, sys_seconds{seconds{1175139000}}, "johnsmith")
              .has_value());

  const std::string missing =
      "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters";
  for (const std::string_view target : {"/b/k?AWSAccessKeyId=A&Expires=1", "/b/k?Signature=S&Expires=1",
                                        "/b/k?AWSAccessKeyId=A&Signature=S"}) {
    INFO(target);
    const error_detail e = query_error(make_request("GET", std::string(target), {}), t0);
    CHECK(e.code == error::access_denied);
    CHECK(e.message == missing);
  }
  const error_detail bad_expires =
      query_error(make_request("GET", "/b/k?AWSAccessKeyId=A&Signature=S&Expires=tomorrow", {}), t0);
  CHECK(bad_expires.code == error::access_denied);
  CHECK(bad_expires.message == "Invalid date (should be seconds since epoch): tomorrow");

  request changed = req;
  changed.headers.set("Content-Type", "text/html");
  const error_detail e = query_error(changed, t0);
  CHECK(e.code == error::signature_does_not_match);
  CHECK(field(e, "StringToSign") ==
        "PUT\n\ntext/html\n" + std::to_string(expires.time_since_epoch().count()) + "\n/bucket/up.txt");

  // The Date and x-amz-date headers play no part in query-string auth (x-amz-date is an x-amz-*
  // header, signed as such).
  request dated = req;
  dated.headers.add("Date", "Mon, 01 Jan 2001 00:00:00 GMT");
  CHECK(s3cors::auth::verify_sigv2_query(dated, keys, t0, {}).has_value());
}

// ---- Dispatch: verify_request ------------------------------------------------------------------

TEST_CASE("sigv2: verify_request accepts SigV2 by default and refuses it when told to", "[sigv2]") {
  const std::string only_sigv4 =
      "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";
  request header = signed_put();
  request query = make_request("GET", "/bucket/key.txt", {{"Host", "127.0.0.1"}});
  s3cors::auth::presign_request_v2(query, example_key, t0 + seconds{60});

  auto by_header = s3cors::auth::verify_request(header, keys, t0);
  REQUIRE(by_header.has_value());
  REQUIRE(by_header->has_value());
  CHECK((*by_header)->version == signature_version::v2);
  CHECK((*by_header)->type == auth_type::header);
  CHECK(s3cors::auth::to_string((*by_header)->version) == "AWS");
  CHECK(s3cors::auth::to_string((*by_header)->type) == "REST-HEADER");
  auto by_query = s3cors::auth::verify_request(query, keys, t0);
  REQUIRE(by_query.has_value());
  REQUIRE(by_query->has_value());
  CHECK((*by_query)->type == auth_type::query);
  CHECK(s3cors::auth::to_string((*by_query)->type) == "REST-QUERY-STRING");

  s3cors::auth::verify_options v4_only;
  v4_only.sigv2 = false;
  for (const request* req : {&header, &query}) {
    auto refused = s3cors::auth::verify_request(*req, keys, t0, v4_only);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == error::invalid_request);
    CHECK(refused.error().message == only_sigv4);
  }
  // Without credentials nothing is verified, either way.
  auto open = s3cors::auth::verify_request(header, credential_set{}, t0, v4_only);
  REQUIRE(open.has_value());
  CHECK_FALSE(open->has_value());
}

TEST_CASE("sigv2: two auth mechanisms in one request are refused", "[sigv2]") {
  const std::string message =
      "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
      "parameter or the Authorization header should be specified";
  struct row {
    std::string_view name;
    request req;
    std::string argument;
  };
  request v2_header_v2_query = signed_put();
  v2_header_v2_query.target += "?AWSAccessKeyId=" + key_id + "&Signature=x&Expires=1";
  request v2_header_v4_query = signed_put();
  v2_header_v4_query.target += "?X-Amz-Algorithm=AWS4-HMAC-SHA256";
  request v4_header_v2_query =
      make_request("GET", "/b/k?Signature=x", {{"Authorization", "AWS4-HMAC-SHA256 Credential=x"}});
  request v4_query_v2_query =
      make_request("GET", "/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&AWSAccessKeyId=A", {});
  const std::vector<row> rows = {
      {"SigV2 header and SigV2 query", v2_header_v2_query, "Authorization"},
      {"SigV2 header and SigV4 query", v2_header_v4_query, "Authorization"},
      {"SigV4 header and SigV2 query", v4_header_v2_query, "Authorization"},
      {"SigV4 query and SigV2 query", v4_query_v2_query, "X-Amz-Algorithm"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    auto refused = s3cors::auth::verify_request(r.req, keys, t0);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == error::invalid_argument);
    CHECK(refused.error().message == message);
    CHECK(field(refused.error(), "ArgumentName") == r.argument);
  }
}

TEST_CASE("sigv2: a virtual-hosted request names its bucket in the canonical resource", "[sigv2]") {
  s3cors::s3::routing_options routing;
  routing.domain = "example.test";
  request req = make_request("GET", "/photo.jpg?acl", {{"Host", "media.s3.example.test:9000"}});
  s3cors::auth::sign_request_v2(req, example_key, t0, "media");
  CHECK(s3cors::auth::sigv2_string_to_sign(req, *req.headers.find("Date"), "media", false)
            .ends_with("\n/media/photo.jpg?acl"));
  s3cors::auth::verify_options options;
  options.routing = &routing;
  auto verified = s3cors::auth::verify_request(req, keys, t0, options);
  REQUIRE(verified.has_value());
  CHECK(verified->has_value());
  // Without the routing options the Host names no bucket, and the signature does not match.
  auto path_style = s3cors::auth::verify_request(req, keys, t0);
  REQUIRE_FALSE(path_style.has_value());
  CHECK(path_style.error().code == error::signature_does_not_match);
  CHECK(field(path_style.error(), "StringToSign")
            .ends_with("\n/photo.jpg/?acl"));  // read as path style: a bucket named photo.jpg
}
