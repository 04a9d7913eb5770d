// Conditional writes, default and multipart checksums, partNumber reads and GetObjectAttributes,
// through the whole service over the memory store.
#include "s3cors/s3/service.hpp"

#include "memory_store.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/hash/crc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

namespace {

using s3cors::method;
using s3cors::response;
using header_init = std::initializer_list<std::pair<std::string_view, std::string_view>>;

const s3cors::s3::request_context ctx{std::chrono::sys_seconds{std::chrono::seconds{1'700'000'000}}, "REQID",
                                      "HOSTID"};

struct fixture {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  s3cors::s3::service svc{store, cors, {}};
  fixture() { store.add_bucket("media", {}); }

  response handle(method verb, std::string target, header_init headers = {}, std::string body = {}) const {
    s3cors::request req;
    req.verb = verb;
    req.method_name = std::string(s3cors::to_string(verb));
    req.target = std::move(target);
    req.headers.add("Host", "localhost:9000");
    for (const auto& [name, value] : headers) req.headers.add(std::string(name), std::string(value));
    req.body = std::move(body);
    req.has_body = !req.body.empty();
    return svc.handle(req, ctx).res;
  }
};

std::string header(const response& res, std::string_view name) {
  return std::string(res.headers.find(name).value_or("<absent>"));
}

std::string body_of(const response& res) {
  const auto* text = std::get_if<std::string>(&res.body);
  return text ? *text : std::string{};
}

std::string between(const std::string& text, std::string_view open, std::string_view close) {
  const auto start = text.find(open);
  if (start == std::string::npos) return "<absent>";
  const auto end = text.find(close, start + open.size());
  return text.substr(start + open.size(), end - start - open.size());
}

std::string checksum_base64(s3cors::hash::algorithm which, std::string_view data) {
  s3cors::hash::hasher h(which);
  h.update(data);
  return s3cors::hash::base64_encode(h.finish());
}

std::string complete_body(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags.size(); ++i)
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags[i] + "</ETag></Part>";
  return xml + "</CompleteMultipartUpload>";
}

}  // namespace

TEST_CASE("writes: If-None-Match and If-Match on PutObject and CopyObject", "[writes]") {
  fixture f;
  CHECK(f.handle(method::put, "/media/k", {{"If-None-Match", "*"}}, "one").status == 200);
  const response again = f.handle(method::put, "/media/k", {{"If-None-Match", "*"}}, "two");
  CHECK(again.status == 412);
  CHECK(between(body_of(again), "<Code>", "</Code>") == "PreconditionFailed");
  CHECK(between(body_of(again), "<Condition>", "</Condition>") == "If-None-Match");
  CHECK(f.handle(method::put, "/media/k", {{"If-None-Match", "\"abc\""}}, "two").status == 501);
  const std::string etag = "\"" + s3cors::hash::to_hex(s3cors::hash::md5("one")) + "\"";
  const response wrong = f.handle(method::put, "/media/k", {{"If-Match", "\"0123\""}}, "two");
  CHECK(wrong.status == 412);
  CHECK(between(body_of(wrong), "<Condition>", "</Condition>") == "If-Match");
  CHECK(f.handle(method::put, "/media/k", {{"If-Match", etag}}, "two").status == 200);
  CHECK(f.handle(method::put, "/media/missing", {{"If-Match", etag}}, "x").status == 404);
  // CopyObject: the conditions name the destination.
  REQUIRE(f.handle(method::put, "/media/src", {}, "source").status == 200);
  CHECK(f.handle(method::put, "/media/k", {{"x-amz-copy-source", "/media/src"}, {"If-None-Match", "*"}})
            .status == 412);
  CHECK(f.handle(method::put, "/media/copy", {{"x-amz-copy-source", "/media/src"}, {"If-None-Match", "*"}})
            .status == 200);
}

TEST_CASE("writes: every new object gets a CRC64NVME checksum, returned with checksum mode", "[writes]") {
  fixture f;
  const response put = f.handle(method::put, "/media/k", {}, "123456789");
  CHECK(header(put, "x-amz-checksum-crc64nvme") == "rosUhgp5mIg=");
  CHECK(header(put, "x-amz-checksum-type") == "FULL_OBJECT");
  const response get = f.handle(method::get, "/media/k", {{"x-amz-checksum-mode", "ENABLED"}});
  CHECK(header(get, "x-amz-checksum-crc64nvme") == "rosUhgp5mIg=");
  CHECK(header(get, "x-amz-checksum-type") == "FULL_OBJECT");
  CHECK(header(f.handle(method::get, "/media/k"), "x-amz-checksum-crc64nvme") == "<absent>");
  // A checksum the client sends is the one kept.
  const response sent =
      f.handle(method::put, "/media/c", {{"x-amz-checksum-crc32", "y/Q5Jg=="}}, "123456789");
  CHECK(header(sent, "x-amz-checksum-crc32") == "y/Q5Jg==");
  CHECK(header(sent, "x-amz-checksum-crc64nvme") == "<absent>");
  const response copy = f.handle(method::put, "/media/copy", {{"x-amz-copy-source", "/media/c"}});
  CHECK(copy.status == 200);
  CHECK(header(f.handle(method::head, "/media/copy", {{"x-amz-checksum-mode", "ENABLED"}}),
               "x-amz-checksum-crc32") == "y/Q5Jg==");
}

TEST_CASE("writes: multipart checksums, partNumber reads and GetObjectAttributes", "[writes]") {
  fixture f;
  const std::string part1(5 * 1024 * 1024, 'a');
  const std::string part2 = "the end";
  using s3cors::hash::algorithm;
  struct mode {
    const char* algorithm;
    const char* type;  // nullptr: the default
    const char* expected_type;
  };
  const mode m = GENERATE(mode{"SHA256", nullptr, "COMPOSITE"}, mode{"CRC32", nullptr, "COMPOSITE"},
                          mode{"CRC32", "FULL_OBJECT", "FULL_OBJECT"},
                          mode{"CRC64NVME", nullptr, "FULL_OBJECT"}, mode{nullptr, nullptr, "FULL_OBJECT"});
  CAPTURE(m.algorithm ? m.algorithm : "none", m.type ? m.type : "default");
  std::vector<std::pair<std::string_view, std::string_view>> create_headers;
  if (m.algorithm) create_headers.emplace_back("x-amz-checksum-algorithm", m.algorithm);
  if (m.type) create_headers.emplace_back("x-amz-checksum-type", m.type);
  s3cors::request create;
  create.verb = method::post;
  create.method_name = "POST";
  create.target = "/media/movie?uploads";
  create.headers.add("Host", "localhost:9000");
  for (const auto& [n, v] : create_headers) create.headers.add(std::string(n), std::string(v));
  const response created = f.svc.handle(create, ctx).res;
  REQUIRE(created.status == 200);
  if (m.algorithm) {
    CHECK(header(created, "x-amz-checksum-algorithm") == m.algorithm);
    CHECK(header(created, "x-amz-checksum-type") == m.expected_type);
  }
  const std::string id = between(body_of(created), "<UploadId>", "</UploadId>");
  const algorithm which = m.algorithm ? *s3cors::hash::algorithm_named(m.algorithm) : algorithm::crc64nvme;
  const std::string header_name(s3cors::hash::checksum_header(which));
  std::vector<std::string> etags;
  for (const auto& [number, content] : {std::pair{1, &part1}, std::pair{2, &part2}}) {
    const std::string sum = checksum_base64(which, *content);
    const response part =
        m.algorithm
            ? f.handle(method::put, "/media/movie?partNumber=" + std::to_string(number) + "&uploadId=" + id,
                       {{header_name, sum}}, *content)
            : f.handle(method::put, "/media/movie?partNumber=" + std::to_string(number) + "&uploadId=" + id,
                       {}, *content);
    REQUIRE(part.status == 200);
    etags.push_back(header(part, "ETag"));
  }
  const std::string element = "Checksum" + std::string(s3cors::hash::algorithm_name(which));
  const response listed = f.handle(method::get, "/media/movie?uploadId=" + id);
  // Without an algorithm the parts' default CRC64NVME serves the object only.
  CHECK(between(body_of(listed), "<" + element + ">", "</") ==
        (m.algorithm ? checksum_base64(which, part1) : std::string("<absent>")));

  const response completed = f.handle(method::post, "/media/movie?uploadId=" + id, {}, complete_body(etags));
  REQUIRE(completed.status == 200);
  std::string expected;
  if (std::string_view(m.expected_type) == "COMPOSITE") {
    std::string raw = *s3cors::hash::base64_decode(checksum_base64(which, part1)) +
                      *s3cors::hash::base64_decode(checksum_base64(which, part2));
    expected = checksum_base64(which, raw) + "-2";
  } else {
    expected = checksum_base64(which, part1 + part2);
  }
  CHECK(between(body_of(completed), "<" + element + ">", "</") == expected);
  CHECK(between(body_of(completed), "<ChecksumType>", "</") == m.expected_type);
  const response get = f.handle(method::head, "/media/movie", {{"x-amz-checksum-mode", "ENABLED"}});
  CHECK(header(get, header_name) == expected);
  CHECK(header(get, "x-amz-checksum-type") == m.expected_type);

  // The second part alone.
  const response second = f.handle(method::get, "/media/movie?partNumber=2");
  CHECK(second.status == 206);
  CHECK(header(second, "Content-Range") == "bytes 5242880-5242886/5242887");
  CHECK(header(second, "x-amz-mp-parts-count") == "2");
  CHECK(second.content_length == part2.size());
  CHECK(f.handle(method::head, "/media/movie?partNumber=3").status == 416);
  CHECK(f.handle(method::get, "/media/movie?partNumber=0").status == 400);

  const response attributes =
      f.handle(method::get, "/media/movie?attributes",
               {{"x-amz-object-attributes", "ETag,Checksum,ObjectParts,StorageClass,ObjectSize"},
                {"x-amz-max-parts", "1"}});
  REQUIRE(attributes.status == 200);
  const std::string xml = body_of(attributes);
  CHECK(between(xml, "<ObjectSize>", "</") == "5242887");
  CHECK(between(xml, "<PartsCount>", "</") == "2");
  CHECK(between(xml, "<IsTruncated>", "</") == "true");
  CHECK(between(xml, "<NextPartNumberMarker>", "</") == "1");
  CHECK(between(xml, "<StorageClass>", "</") == "STANDARD");
  CHECK(between(xml, "<ChecksumType>", "</") == m.expected_type);
  CHECK(between(xml, "<Size>", "</") == "5242880");
}

TEST_CASE("writes: partNumber of a single-part object, and CreateMultipartUpload's checksum checks",
          "[writes]") {
  fixture f;
  REQUIRE(f.handle(method::put, "/media/k", {}, "0123456789").status == 200);
  const response whole = f.handle(method::get, "/media/k?partNumber=1");
  CHECK(whole.status == 206);
  CHECK(header(whole, "Content-Range") == "bytes 0-9/10");
  CHECK(header(whole, "x-amz-mp-parts-count") == "<absent>");
  const response beyond = f.handle(method::get, "/media/k?partNumber=2");
  CHECK(beyond.status == 416);
  CHECK(between(body_of(beyond), "<Code>", "</Code>") == "InvalidPartNumber");
  CHECK(f.handle(method::get, "/media/k?partNumber=1", {{"Range", "bytes=0-1"}}).status == 400);
  CHECK(f.handle(method::post, "/media/m?uploads", {{"x-amz-checksum-algorithm", "MD4"}}).status == 400);
  CHECK(f.handle(method::post, "/media/m?uploads",
                 {{"x-amz-checksum-algorithm", "SHA1"}, {"x-amz-checksum-type", "FULL_OBJECT"}})
            .status == 400);
  CHECK(f.handle(method::post, "/media/m?uploads",
                 {{"x-amz-checksum-algorithm", "CRC64NVME"}, {"x-amz-checksum-type", "COMPOSITE"}})
            .status == 400);
  const response attributes =
      f.handle(method::get, "/media/k?attributes", {{"x-amz-object-attributes", "ObjectParts,ETag"}});
  CHECK(attributes.status == 200);
  CHECK(body_of(attributes).find("ObjectParts") == std::string::npos);
  CHECK(f.handle(method::get, "/media/k?attributes").status == 400);
}

TEST_CASE("writes: CompleteMultipartUpload with If-None-Match", "[writes]") {
  fixture f;
  REQUIRE(f.handle(method::put, "/media/k", {}, "exists").status == 200);
  const response created = f.handle(method::post, "/media/k?uploads");
  const std::string id = between(body_of(created), "<UploadId>", "</UploadId>");
  const response part = f.handle(method::put, "/media/k?partNumber=1&uploadId=" + id, {}, "part");
  const response refused = f.handle(method::post, "/media/k?uploadId=" + id, {{"If-None-Match", "*"}},
                                    complete_body({header(part, "ETag")}));
  CHECK(refused.status == 412);
  CHECK(between(body_of(refused), "<Condition>", "</Condition>") == "If-None-Match");
  CHECK(f.handle(method::post, "/media/k?uploadId=" + id, {}, complete_body({header(part, "ETag")})).status ==
        200);
}
