#include "s3cors/auth/sigv4.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using s3cors::request;
using s3cors::auth::credential;
using s3cors::auth::credential_set;
using s3cors::auth::payload_kind;
using s3cors::auth::verified_identity;
using s3cors::s3::error;
using s3cors::s3::error_detail;
using namespace std::chrono;
using namespace std::string_literals;

using header_fields = std::vector<std::pair<std::string, std::string>>;

// The key, the time and the scope of the examples in the S3 API reference
// ("Authenticating Requests (AWS Signature Version 4)").
const std::string key_id = "AKIAIOSFODNN7EXAMPLE";
const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const sys_seconds t0 = sys_days{year{2013} / 5 / 24};
const std::string stamp = "20130524T000000Z";
const std::string scope = "20130524/us-east-1/s3/aws4_request";
const std::string empty_sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const credential example_key{key_id, secret};
const credential_set keys{{example_key}};

request make_request(std::string method, std::string target, const header_fields& headers,
                     std::string body = {}) {
  request req;
  req.verb = s3cors::method_from_string(method);
  req.method_name = std::move(method);
  req.target = std::move(target);
  for (const auto& [name, value] : headers) req.headers.add(name, value);
  req.body = std::move(body);
  return req;
}

std::string authorization(std::string_view signed_headers, std::string_view signature,
                          std::string_view credential_scope = scope) {
  return "AWS4-HMAC-SHA256 Credential=" + key_id + "/" + std::string(credential_scope) +
         ",SignedHeaders=" + std::string(signed_headers) + ",Signature=" + std::string(signature);
}

/// A field of the error, or "<absent>", so that failures print readably.
std::string field(const error_detail& detail, std::string_view name) {
  for (const auto& [field_name, value] : detail.fields) {
    if (field_name == name) return value;
  }
  return "<absent>";
}

std::vector<std::string> field_names(const error_detail& detail) {
  std::vector<std::string> names;
  for (const auto& entry : detail.fields) names.push_back(entry.first);
  return names;
}

std::string replace_first(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

/// Sets (or, with nullopt, removes) a raw query parameter of the target; the name matches exactly.
std::string set_query(const std::string& target, std::string_view name, std::optional<std::string> value) {
  const auto question = target.find('?');
  std::string out = target.substr(0, question);
  std::vector<std::string> pairs;
  std::string_view query =
      question == std::string::npos ? std::string_view() : std::string_view(target).substr(question + 1);
  bool found = false;
  while (!query.empty()) {
    const auto next = query.find('&');
    const std::string pair(query.substr(0, next));
    query.remove_prefix(next == std::string_view::npos ? query.size() : next + 1);
    if (pair.substr(0, pair.find('=')) == name) {
      found = true;
      if (value) pairs.push_back(std::string(name) + "=" + *value);
    } else {
      pairs.push_back(pair);
    }
  }
  if (!found && value) pairs.push_back(std::string(name) + "=" + *value);
  for (std::size_t i = 0; i < pairs.size(); ++i) out += (i == 0 ? "?" : "&") + pairs[i];
  return out;
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

std::string hex_size(std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[size % 16]);
    size /= 16;
  } while (size != 0);
  return out;
}

verified_identity expect_identity(const request& req, sys_seconds now = t0) {
  auto verified = s3cors::auth::verify_request(req, keys, now);
  if (!verified) {
    const auto& e = verified.error();
    FAIL("verification failed: " << s3cors::s3::info(e.code).code << ": " << e.message << " / "
                                 << field(e, "CanonicalRequest"));
  }
  REQUIRE(verified->has_value());
  return **verified;
}

error_detail expect_error(const request& req, sys_seconds now = t0) {
  auto verified = s3cors::auth::verify_request(req, keys, now);
  REQUIRE(verified.has_error());
  return verified.error();
}

/// Checks the code and the message as rendered: an empty expected message means the table's.
void check_error(const error_detail& e, error code, std::string_view message) {
  CHECK(s3cors::s3::info(e.code).code == s3cors::s3::info(code).code);
  const std::string_view rendered = e.message.empty() ? s3cors::s3::info(e.code).message : e.message;
  CHECK(rendered == (message.empty() ? s3cors::s3::info(code).message : message));
}

const std::string mismatch_message =
    "The request signature we calculated does not match the signature you provided. Check your key and "
    "signing method.";

// ---- AWS's S3 examples: "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk" ------------------------------------------------------------------

struct single_chunk_example {
  std::string_view name;
  std::string method;
  std::string target;
  header_fields headers;  // besides Host and x-amz-date
  std::string body;
  std::string_view signed_headers;
  std::string_view canonical_request_sha256;
  std::string_view signature;
};

const single_chunk_example single_chunk_examples[] = {
    {"GET Object",
     "GET",
     "/test.txt",
     {{"Range", "bytes=0-9"}, {"x-amz-content-sha256", empty_sha}},
     "",
     "host;range;x-amz-content-sha256;x-amz-date",
     "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
    {"PUT Object",
     "PUT",
     "/test%24file.text",
     {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
      {"x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"}},
     "Welcome to Amazon S3.",
     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
     "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
    {"GET Bucket Lifecycle",
     "GET",
     "/?lifecycle",
     {{"x-amz-content-sha256", empty_sha}},
     "",
     "host;x-amz-content-sha256;x-amz-date",
     "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
    {"GET Bucket (List Objects)",
     "GET",
     "/?max-keys=2&prefix=J",
     {{"x-amz-content-sha256", empty_sha}},
     "",
     "host;x-amz-content-sha256;x-amz-date",
     "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
};

request example_request(const single_chunk_example& example) {
  header_fields headers{{"Host", "examplebucket.s3.amazonaws.com"}, {"x-amz-date", stamp}};
  headers.insert(headers.end(), example.headers.begin(), example.headers.end());
  headers.emplace_back("Authorization", authorization(example.signed_headers, example.signature));
  return make_request(example.method, example.target, headers, example.body);
}

TEST_CASE("sigv4: the single-chunk examples of the S3 documentation verify", "[sigv4]") {
  for (const auto& example : single_chunk_examples) {
    INFO(example.name);
    const request req = example_request(example);
    std::vector<std::string> names;
    for (std::string_view rest = example.signed_headers; !rest.empty();) {
      const auto semicolon = rest.find(';');
      names.emplace_back(rest.substr(0, semicolon));
      rest.remove_prefix(semicolon == std::string_view::npos ? rest.size() : semicolon + 1);
    }
    const std::string creq =
        s3cors::auth::canonical_request(req, names, *req.headers.find("x-amz-content-sha256"), false);
    CHECK(s3cors::auth::string_to_sign(stamp, scope, creq) ==
          "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + std::string(example.canonical_request_sha256));

    const verified_identity identity = expect_identity(req);
    CHECK(identity.access_key_id == key_id);
    CHECK_FALSE(identity.presigned);
    CHECK(identity.payload == payload_kind::signed_hex);
    CHECK(s3cors::hash::to_hex(s3cors::hash::bytes_of(identity.payload_sha256)) ==
          *req.headers.find("x-amz-content-sha256"));
    // The seed of chunk signatures only: this body is not aws-chunked.
    CHECK(identity.seed_signature.empty());
    CHECK_FALSE(s3cors::auth::check_payload_sha256(identity, example.body));
  }
}

TEST_CASE("sigv4: the canonical request of the GET Object example is AWS's", "[sigv4]") {
  const request req = example_request(single_chunk_examples[0]);
  CHECK(s3cors::auth::canonical_request(req, {"host", "range", "x-amz-content-sha256", "x-amz-date"},
                                        empty_sha, false) ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" +
            empty_sha + "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" +
            empty_sha);
}

TEST_CASE("sigv4: a key sent unencoded is the same object as the encoded key", "[sigv4]") {
  request req = example_request(single_chunk_examples[1]);
  req.target = "/test$file.text";
  CHECK(expect_identity(req).access_key_id == key_id);
}

TEST_CASE("sigv4: the payload hash is checked against the body", "[sigv4]") {
  const verified_identity identity = expect_identity(example_request(single_chunk_examples[1]));
  CHECK_FALSE(s3cors::auth::check_payload_sha256(identity, "Welcome to Amazon S3."));
  const auto bad = s3cors::auth::check_payload_sha256(identity, "Welcome to Amazon S4.");
  REQUIRE(bad);
  check_error(*bad, error::x_amz_content_sha256_mismatch, "");
  CHECK(field(*bad, "ClientComputedContentSHA256") ==
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  CHECK(field(*bad, "S3ComputedContentSHA256").size() == 64);

  verified_identity unsigned_identity = identity;
  unsigned_identity.payload = payload_kind::unsigned_payload;
  CHECK_FALSE(s3cors::auth::check_payload_sha256(unsigned_identity, "anything"));
}

// ---- AWS's presigned URL example ("Authenticating Requests: Using Query Parameters") ----------

const std::string presigned_example_target =
    "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%"
    "2Fs3%"
    "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature="
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

TEST_CASE("sigv4: the presigned URL example of the S3 documentation verifies", "[sigv4]") {
  const request req =
      make_request("GET", presigned_example_target, {{"Host", "examplebucket.s3.amazonaws.com"}});
  const verified_identity identity = expect_identity(req);
  CHECK(identity.presigned);
  CHECK(identity.payload == payload_kind::unsigned_payload);
  CHECK(s3cors::auth::canonical_query_string(req.target.substr(req.target.find('?') + 1), true) ==
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%"
        "2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host");
  // Valid for the whole day it was signed for, not one second more.
  CHECK(expect_identity(req, t0 + hours{24}).presigned);
  check_error(expect_error(req, t0 + hours{24} + seconds{1}), error::access_denied, "Request has expired");
}

TEST_CASE("sigv4: presign_request builds the URL of the S3 documentation", "[sigv4]") {
  request req = make_request("GET", "/test.txt", {{"Host", "examplebucket.s3.amazonaws.com"}});
  s3cors::auth::presign_request(req, example_key, t0, hours{24});
  CHECK(req.target == presigned_example_target);
}

// ---- AWS's chunked upload examples ("Transferring Payload in Multiple Chunks" and "Signature
// calculations for trailing headers") -------------------------------------------------------------

const std::string chunk_a(65536, 'a');
const std::string chunk_b(1024, 'a');

std::string example_body(const std::vector<std::string>& signatures, std::string_view tail) {
  return "10000;chunk-signature=" + signatures[0] + "\r\n" + chunk_a +
         "\r\n400;chunk-signature=" + signatures[1] + "\r\n" + chunk_b +
         "\r\n0;chunk-signature=" + signatures[2] + "\r\n" + std::string(tail);
}

const std::vector<std::string> streaming_signatures{
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"};

request streaming_example() {
  return make_request(
      "PUT", "/examplebucket/chunkObject.txt",
      {{"Host", "s3.amazonaws.com"},
       {"x-amz-date", stamp},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"Authorization",
        authorization("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-"
                      "content-length;x-amz-storage-class",
                      "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")},
       {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"},
       {"Content-Encoding", "aws-chunked"},
       {"x-amz-decoded-content-length", "66560"},
       {"Content-Length", "66824"}},
      example_body(streaming_signatures, "\r\n"));
}

const std::vector<std::string> trailer_signatures{
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"};
const std::string trailer_lines =
    "x-amz-checksum-crc32c:sOO8/Q==\r\n"
    "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n";

request trailer_example(std::string_view tail) {
  return make_request(
      "PUT", "/examplebucket/chunkObject.txt",
      {{"Host", "s3.amazonaws.com"},
       {"x-amz-date", stamp},
       {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
       {"Authorization",
        authorization(
            "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-"
            "storage-class;x-amz-trailer",
            "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")},
       {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"},
       {"Content-Encoding", "aws-chunked"},
       {"x-amz-decoded-content-length", "66560"},
       {"x-amz-trailer", "x-amz-checksum-crc32c"}},
      example_body(trailer_signatures, tail));
}

s3cors::s3::decoded_body decode(const request& req) {
  auto decoded = s3cors::s3::decode_aws_chunked(req.body, 66560);
  REQUIRE(decoded.has_value());
  return std::move(*decoded);
}

TEST_CASE("sigv4: the chunked upload example verifies, chunk by chunk", "[sigv4][aws_chunked]") {
  const request req = streaming_example();
  CHECK(req.body.size() == 66824);  // the example's Content-Length
  const verified_identity identity = expect_identity(req);
  CHECK(identity.payload == payload_kind::streaming_signed);
  CHECK(identity.seed_signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  CHECK(identity.amz_date == stamp);
  CHECK(identity.scope == scope);

  const auto body = decode(req);
  REQUIRE(body.chunks.size() == 3);
  CHECK(body.chunks[0].signature == streaming_signatures[0]);
  CHECK(body.chunks[1].offset == 65536);
  CHECK(body.chunks[1].length == 1024);
  CHECK(body.chunks[2].length == 0);
  CHECK_FALSE(s3cors::auth::verify_chunk_signatures(identity, body));
  CHECK(s3cors::auth::chunk_string_to_sign(stamp, scope, identity.seed_signature, chunk_a) ==
        "AWS4-HMAC-SHA256-PAYLOAD\n" + stamp + "\n" + scope +
            "\n4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9\n" + empty_sha +
            "\nbf718b6f653bebc184e1479f1935b8da974d701b893afcf49e701f3e2f9f9c5a");

  SECTION("a changed byte in a chunk breaks its signature") {
    request tampered = req;
    tampered.body[tampered.body.find("\r\n") + 2 + 100] = 'b';
    const auto e = s3cors::auth::verify_chunk_signatures(identity, decode(tampered));
    REQUIRE(e);
    check_error(*e, error::signature_does_not_match, mismatch_message);
    CHECK(field(*e, "SignatureProvided") == streaming_signatures[0]);
    CHECK(field(*e, "StringToSign").starts_with("AWS4-HMAC-SHA256-PAYLOAD\n"));
    CHECK(field_names(*e) == std::vector<std::string>{"AWSAccessKeyId", "StringToSign", "SignatureProvided",
                                                      "StringToSignBytes"});
    CHECK(field(*e, "StringToSignBytes") == spaced_hex(field(*e, "StringToSign")));
  }
  SECTION("each signature, the final one included, is checked") {
    for (std::size_t i = 0; i < streaming_signatures.size(); ++i) {
      INFO("chunk " << i);
      auto signatures = streaming_signatures;
      signatures[i][5] = signatures[i][5] == '0' ? '1' : '0';
      request tampered = req;
      tampered.body = example_body(signatures, "\r\n");
      const auto e = s3cors::auth::verify_chunk_signatures(identity, decode(tampered));
      REQUIRE(e);
      CHECK(field(*e, "SignatureProvided") == signatures[i]);
    }
  }
  SECTION("a missing or truncated chunk signature fails") {
    for (const std::string_view replacement : {"", "ad80c730"}) {
      request tampered = req;
      tampered.body = replace_first(tampered.body, streaming_signatures[1], replacement);
      const auto e = s3cors::auth::verify_chunk_signatures(identity, decode(tampered));
      REQUIRE(e);
      check_error(*e, error::signature_does_not_match, mismatch_message);
      CHECK(field(*e, "SignatureProvided") == replacement);
    }
  }
  SECTION("the chunks of another seed do not verify") {
    verified_identity other = identity;
    other.seed_signature = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    CHECK(s3cors::auth::verify_chunk_signatures(other, decode(req)));
  }
}

TEST_CASE("sigv4: the chunked upload example with a trailing checksum verifies", "[sigv4][aws_chunked]") {
  // AWS's example puts an empty line before the trailers; the SDKs do not. Both decode.
  for (const auto& tail : {"\r\n" + trailer_lines + "\r\n", trailer_lines + "\r\n", "\r\n" + trailer_lines}) {
    const request req = trailer_example(tail);
    const verified_identity identity = expect_identity(req);
    CHECK(identity.payload == payload_kind::streaming_signed_trailer);
    CHECK(identity.seed_signature == "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
    const auto body = decode(req);
    CHECK(body.trailers == header_fields{{"x-amz-checksum-crc32c", "sOO8/Q=="}});
    CHECK(body.trailer_signature == "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
    CHECK(body.canonical_trailers == "x-amz-checksum-crc32c:sOO8/Q==\n");
    CHECK_FALSE(s3cors::auth::verify_chunk_signatures(identity, body));
  }
  CHECK(s3cors::auth::trailer_string_to_sign(stamp, scope, trailer_signatures[2],
                                             "x-amz-checksum-crc32c:sOO8/Q==\n") ==
        "AWS4-HMAC-SHA256-TRAILER\n" + stamp + "\n" + scope + "\n" + trailer_signatures[2] +
            "\n1e376db7e1a34a8ef1c4bcee131a2d60a1cb62503747488624e10995f448d774");

  const request req = trailer_example(trailer_lines + "\r\n");
  const verified_identity identity = expect_identity(req);
  SECTION("a changed trailer value breaks the trailer signature") {
    request tampered = req;
    tampered.body = replace_first(tampered.body, "sOO8/Q==", "sOO8/Q=A");
    const auto e = s3cors::auth::verify_chunk_signatures(identity, decode(tampered));
    REQUIRE(e);
    check_error(*e, error::signature_does_not_match, mismatch_message);
    CHECK(field(*e, "StringToSign").starts_with("AWS4-HMAC-SHA256-TRAILER\n"));
    CHECK(field(*e, "SignatureProvided") ==
          "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
  }
  SECTION("a missing trailer signature fails") {
    request tampered = req;
    tampered.body = example_body(trailer_signatures, "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n");
    const auto e = s3cors::auth::verify_chunk_signatures(identity, decode(tampered));
    REQUIRE(e);
    CHECK(field(*e, "StringToSign").starts_with("AWS4-HMAC-SHA256-TRAILER\n"));
    CHECK(field(*e, "SignatureProvided").empty());
  }
  SECTION("the chunk signatures of the trailer example are checked too") {
    request tampered = req;
    tampered.body = replace_first(tampered.body, trailer_signatures[2], streaming_signatures[2]);
    const auto e = s3cors::auth::verify_chunk_signatures(identity, decode(tampered));
    REQUIRE(e);
    CHECK(field(*e, "StringToSign").starts_with("AWS4-HMAC-SHA256-PAYLOAD\n"));
  }
}

TEST_CASE("sigv4: unsigned streaming payloads have no chunk signatures to check", "[sigv4][aws_chunked]") {
  request req = make_request("PUT", "/bucket/key",
                             {{"Host", "localhost:9000"},
                              {"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                              {"Content-Encoding", "aws-chunked"},
                              {"x-amz-decoded-content-length", "11"},
                              {"x-amz-trailer", "x-amz-checksum-crc32"}},
                             "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
  s3cors::auth::sign_request(req, example_key, t0, {"us-east-1", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"});
  const verified_identity identity = expect_identity(req);
  CHECK(identity.payload == payload_kind::streaming_unsigned_trailer);
  auto body = s3cors::s3::decode_aws_chunked(req.body, 11);
  REQUIRE(body.has_value());
  CHECK(body->data == "hello world");
  CHECK(body->chunks.size() == 2);
  CHECK(body->chunks[0].signature.empty());
  CHECK_FALSE(body->trailer_signature);
  CHECK_FALSE(s3cors::auth::verify_chunk_signatures(identity, *body));
}

TEST_CASE("sigv4: a body signed chunk by chunk with the exposed functions verifies", "[sigv4][aws_chunked]") {
  request req = make_request("PUT", "/bucket/streamed.bin",
                             {{"Host", "127.0.0.1:9000"},
                              {"Content-Encoding", "aws-chunked"},
                              {"x-amz-decoded-content-length", "10"},
                              {"x-amz-trailer", "x-amz-checksum-crc32"}});
  s3cors::auth::sign_request(req, example_key, t0 + minutes{3},
                             {"eu-west-1", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"});
  const verified_identity identity = expect_identity(req, t0);
  CHECK(identity.scope == "20130524/eu-west-1/s3/aws4_request");
  std::string previous = identity.seed_signature;
  std::string body;
  for (const std::string_view chunk : {"hello", "world", ""}) {
    previous = s3cors::auth::hex_signature(
        identity.signing_key,
        s3cors::auth::chunk_string_to_sign(identity.amz_date, identity.scope, previous, chunk));
    body += hex_size(chunk.size()) + ";chunk-signature=" + previous + "\r\n" + std::string(chunk) +
            (chunk.empty() ? "" : "\r\n");
  }
  const std::string trailers = "x-amz-checksum-crc32:crc-value\n";
  const std::string trailer_signature = s3cors::auth::hex_signature(
      identity.signing_key,
      s3cors::auth::trailer_string_to_sign(identity.amz_date, identity.scope, previous, trailers));
  body += "x-amz-checksum-crc32: crc-value\r\nx-amz-trailer-signature: " + trailer_signature + "\r\n\r\n";
  auto decoded = s3cors::s3::decode_aws_chunked(body, 10);
  REQUIRE(decoded.has_value());
  CHECK(decoded->data == "helloworld");
  CHECK_FALSE(s3cors::auth::verify_chunk_signatures(identity, *decoded));
}

// ---- The generic aws-sig-v4-test-suite (service "service", AKIDEXAMPLE, 20150830T123600Z) -------

struct suite_case {
  std::string_view name;
  std::string method;
  std::string target;
  header_fields headers;
  std::vector<std::string> signed_headers;
  std::string canonical_request;
  std::string_view signature;
};

const std::string suite_tail = "\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const header_fields suite_headers{{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
const std::string suite_lines = "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date";

const suite_case suite_cases[] = {
    {"get-vanilla",
     "GET",
     "/",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/\n\n" + suite_lines + suite_tail,
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"get-vanilla-query-order-key-case",
     "GET",
     "/?Param2=value2&Param1=value1",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/\nParam1=value1&Param2=value2\n" + suite_lines + suite_tail,
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"get-vanilla-query-order-key",
     "GET",
     "/?Param1=value2&Param1=Value1",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/\nParam1=Value1&Param1=value2\n" + suite_lines + suite_tail,
     "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
    {"get-vanilla-query-order-value",
     "GET",
     "/?Param1=value2&Param1=value1",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/\nParam1=value1&Param1=value2\n" + suite_lines + suite_tail,
     "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
    {"get-vanilla-empty-query-key",
     "GET",
     "/?Param1=value1",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/\nParam1=value1\n" + suite_lines + suite_tail,
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
    {"get-vanilla-query-unreserved",
     "GET",
     "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
     "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~"
     "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n" +
         suite_lines + suite_tail,
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
    {"get-vanilla-utf8-query",
     "GET",
     "/?\xE1\x88\xB4=bar",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/\n%E1%88%B4=bar\n" + suite_lines + suite_tail,
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"get-unreserved",
     "GET",
     "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n" + suite_lines +
         suite_tail,
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
    {"get-utf8",
     "GET",
     "/\xE1\x88\xB4",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/%E1%88%B4\n\n" + suite_lines + suite_tail,
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
    {"get-space",
     "GET",
     "/example space/",
     suite_headers,
     {"host", "x-amz-date"},
     "GET\n/example%20space/\n\n" + suite_lines + suite_tail,
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
    {"get-header-value-trim",
     "GET",
     "/",
     {{"Host", "example.amazonaws.com"},
      {"My-Header1", " value1"},
      {"My-Header2", " \"a   b   c\""},
      {"X-Amz-Date", "20150830T123600Z"}},
     {"host", "my-header1", "my-header2", "x-amz-date"},
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b "
     "c\"\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;my-header2;x-amz-date" +
         suite_tail,
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
    {"get-header-key-duplicate",
     "GET",
     "/",
     {{"Host", "example.amazonaws.com"},
      {"My-Header1", "value2"},
      {"My-Header1", "value2"},
      {"My-Header1", "value1"},
      {"X-Amz-Date", "20150830T123600Z"}},
     {"host", "my-header1", "x-amz-date"},
     "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;x-amz-date" +
         suite_tail,
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
    {"get-header-value-order",
     "GET",
     "/",
     {{"Host", "example.amazonaws.com"},
      {"My-Header1", "value4"},
      {"My-Header1", "value1"},
      {"My-Header1", "value3"},
      {"My-Header1", "value2"},
      {"X-Amz-Date", "20150830T123600Z"}},
     {"host", "my-header1", "x-amz-date"},
     "GET\n/"
     "\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;x-amz-date" +
         suite_tail,
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
    {"post-header-value-case",
     "POST",
     "/",
     {{"Host", "example.amazonaws.com"}, {"My-Header1", "VALUE1"}, {"X-Amz-Date", "20150830T123600Z"}},
     {"host", "my-header1", "x-amz-date"},
     "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
     "host;my-header1;x-amz-date" +
         suite_tail,
     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
};

TEST_CASE("sigv4: the generic test suite's canonical requests and signatures", "[sigv4]") {
  const std::string signing_key = s3cors::auth::derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                                                   "20150830", "us-east-1", "service");
  for (const auto& c : suite_cases) {
    INFO(c.name);
    const request req = make_request(c.method, c.target, c.headers);
    const std::string creq = s3cors::auth::canonical_request(req, c.signed_headers, empty_sha, false);
    CHECK(creq == c.canonical_request);
    CHECK(s3cors::auth::hex_signature(
              signing_key, s3cors::auth::string_to_sign("20150830T123600Z",
                                                        "20150830/us-east-1/service/aws4_request", creq)) ==
          c.signature);
  }
}

// ---- Canonicalisation details ---------------------------------------------------------------

TEST_CASE("sigv4: the canonical URI decodes once and encodes as S3 does", "[sigv4]") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "/"},
      {"/", "/"},
      {"/test-bucket/a%20b/a+b", "/test-bucket/a%20b/a%2Bb"},
      {"/test-bucket/%c3%bc/%E4%B8%AD", "/test-bucket/%C3%BC/%E4%B8%AD"},
      {"/test-bucket/!*'()~=&:@$,;", "/test-bucket/%21%2A%27%28%29~%3D%26%3A%40%24%2C%3B"},
      {"/test-bucket/%21%2A%27%28%29%7E%3D%26%3A", "/test-bucket/%21%2A%27%28%29~%3D%26%3A"},
      {"/test-bucket/100%25/100%", "/test-bucket/100%25/100%25"},
      {"/test-bucket/%2525", "/test-bucket/%2525"},  // decoded once only: "%25" stays "%25" literally
      {"/test-bucket/%zz%4", "/test-bucket/%25zz%254"},
      {"/test-bucket//a//b/", "/test-bucket//a//b/"},
      {"/a/./b/../c", "/a/./b/../c"},  // S3 keys may hold "." and ".." segments
      {"/a%2Fb", "/a/b"},
  };
  for (const auto& [path, expected] : cases) {
    INFO(path);
    CHECK(s3cors::auth::canonical_uri(path) == expected);
  }
}

TEST_CASE("sigv4: the canonical query string decodes, encodes and sorts", "[sigv4]") {
  struct row {
    std::string_view query;
    bool presigned;
    std::string_view expected;
  };
  const row cases[] = {
      {"", false, ""},
      {"b=2&a=1", false, "a=1&b=2"},
      {"a=2&a=1&a=&A=3", false, "A=3&a=&a=1&a=2"},
      {"acl&b=", false, "acl=&b="},
      {"a=b+c&d=e%2Bf&g=%20", false, "a=b%20c&d=e%2Bf&g=%20"},
      {"k=1&k-x=2&k.y=3&k0=4", false, "k=1&k-x=2&k.y=3&k0=4"},
      {"k=%c3%bc~!*'()&l=a=b&m=a:b/c", false, "k=%C3%BC~%21%2A%27%28%29&l=a%3Db&m=a%3Ab%2Fc"},
      {"z=1&%C3%A4=1", false, "%C3%A4=1&z=1"},
      {"a=1&&b=2&", false, "a=1&b=2"},
      {"X-Amz-Signature=abc&a=1", false, "X-Amz-Signature=abc&a=1"},
      {"X-Amz-Signature=abc&a=1&x-amz-signature=def", true, "a=1"},
      // Text sent in canonical form is copied as it came; anything else is decoded and encoded.
      {"a=%2F%3D&b=%E2%82%AC", false, "a=%2F%3D&b=%E2%82%AC"},
      {"a=%2f&b=%41%2d%7E", false, "a=%2F&b=A-~"},
      {"a=%2&b=%zz&c=%", false, "a=%252&b=%25zz&c=%25"},
      {"%3D=1&=v&a==b", false, "=v&%3D=1&a=%3Db"},
      {"b=1&%41=2&a+b=3", false, "A=2&a%20b=3&b=1"},
  };
  for (const auto& c : cases) {
    INFO(c.query);
    CHECK(s3cors::auth::canonical_query_string(c.query, c.presigned) == c.expected);
  }
}

/// The canonical query as AWS's description spells it, step by step and without shortcuts:
/// the reference that the copying of canonical text must agree with.
std::string reference_canonical_query(std::string_view raw) {
  const auto decode = [](std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        out += text[i] == '+' ? ' ' : text[i];
      }
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t start = 0;
  while (start <= raw.size()) {
    const std::size_t end = std::min(raw.find('&', start), raw.size());
    const std::string_view pair = raw.substr(start, end - start);
    if (!pair.empty()) {
      const std::size_t equals = pair.find('=');
      pairs.emplace_back(s3cors::auth::uri_encode(decode(pair.substr(0, equals)), false),
                         equals == std::string_view::npos
                             ? ""
                             : s3cors::auth::uri_encode(decode(pair.substr(equals + 1)), false));
    }
    start = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) out += (out.empty() ? "" : "&") + name + "=" + value;
  return out;
}

TEST_CASE("sigv4: the canonical query agrees with AWS's steps for every short query", "[sigv4]") {
  // Every query of up to five bytes from an alphabet of escapes in both cases, escaped
  // unreserved and reserved bytes, separators and a space.
  constexpr std::string_view alphabet = "a%2Ff4+=&~ ";
  std::vector<std::string> queries{""};
  for (std::size_t length = 1, from = 0; length <= 5; ++length) {
    const std::size_t to = queries.size();
    for (std::size_t i = from; i < to; ++i) {
      for (const char c : alphabet) queries.push_back(queries[i] + c);
    }
    from = to;
  }
  std::size_t disagreements = 0;
  for (const auto& query : queries) {
    if (s3cors::auth::canonical_query_string(query, false) == reference_canonical_query(query)) continue;
    if (++disagreements <= 5)
      FAIL_CHECK("query \"" << query << "\": " << s3cors::auth::canonical_query_string(query, false)
                            << " != " << reference_canonical_query(query));
  }
  CHECK(queries.size() == 177156);
  CHECK(disagreements == 0);
}

TEST_CASE("sigv4: uri_encode keeps only the unreserved characters", "[sigv4]") {
  CHECK(s3cors::auth::uri_encode("a b/c~_.-", false) == "a%20b%2Fc~_.-");
  CHECK(s3cors::auth::uri_encode("a b/c", true) == "a%20b/c");
  CHECK(s3cors::auth::uri_encode("\xC3\xBC+*", true) == "%C3%BC%2B%2A");
}

TEST_CASE("sigv4: header values are trimmed and their inner whitespace collapsed", "[sigv4]") {
  const request req =
      make_request("GET", "/", {{"Host", "h"}, {"x-amz-meta-s", "  a   b \t c  "}, {"X-Amz-Meta-S", "\td"}});
  CHECK(s3cors::auth::canonical_request(req, {"host", "x-amz-meta-s", "x-amz-missing"}, "UNSIGNED-PAYLOAD",
                                        false) ==
        "GET\n/\n\nhost:h\nx-amz-meta-s:a b "
        "c,d\nx-amz-missing:\n\nhost;x-amz-meta-s;x-amz-missing\nUNSIGNED-PAYLOAD");
}

TEST_CASE("sigv4: SigV4 timestamps parse strictly", "[sigv4]") {
  CHECK(s3cors::auth::parse_amz_date("20130524T000000Z") == t0);
  CHECK(s3cors::auth::format_amz_date(t0 + hours{23} + minutes{59} + seconds{58}) == "20130524T235958Z");
  for (const std::string_view bad :
       {"", "20130524T000000", "2013-05-24T00:00:00Z", "20130532T000000Z", "20130229T000000Z",
        "20130524T240000Z", "20130524T006000Z", "20130524 000000Z", "2013052AT000000Z", "20130524T000000z"}) {
    INFO(bad);
    CHECK_FALSE(s3cors::auth::parse_amz_date(bad));
  }
  CHECK(s3cors::auth::parse_amz_date("20120229T120000Z"));
}

// ---- Round trips and tampering: the Authorization header -----------------------------------------

request signed_get(sys_seconds when = t0, const credential& key = example_key,
                   const s3cors::auth::signing_options& options = {}) {
  request req = make_request("GET", "/bucket/key%20name.txt?prefix=a%20b&x-id=GetObject",
                             {{"Host", "test-bucket.localhost:9000"}, {"x-amz-meta-color", "red"}});
  s3cors::auth::sign_request(req, key, when, options);
  return req;
}

void set_authorization(request& req, std::string_view from, std::string_view to) {
  req.headers.set("Authorization", replace_first(std::string(*req.headers.find("Authorization")), from, to));
}

TEST_CASE("sigv4: a signed request verifies and names its key", "[sigv4]") {
  const request req = signed_get();
  const verified_identity identity = expect_identity(req);
  CHECK(identity.access_key_id == key_id);
  CHECK(identity.payload == payload_kind::signed_hex);
  CHECK(s3cors::hash::to_hex(s3cors::hash::bytes_of(identity.payload_sha256)) == empty_sha);
  // The chunk-signing material is for aws-chunked bodies only.
  CHECK(identity.signing_key.empty());
  CHECK(identity.scope.empty());
  CHECK(identity.seed_signature.empty());
  const std::string_view authorization = *req.headers.find("Authorization");
  const std::string_view before_signature =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-color, Signature=";
  CHECK(authorization.starts_with(before_signature));
  CHECK(authorization.size() == before_signature.size() + 64);
}

TEST_CASE("sigv4: anonymous requests and disabled authentication yield no identity", "[sigv4]") {
  const request anonymous = make_request("GET", "/bucket/key?prefix=a", {{"Host", "h"}});
  auto verified = s3cors::auth::verify_request(anonymous, keys, t0);
  REQUIRE(verified.has_value());
  CHECK_FALSE(verified->has_value());

  request blank = anonymous;
  blank.headers.add("Authorization", "  ");
  verified = s3cors::auth::verify_request(blank, keys, t0);
  REQUIRE(verified.has_value());
  CHECK_FALSE(verified->has_value());

  request garbage = signed_get();
  set_authorization(garbage, "Signature=", "Signature=0");
  verified = s3cors::auth::verify_request(garbage, credential_set{}, t0);
  REQUIRE(verified.has_value());
  CHECK_FALSE(verified->has_value());
}

TEST_CASE("sigv4: a request signed for any region verifies", "[sigv4]") {
  for (const std::string_view region : {"us-east-1", "eu-west-1", "auto", "local"}) {
    INFO(region);
    // A streaming payload, so that the identity carries the scope its chunks chain from.
    CHECK(expect_identity(
              signed_get(t0, example_key, {std::string(region), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}))
              .scope == "20130524/" + std::string(region) + "/s3/aws4_request");
  }
}

TEST_CASE("sigv4: the signature is compared without regard to letter case", "[sigv4]") {
  request req = signed_get();
  const std::string header(*req.headers.find("Authorization"));
  std::string upper = header;
  for (std::size_t i = header.size() - 64; i < header.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
  }
  req.headers.set("Authorization", upper);
  CHECK(expect_identity(req).access_key_id == key_id);
}

TEST_CASE("sigv4: the Date header stands in for x-amz-date", "[sigv4]") {
  request req =
      make_request("GET", "/bucket/key", {{"Host", "h"}, {"Date", "Fri, 24 May 2013 00:00:00 GMT"}});
  s3cors::auth::sign_request(req, example_key, t0);
  // Re-sign as a client that sends only Date: drop x-amz-date and sign the rest by hand.
  req.headers.remove("x-amz-date");
  req.headers.remove("Authorization");
  const std::vector<std::string> names{"date", "host", "x-amz-content-sha256"};
  const std::string signature = s3cors::auth::hex_signature(
      s3cors::auth::derive_signing_key(secret, "20130524", "us-east-1", "s3"),
      s3cors::auth::string_to_sign(stamp, scope,
                                   s3cors::auth::canonical_request(req, names, empty_sha, false)));
  req.headers.add("Authorization", authorization("date;host;x-amz-content-sha256", signature));
  CHECK(expect_identity(req).access_key_id == key_id);
}

TEST_CASE("sigv4: a wrong secret gets the strings the server signed", "[sigv4]") {
  const request req = signed_get(t0, credential{key_id, "another secret"});
  const error_detail e = expect_error(req);
  check_error(e, error::signature_does_not_match, mismatch_message);
  const std::string creq =
      "GET\n/bucket/key%20name.txt\nprefix=a%20b&x-id=GetObject\nhost:test-bucket.localhost:9000\n"
      "x-amz-content-sha256:" +
      empty_sha + "\nx-amz-date:" + stamp + "\nx-amz-meta-color:red\n\n" +
      "host;x-amz-content-sha256;x-amz-date;x-amz-meta-color\n" + empty_sha;
  const std::string sts = s3cors::auth::string_to_sign(stamp, scope, creq);
  CHECK(field_names(e) == std::vector<std::string>{"AWSAccessKeyId", "StringToSign", "SignatureProvided",
                                                   "StringToSignBytes", "CanonicalRequest",
                                                   "CanonicalRequestBytes"});
  CHECK(field(e, "AWSAccessKeyId") == key_id);
  CHECK(field(e, "CanonicalRequest") == creq);
  CHECK(field(e, "StringToSign") == sts);
  CHECK(field(e, "StringToSignBytes") == spaced_hex(sts));
  CHECK(field(e, "CanonicalRequestBytes") == spaced_hex(creq));
  CHECK(field(e, "StringToSignBytes").starts_with("41 57 53 34 2d 48 4d 41 43"));  // "AWS4-HMAC"
  const std::string header(*req.headers.find("Authorization"));
  CHECK(field(e, "SignatureProvided") == header.substr(header.size() - 64));
}

TEST_CASE("sigv4: tampering with a signed request is refused as S3 refuses it", "[sigv4]") {
  const std::string components =
      "The authorization header is malformed; the authorization header requires three components: "
      "Credential, "
      "SignedHeaders, and Signature.";
  const std::string no_date = "AWS authentication requires a valid Date or x-amz-date header";
  const std::string not_signed = "There were headers present in the request which were not signed";
  struct row {
    std::string_view name;
    std::function<void(request&)> change;
    error code;
    std::string message;
    std::vector<std::pair<std::string, std::string>> fields;  // checked when given
  };
  const std::vector<row> rows = {
      {"another access key id",
       [](request& r) { set_authorization(r, key_id, "AKIAUNKNOWN"); },
       error::invalid_access_key_id,
       "",
       {{"AWSAccessKeyId", "AKIAUNKNOWN"}}},
      {"a changed signed header",
       [](request& r) { r.headers.set("x-amz-meta-color", "blue"); },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"a removed signed header",
       [](request& r) { r.headers.remove("x-amz-meta-color"); },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"a changed query value",
       [](request& r) { r.target = replace_first(r.target, "a%20b", "a%20c"); },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"one more query parameter",
       [](request& r) { r.target += "&versionId=null"; },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"a changed path",
       [](request& r) { r.target = replace_first(r.target, "key%20name", "key%20game"); },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"a path encoded twice",
       [](request& r) { r.target = replace_first(r.target, "key%20name", "key%2520name"); },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"another method",
       [](request& r) { r.method_name = "DELETE"; },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"a truncated signature",
       [](request& r) {
         const std::string header(*r.headers.find("Authorization"));
         r.headers.set("Authorization", header.substr(0, header.size() - 1));
       },
       error::signature_does_not_match,
       mismatch_message,
       {}},
      {"an empty signature",
       [](request& r) {
         const std::string header(*r.headers.find("Authorization"));
         r.headers.set("Authorization", header.substr(0, header.size() - 64));
       },
       error::signature_does_not_match,
       mismatch_message,
       {{"SignatureProvided", ""}}},
      {"no Credential",
       [](request& r) { set_authorization(r, "Credential=", "Credentials="); },
       error::authorization_header_malformed,
       components,
       {}},
      {"no SignedHeaders",
       [](request& r) {
         set_authorization(r, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-color, ", "");
       },
       error::authorization_header_malformed,
       components,
       {}},
      {"no Signature",
       [](request& r) {
         const std::string header(*r.headers.find("Authorization"));
         r.headers.set("Authorization", header.substr(0, header.find(", Signature=")));
       },
       error::authorization_header_malformed,
       components,
       {}},
      {"a credential of four parts",
       [](request& r) { set_authorization(r, "/us-east-1/", "/"); },
       error::authorization_header_malformed,
       "The authorization header is malformed; the Credential is mal-formed; expecting "
       "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
       {}},
      {"a credential of six parts",
       [](request& r) { set_authorization(r, "/us-east-1/", "/us/east-1/"); },
       error::authorization_header_malformed,
       "The authorization header is malformed; the Credential is mal-formed; expecting "
       "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
       {}},
      {"a scope date of seven digits",
       [](request& r) { set_authorization(r, "/20130524/", "/2013052/"); },
       error::authorization_header_malformed,
       "The authorization header is malformed; incorrect date format \"2013052\". This date in the "
       "credential must "
       "be in the format \"yyyyMMdd\".",
       {}},
      {"another service",
       [](request& r) { set_authorization(r, "/s3/", "/ec2/"); },
       error::authorization_header_malformed,
       "The authorization header is malformed; incorrect service \"ec2\". This endpoint belongs to \"s3\".",
       {}},
      {"another terminator",
       [](request& r) { set_authorization(r, "aws4_request", "aws4_reques"); },
       error::authorization_header_malformed,
       "The authorization header is malformed; incorrect terminal \"aws4_reques\". This endpoint uses "
       "\"aws4_request\".",
       {}},
      {"a scope date that is not the date of the request",
       [](request& r) { set_authorization(r, "/20130524/", "/20130523/"); },
       error::authorization_header_malformed,
       "The authorization header is malformed; Invalid credential date \"20130523\". This date is not the "
       "same as "
       "X-Amz-Date: \"20130524\".",
       {}},
      // SigV2 (accepted by default, refused with verify_options::sigv2 false): sigv2_test.cpp.
      {"the Bearer scheme",
       [](request& r) { r.headers.set("Authorization", "Bearer token"); },
       error::invalid_argument,
       "Unsupported Authorization Type",
       {{"ArgumentName", "Authorization"}, {"ArgumentValue", "Bearer token"}}},
      {"presigned parameters as well",
       [](request& r) { r.target += "&X-Amz-Algorithm=AWS4-HMAC-SHA256"; },
       error::invalid_argument,
       "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
       "parameter or the Authorization header should be specified",
       {{"ArgumentName", "Authorization"}}},
      {"no x-amz-content-sha256",
       [](request& r) { r.headers.remove("x-amz-content-sha256"); },
       error::invalid_request,
       "Missing required header for this request: x-amz-content-sha256",
       {}},
      {"an x-amz-content-sha256 that is not a hash",
       [](request& r) { r.headers.set("x-amz-content-sha256", empty_sha.substr(1)); },
       error::invalid_argument,
       "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
       "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a "
       "valid "
       "sha256 value.",
       {{"ArgumentName", "x-amz-content-sha256"}, {"ArgumentValue", empty_sha.substr(1)}}},
      {"no date", [](request& r) { r.headers.remove("x-amz-date"); }, error::access_denied, no_date, {}},
      {"an x-amz-date in another format",
       [](request& r) { r.headers.set("x-amz-date", "2013-05-24T00:00:00Z"); },
       error::access_denied,
       no_date,
       {}},
      {"an invalid x-amz-date and a valid Date",
       [](request& r) {
         r.headers.set("x-amz-date", "yesterday");
         r.headers.add("Date", "Fri, 24 May 2013 00:00:00 GMT");
       },
       error::access_denied,
       no_date,
       {}},
      {"an unsigned x-amz-* header",
       [](request& r) { r.headers.add("x-amz-acl", "public-read"); },
       error::access_denied,
       not_signed,
       {{"HeadersNotSigned", "x-amz-acl"}}},
      {"host not signed",
       [](request& r) { set_authorization(r, "SignedHeaders=host;", "SignedHeaders="); },
       error::access_denied,
       not_signed,
       {{"HeadersNotSigned", "host"}}},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    request req = signed_get();
    r.change(req);
    const error_detail e = expect_error(req);
    check_error(e, r.code, r.message);
    for (const auto& [name, value] : r.fields) CHECK(field(e, name) == value);
  }
}

TEST_CASE("sigv4: a missing component is named when it has no '='", "[sigv4]") {
  request req = signed_get();
  set_authorization(req, "SignedHeaders=", "SignedHeaders");
  check_error(expect_error(req), error::authorization_header_malformed,
              "The authorization header is malformed; the authorization component "
              "\"SignedHeadershost;x-amz-content-sha256;x-amz-date;x-amz-meta-color\" is malformed.");
  req = signed_get();
  set_authorization(req, ", Signature=", ", Signed=");
  check_error(expect_error(req), error::authorization_header_malformed,
              "The authorization header is malformed; the authorization header requires three components: "
              "Credential, SignedHeaders, and Signature.");
}

TEST_CASE("sigv4: the request time may be 15 minutes off the server's clock", "[sigv4]") {
  const std::string message = "The difference between the request time and the current time is too large.";
  CHECK(expect_identity(signed_get(t0 - seconds{900})).access_key_id == key_id);
  CHECK(expect_identity(signed_get(t0 + seconds{900})).access_key_id == key_id);
  for (const auto& [offset, request_time] :
       {std::pair{seconds{-901}, "20130523T234459Z"}, std::pair{seconds{901}, "20130524T001501Z"},
        std::pair{seconds{86400}, "20130525T000000Z"}}) {
    INFO(request_time);
    const error_detail e = expect_error(signed_get(t0 + offset));
    check_error(e, error::request_time_too_skewed, message);
    CHECK(field_names(e) ==
          std::vector<std::string>{"RequestTime", "ServerTime", "MaxAllowedSkewMilliseconds"});
    CHECK(field(e, "RequestTime") == request_time);
    CHECK(field(e, "ServerTime") == "2013-05-24T00:00:00Z");
    CHECK(field(e, "MaxAllowedSkewMilliseconds") == "900000");
  }
  SECTION("the key and the signature are checked before the clock") {
    request req = signed_get(t0 + seconds{901});
    set_authorization(req, "Signature=", "Signature=00");
    check_error(expect_error(req), error::signature_does_not_match, mismatch_message);
    req = signed_get(t0 + seconds{901});
    set_authorization(req, key_id, "AKIAUNKNOWN");
    check_error(expect_error(req), error::invalid_access_key_id, "");
  }
  SECTION("RequestTime is the Date header as sent when it is the request time") {
    request req = make_request(
        "GET", "/",
        {{"Host", "h"}, {"Date", "Fri, 24 May 2013 01:00:00 GMT"}, {"x-amz-content-sha256", empty_sha}});
    const std::vector<std::string> names{"date", "host", "x-amz-content-sha256"};
    const std::string signature = s3cors::auth::hex_signature(
        s3cors::auth::derive_signing_key(secret, "20130524", "us-east-1", "s3"),
        s3cors::auth::string_to_sign("20130524T010000Z", scope,
                                     s3cors::auth::canonical_request(req, names, empty_sha, false)));
    req.headers.add("Authorization", authorization("date;host;x-amz-content-sha256", signature));
    const error_detail e = expect_error(req);
    check_error(e, error::request_time_too_skewed, message);
    CHECK(field(e, "RequestTime") == "Fri, 24 May 2013 01:00:00 GMT");
  }
}

// ---- Round trips and tampering: presigned URLs ----------------------------------------------------

request presigned_put(sys_seconds when = t0, seconds expires = seconds{60}) {
  request req = make_request("PUT", "/key?x-id=PutObject",
                             {{"Host", "test-bucket.localhost"}, {"x-amz-meta-color", "red"}}, "presigned");
  s3cors::auth::presign_request(req, example_key, when, expires);
  return req;
}

TEST_CASE("sigv4: a presigned URL verifies and signs its headers", "[sigv4]") {
  const request req = presigned_put();
  CHECK(req.target.find("X-Amz-SignedHeaders=host%3Bx-amz-meta-color") != std::string::npos);
  const verified_identity identity = expect_identity(req);
  CHECK(identity.presigned);
  CHECK(identity.payload == payload_kind::unsigned_payload);
  CHECK_FALSE(s3cors::auth::check_payload_sha256(identity, "whatever the body"));
}

TEST_CASE("sigv4: presigned parameter names may have any letter case", "[sigv4]") {
  request req = make_request("GET", "/", {{"Host", "h"}});
  const std::string query = "x-amz-algorithm=AWS4-HMAC-SHA256&X-AMZ-CREDENTIAL=" + key_id +
                            "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&x-amz-date=" + stamp +
                            "&x-amz-expires=60&X-Amz-Signedheaders=host";
  req.target = "/?" + query;
  const std::string signature = s3cors::auth::hex_signature(
      s3cors::auth::derive_signing_key(secret, "20130524", "us-east-1", "s3"),
      s3cors::auth::string_to_sign(stamp, scope,
                                   s3cors::auth::canonical_request(req, {"host"}, "UNSIGNED-PAYLOAD", true)));
  req.target += "&x-amz-SIGNATURE=" + signature;
  CHECK(expect_identity(req).presigned);
}

TEST_CASE("sigv4: tampering with a presigned URL is refused as S3 refuses it", "[sigv4]") {
  const std::string required =
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
      "X-Amz-Signature, "
      "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.";
  struct row {
    std::string name;
    std::function<void(request&)> change;
    error code;
    std::string message;
    std::vector<std::pair<std::string, std::string>> fields;
  };
  std::vector<row> rows;
  for (const std::string_view parameter : {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                           "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"}) {
    rows.push_back({"no " + std::string(parameter),
                    [parameter](request& r) { r.target = set_query(r.target, parameter, std::nullopt); },
                    error::authorization_query_parameters_error,
                    required,
                    {}});
  }
  const auto query = [](std::string name, std::string value) {
    return [name, value](request& r) { r.target = set_query(r.target, name, value); };
  };
  rows.push_back({"another algorithm",
                  query("X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
                  error::authorization_query_parameters_error,
                  "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\"",
                  {}});
  rows.push_back({"an X-Amz-Date in another format",
                  query("X-Amz-Date", "2013-05-24T00:00:00Z"),
                  error::authorization_query_parameters_error,
                  "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
                  {}});
  rows.push_back(
      {"X-Amz-Expires=604801",
       query("X-Amz-Expires", "604801"),
       error::authorization_query_parameters_error,
       "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be "
       "less than 604800 seconds",
       {}});
  rows.push_back({"X-Amz-Expires=-1",
                  query("X-Amz-Expires", "-1"),
                  error::authorization_query_parameters_error,
                  "X-Amz-Expires must be non-negative",
                  {}});
  for (const std::string_view bad : {"1h", "", "1.5", "99999999999999999999"}) {
    rows.push_back({"X-Amz-Expires=" + std::string(bad),
                    query("X-Amz-Expires", std::string(bad)),
                    error::authorization_query_parameters_error,
                    "X-Amz-Expires should be a number",
                    {}});
  }
  rows.push_back(
      {"a credential of another service",
       query("X-Amz-Credential", key_id + "%2F20130524%2Fus-east-1%2Fec2%2Faws4_request"),
       error::authorization_query_parameters_error,
       "Error parsing the X-Amz-Credential parameter; incorrect service \"ec2\". This endpoint belongs to "
       "\"s3\".",
       {}});
  rows.push_back({"a malformed credential",
                  query("X-Amz-Credential", key_id + "%2F20130524%2Fs3%2Faws4_request"),
                  error::authorization_query_parameters_error,
                  "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "
                  "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                  {}});
  rows.push_back(
      {"a credential date that is not X-Amz-Date",
       query("X-Amz-Credential", key_id + "%2F20130523%2Fus-east-1%2Fs3%2Faws4_request"),
       error::authorization_query_parameters_error,
       "Invalid credential date \"20130523\". This date is not the same as X-Amz-Date: \"20130524\".",
       {}});
  rows.push_back({"an unknown access key",
                  query("X-Amz-Credential", "AKIAUNKNOWN%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"),
                  error::invalid_access_key_id,
                  "",
                  {{"AWSAccessKeyId", "AKIAUNKNOWN"}}});
  rows.push_back({"another value of a parameter",
                  query("x-id", "GetObject"),
                  error::signature_does_not_match,
                  mismatch_message,
                  {}});
  rows.push_back({"one more parameter",
                  query("versionId", "null"),
                  error::signature_does_not_match,
                  mismatch_message,
                  {}});
  rows.push_back({"another path",
                  [](request& r) { r.target = replace_first(r.target, "/key?", "/other?"); },
                  error::signature_does_not_match,
                  mismatch_message,
                  {}});
  rows.push_back({"a truncated signature",
                  [](request& r) {
                    const std::string signature = r.target.substr(r.target.size() - 64);
                    r.target = set_query(r.target, "X-Amz-Signature", signature.substr(0, 63));
                  },
                  error::signature_does_not_match,
                  mismatch_message,
                  {}});
  rows.push_back({"parameter names in lowercase",
                  [](request& r) { r.target = replace_first(r.target, "X-Amz-Date", "x-amz-date"); },
                  error::signature_does_not_match,
                  mismatch_message,
                  {}});
  rows.push_back({"another value of a signed header",
                  [](request& r) { r.headers.set("x-amz-meta-color", "blue"); },
                  error::signature_does_not_match,
                  mismatch_message,
                  {}});
  rows.push_back({"an x-amz-* header that is not signed",
                  [](request& r) { r.headers.add("x-amz-meta-size", "1"); },
                  error::access_denied,
                  "There were headers present in the request which were not signed",
                  {{"HeadersNotSigned", "x-amz-meta-size"}}});
  rows.push_back({"host not signed",
                  query("X-Amz-SignedHeaders", "x-amz-meta-color"),
                  error::access_denied,
                  "There were headers present in the request which were not signed",
                  {{"HeadersNotSigned", "host"}}});

  for (const auto& r : rows) {
    INFO(r.name);
    request req = presigned_put();
    r.change(req);
    const error_detail e = expect_error(req);
    check_error(e, r.code, r.message);
    for (const auto& [name, value] : r.fields) CHECK(field(e, name) == value);
    if (r.code == error::signature_does_not_match) {
      CHECK(field(e, "StringToSign").starts_with("AWS4-HMAC-SHA256\n"));
      CHECK(field(e, "CanonicalRequest").ends_with("\nUNSIGNED-PAYLOAD"));
    }
  }
}

TEST_CASE("sigv4: a presigned URL is valid from X-Amz-Date for X-Amz-Expires seconds", "[sigv4]") {
  const auto expired = [](const error_detail& e, std::string_view expires, std::string_view at,
                          std::string_view server_time) {
    check_error(e, error::access_denied, "Request has expired");
    CHECK(field_names(e) == std::vector<std::string>{"X-Amz-Expires", "Expires", "ServerTime"});
    CHECK(field(e, "X-Amz-Expires") == expires);
    CHECK(field(e, "Expires") == at);
    CHECK(field(e, "ServerTime") == server_time);
  };
  CHECK(expect_identity(presigned_put(), t0 + seconds{60}).presigned);
  expired(expect_error(presigned_put(), t0 + seconds{61}), "60", "2013-05-24T00:01:00Z",
          "2013-05-24T00:01:01Z");
  CHECK(expect_identity(presigned_put(t0, seconds{604800}), t0 + seconds{604800}).presigned);
  expired(expect_error(presigned_put(t0, seconds{604800}), t0 + seconds{604801}), "604800",
          "2013-05-31T00:00:00Z", "2013-05-31T00:00:01Z");
  expired(expect_error(presigned_put(t0, seconds{0}), t0), "0", "2013-05-24T00:00:00Z",
          "2013-05-24T00:00:00Z");

  // Signed up to 15 minutes in the future is fine (clock skew); beyond that it is not yet valid.
  CHECK(expect_identity(presigned_put(t0 + seconds{900}), t0).presigned);
  const error_detail early = expect_error(presigned_put(t0 + seconds{901}), t0);
  check_error(early, error::access_denied, "Request is not yet valid");
  CHECK(field_names(early) == std::vector<std::string>{"X-Amz-Date", "Expires", "ServerTime"});
  CHECK(field(early, "X-Amz-Date") == "1369354501000");  // S3 shows milliseconds since the epoch here
  CHECK(field(early, "Expires") == "2013-05-24T00:16:01Z");
  CHECK(field(early, "ServerTime") == "2013-05-24T00:00:00Z");

  SECTION("the key and the signature are checked before the time") {
    request req = presigned_put();
    req.target = set_query(req.target, "X-Amz-Signature", "00");
    check_error(expect_error(req, t0 + seconds{61}), error::signature_does_not_match, mismatch_message);
    req = presigned_put();
    req.target =
        set_query(req.target, "X-Amz-Credential", "AKIAUNKNOWN%2F20130524%2Fus-east-1%2Fs3%2Faws4_request");
    check_error(expect_error(req, t0 + seconds{61}), error::invalid_access_key_id, "");
  }
}

// ---- The aws-chunked decoder's records ------------------------------------------------------

TEST_CASE("aws_chunked: chunk signatures, offsets and the trailer signature are recorded", "[aws_chunked]") {
  const std::string body =
      "3;chunk-signature=aaa\r\nabc\r\n"
      "2;foo=bar;chunk-signature=bbb\r\nde\r\n"
      "0;chunk-signature=ccc\r\n"
      "X-Amz-Checksum-CRC32 : v1 \r\n"
      "x-amz-trailer-signature:ddd\r\n\r\n";
  auto decoded = s3cors::s3::decode_aws_chunked(body, 5);
  REQUIRE(decoded.has_value());
  CHECK(decoded->data == "abcde");
  REQUIRE(decoded->chunks.size() == 3);
  CHECK(decoded->chunks[0].signature == "aaa");
  CHECK(decoded->chunks[0].offset == 0);
  CHECK(decoded->chunks[0].length == 3);
  CHECK(decoded->chunks[1].signature == "bbb");
  CHECK(decoded->chunks[1].offset == 3);
  CHECK(decoded->chunks[1].length == 2);
  CHECK(decoded->chunks[2].signature == "ccc");
  CHECK(decoded->chunks[2].offset == 5);
  CHECK(decoded->chunks[2].length == 0);
  CHECK(decoded->trailers == header_fields{{"X-Amz-Checksum-CRC32", "v1"}});
  CHECK(decoded->trailer_signature == "ddd");
  CHECK(decoded->canonical_trailers == "x-amz-checksum-crc32:v1\n");
}

TEST_CASE("aws_chunked: framing errors are still reported", "[aws_chunked]") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"6\r\nhel", "IncompleteBody"},
      {"ffffffffffffffff\r\nhello\r\n0\r\n\r\n", "IncompleteBody"},
      {"zz\r\n", "InvalidRequest"},
      {"3\r\nabcX\r\n0\r\n\r\n", "InvalidRequest"},
      {"3\r\nabc\r\n0\r\nno-colon\r\n\r\n", "InvalidRequest"},
  };
  for (const auto& [body, code] : cases) {
    INFO(body);
    auto decoded = s3cors::s3::decode_aws_chunked(body, std::nullopt);
    REQUIRE(decoded.has_error());
    CHECK(s3cors::s3::info(decoded.error().code).code == code);
  }
  auto wrong_length = s3cors::s3::decode_aws_chunked("3\r\nabc\r\n0\r\n\r\n", 4);
  REQUIRE(wrong_length.has_error());
  CHECK(s3cors::s3::info(wrong_length.error().code).code == "IncompleteBody");
  auto no_final_line = s3cors::s3::decode_aws_chunked("3\r\nabc\r\n0\r\n", 3);
  REQUIRE(no_final_line.has_value());
  CHECK(no_final_line->data == "abc");
}

}  // namespace
