// Authentication and anonymous access through the real server: SigV4 headers and presigned
// URLs verified when credentials are configured, canned ACLs for anonymous requests, POST
// form uploads, and preflights that are never authenticated.
#include "server_fixture.hpp"

#include "http_client.hpp"
#include "s3cors/auth/post_policy.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/hash/digest.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>

using s3cors::test::header_fields;
using s3cors::test::http_response;
using s3cors::test::send_request;
using s3cors::test::server_fixture;

namespace {

const s3cors::auth::credential good_key{"AKIDS3CORSTEST", "secret/for+tests"};
const s3cors::auth::credential wrong_secret{"AKIDS3CORSTEST", "not the secret"};
const s3cors::auth::credential unknown_key{"AKIDUNKNOWN", "whatever"};

s3cors::s3::service_options with_credentials() {
  s3cors::s3::service_options options;
  options.credentials = s3cors::auth::credential_set({good_key});
  return options;
}

std::chrono::sys_seconds now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string host(const server_fixture& server) {
  return "127.0.0.1:" + std::to_string(server.port());
}

// Signs method + target (+ extra headers, body) as an SDK does and sends it.
http_response send_signed(const server_fixture& server, const s3cors::auth::credential& key,
                          std::string_view method, std::string target, header_fields extra = {},
                          std::string body = {}, std::chrono::sys_seconds at = now(),
                          const s3cors::auth::signing_options& options = {}) {
  s3cors::request req;
  req.verb = s3cors::method_from_string(method);
  req.method_name = std::string(method);
  req.target = target;
  req.body = body;
  req.headers.add("Host", host(server));
  for (const auto& [name, value] : extra) req.headers.add(name, value);
  s3cors::auth::sign_request(req, key, at, options);
  header_fields headers;
  for (const auto& [name, value] : req.headers.fields()) headers.emplace_back(name, value);
  return send_request(server.port(), method, target, headers, body);
}

std::string presigned(const server_fixture& server, const s3cors::auth::credential& key,
                      std::string_view method, std::string target, std::chrono::seconds expires,
                      std::chrono::sys_seconds at = now()) {
  s3cors::request req;
  req.verb = s3cors::method_from_string(method);
  req.method_name = std::string(method);
  req.target = std::move(target);
  req.headers.add("Host", host(server));
  s3cors::auth::presign_request(req, key, at, expires);
  return req.target;
}

bool has_code(const http_response& res, std::string_view code) {
  return res.body.find("<Code>" + std::string(code) + "</Code>") != std::string::npos;
}

}  // namespace

TEST_CASE("auth: without credentials any signature is accepted and anonymous requests may do anything",
          "[integration][auth]") {
  server_fixture server;
  CHECK(send_request(server.port(), "PUT", "/media/a.txt", {}, "anonymous").status == 200);
  CHECK(send_signed(server, unknown_key, "GET", "/media/a.txt").status == 200);
  CHECK(send_request(server.port(), "GET", "/media/a.txt",
                     {{"Authorization", "AWS4-HMAC-SHA256 Credential=x/y, SignedHeaders=host, Signature=00"}})
            .status == 200);
}

TEST_CASE("auth: with credentials, SigV4 headers are verified with S3's errors", "[integration][auth]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  server.write("media/a.txt", "private bytes");

  const auto signed_get = send_signed(server, good_key, "GET", "/media/a.txt");
  CHECK(signed_get.status == 200);
  CHECK(signed_get.body == "private bytes");

  const auto anonymous = send_request(server.port(), "GET", "/media/a.txt");
  CHECK(anonymous.status == 403);
  CHECK(has_code(anonymous, "AccessDenied"));
  // Anonymous requests learn nothing: a missing key is also AccessDenied.
  CHECK(send_request(server.port(), "GET", "/media/nothere.txt").status == 403);

  const auto forged = send_signed(server, wrong_secret, "GET", "/media/a.txt");
  CHECK(forged.status == 403);
  CHECK(has_code(forged, "SignatureDoesNotMatch"));
  CHECK_THAT(forged.body, Catch::Contains("<StringToSign>AWS4-HMAC-SHA256\n"));
  CHECK_THAT(forged.body, Catch::Contains("<CanonicalRequest>GET\n/media/a.txt\n"));

  const auto unknown = send_signed(server, unknown_key, "GET", "/media/a.txt");
  CHECK(unknown.status == 403);
  CHECK(has_code(unknown, "InvalidAccessKeyId"));

  const auto skewed =
      send_signed(server, good_key, "GET", "/media/a.txt", {}, {}, now() - std::chrono::hours(1));
  CHECK(skewed.status == 403);
  CHECK(has_code(skewed, "RequestTimeTooSkewed"));

  const auto malformed = send_request(server.port(), "GET", "/media/a.txt",
                                      {{"Authorization", "AWS4-HMAC-SHA256 Credential=broken"}});
  CHECK(malformed.status == 400);
  CHECK(has_code(malformed, "AuthorizationHeaderMalformed"));

  // A signed body hash that does not match the body stores nothing.
  s3cors::auth::signing_options empty_body_hash;
  empty_body_hash.payload_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const auto lying =
      send_signed(server, good_key, "PUT", "/media/b.txt", {}, "not empty", now(), empty_body_hash);
  CHECK(lying.status == 400);
  CHECK(has_code(lying, "XAmzContentSHA256Mismatch"));
  CHECK(send_signed(server, good_key, "GET", "/media/b.txt").status == 404);

  const auto signed_put = send_signed(server, good_key, "PUT", "/media/b.txt", {}, "signed body");
  CHECK(signed_put.status == 200);
  CHECK(send_signed(server, good_key, "GET", "/media/b.txt").body == "signed body");
}

TEST_CASE("auth: presigned URLs work until they expire", "[integration][auth]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  server.write("media/seg.ts", "segment");

  const auto fresh = send_request(
      server.port(), "GET", presigned(server, good_key, "GET", "/media/seg.ts", std::chrono::seconds(60)));
  CHECK(fresh.status == 200);
  CHECK(fresh.body == "segment");

  const auto expired = send_request(server.port(), "GET",
                                    presigned(server, good_key, "GET", "/media/seg.ts",
                                              std::chrono::seconds(60), now() - std::chrono::minutes(5)));
  CHECK(expired.status == 403);
  CHECK(has_code(expired, "AccessDenied"));
  CHECK_THAT(expired.body, Catch::Contains("<Message>Request has expired</Message>"));

  const auto too_long = send_request(
      server.port(), "GET", presigned(server, good_key, "GET", "/media/seg.ts", std::chrono::hours(24 * 8)));
  CHECK(too_long.status == 400);
  CHECK(has_code(too_long, "AuthorizationQueryParametersError"));

  const std::string put_url = presigned(server, good_key, "PUT", "/media/up.txt", std::chrono::seconds(60));
  CHECK(send_request(server.port(), "PUT", put_url, {}, "uploaded with a presigned URL").status == 200);
  // The signature covers the path: the same URL on another key is refused.
  std::string moved = put_url;
  moved.replace(moved.find("up.txt"), 6, "xx.txt");
  CHECK(send_request(server.port(), "PUT", moved, {}, "x").status == 403);
  CHECK(send_signed(server, good_key, "GET", "/media/xx.txt").status == 404);
}

TEST_CASE("auth: preflights are never authenticated; refusals carry CORS headers", "[integration][auth]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  server.set_file_cors("media",
                       R"([{"AllowedOrigins": ["http://player.test"], "AllowedMethods": ["GET", "PUT"],
                                    "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}])");
  const std::string url = presigned(server, good_key, "PUT", "/media/up.txt", std::chrono::seconds(60));
  const auto preflight =
      send_request(server.port(), "OPTIONS", url,
                   {{"Origin", "http://player.test"}, {"Access-Control-Request-Method", "PUT"}});
  CHECK(preflight.status == 200);
  CHECK(preflight.header("Access-Control-Allow-Origin") == "http://player.test");
  const auto odd_query =
      send_request(server.port(), "OPTIONS", "/media/a.txt?x-id=PutObject&X-Amz-Signature=garbage",
                   {{"Origin", "http://player.test"}, {"Access-Control-Request-Method", "PUT"}});
  CHECK(odd_query.status == 200);

  const auto denied = send_request(server.port(), "GET", "/media/a.txt", {{"Origin", "http://player.test"}});
  CHECK(denied.status == 403);
  CHECK(denied.header("Access-Control-Allow-Origin") == "http://player.test");
  const auto forged =
      send_signed(server, wrong_secret, "GET", "/media/a.txt", {{"Origin", "http://player.test"}});
  CHECK(forged.status == 403);
  CHECK(forged.header("Access-Control-Allow-Origin") == "http://player.test");
}

TEST_CASE("auth: canned ACLs open buckets and objects to anonymous requests", "[integration][auth]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  server.write("media/a.txt", "bytes");
  CHECK(send_request(server.port(), "GET", "/media?acl").status == 403);  // reading ACLs needs a signature

  const auto private_acl = send_signed(server, good_key, "GET", "/media?acl");
  CHECK(private_acl.status == 200);
  CHECK_THAT(private_acl.body, Catch::Contains("<Permission>FULL_CONTROL</Permission>"));
  CHECK_THAT(private_acl.body, !Catch::Contains("AllUsers"));

  // READ on the bucket lists it; reading an object takes READ on the object (S3's rule).
  REQUIRE(send_signed(server, good_key, "PUT", "/media?acl", {{"x-amz-acl", "public-read"}}).status == 200);
  CHECK(send_request(server.port(), "GET", "/media/a.txt").status == 403);
  CHECK(send_request(server.port(), "GET", "/media/missing.txt").status == 404);
  CHECK(send_request(server.port(), "GET", "/media?list-type=2").status == 200);
  CHECK(send_request(server.port(), "PUT", "/media/b.txt", {}, "x").status == 403);
  CHECK_THAT(send_signed(server, good_key, "GET", "/media?acl").body,
             Catch::Contains(
                 "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ"));

  REQUIRE(send_signed(server, good_key, "PUT", "/media?acl", {{"x-amz-acl", "public-read-write"}}).status ==
          200);
  CHECK(send_request(server.port(), "PUT", "/media/b.txt", {}, "anonymous write").status == 200);
  CHECK(send_request(server.port(), "DELETE", "/media/b.txt").status == 204);
  CHECK(send_request(server.port(), "PUT", "/media?acl", {{"x-amz-acl", "private"}}).status == 403);
  CHECK(send_signed(server, good_key, "PUT", "/media?acl", {{"x-amz-acl", "no-such-acl"}}).status == 400);

  // An object made public-read at upload is readable in a private bucket.
  REQUIRE(send_signed(server, good_key, "PUT", "/media?acl", {{"x-amz-acl", "private"}}).status == 200);
  REQUIRE(send_signed(server, good_key, "PUT", "/media/public.txt", {{"x-amz-acl", "public-read"}}, "open")
              .status == 200);
  CHECK(send_request(server.port(), "GET", "/media/public.txt").body == "open");
  CHECK(send_request(server.port(), "GET", "/media/a.txt").status == 403);
  CHECK_THAT(send_signed(server, good_key, "GET", "/media/public.txt?acl").body, Catch::Contains("AllUsers"));
  // PutObjectAcl changes it without touching the bytes.
  REQUIRE(send_signed(server, good_key, "PUT", "/media/public.txt?acl", {{"x-amz-acl", "private"}}).status ==
          200);
  CHECK(send_request(server.port(), "GET", "/media/public.txt").status == 403);
  CHECK(send_signed(server, good_key, "GET", "/media/public.txt").body == "open");

  // CreateBucket with a public canned ACL: today's S3 defaults refuse it (ACLs disabled, then
  // public access blocked); the way S3 asks for: ObjectWriter, lift the block, PutBucketAcl.
  CHECK(send_signed(server, good_key, "PUT", "/open-bucket", {{"x-amz-acl", "public-read-write"}}).status ==
        400);
  CHECK_THAT(send_signed(server, good_key, "PUT", "/open-bucket",
                         {{"x-amz-acl", "public-read-write"}, {"x-amz-object-ownership", "ObjectWriter"}})
                 .body,
             Catch::Contains("InvalidBucketAclWithBlockPublicAccessError"));
  REQUIRE(send_signed(server, good_key, "PUT", "/open-bucket", {{"x-amz-object-ownership", "ObjectWriter"}})
              .status == 200);
  REQUIRE(send_signed(server, good_key, "DELETE", "/open-bucket?publicAccessBlock").status == 204);
  REQUIRE(
      send_signed(server, good_key, "PUT", "/open-bucket?acl", {{"x-amz-acl", "public-read-write"}}).status ==
      200);
  CHECK(send_request(server.port(), "PUT", "/open-bucket/k", {}, "v").status == 200);
}

namespace {

std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields,
                      std::string_view filename, std::string_view content) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  body += "--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + std::string(filename) +
          "\"\r\nContent-Type: text/plain\r\n\r\n" + std::string(content) + "\r\n--BOUNDARY--\r\n";
  return body;
}

const header_fields form_headers{{"Content-Type", "multipart/form-data; boundary=BOUNDARY"}};

}  // namespace

TEST_CASE("auth: POST form uploads with a signed policy", "[integration][auth]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  s3cors::auth::post_form_request request;
  request.bucket = "media";
  request.key = "uploads/${filename}";
  request.fields = {{"success_action_status", "201"}, {"Content-Type", "text/plain"}};
  request.conditions = {R"({"success_action_status": "201"})", R"(["starts-with", "$Content-Type", "text/"])",
                        R"(["content-length-range", 1, 1024])"};
  const auto form = s3cors::auth::sign_post_form(request, good_key, now());

  const auto created = send_request(server.port(), "POST", "/media", form_headers,
                                    form_body(form.fields, "notes.txt", "hello form"));
  CHECK(created.status == 201);
  CHECK_THAT(created.body, Catch::Contains("<Key>uploads/notes.txt</Key>"));
  CHECK(created.header("ETag").has_value());
  const auto stored = send_signed(server, good_key, "GET", "/media/uploads/notes.txt");
  CHECK(stored.body == "hello form");
  CHECK(stored.header("Content-Type") == "text/plain");

  const auto too_big = send_request(server.port(), "POST", "/media", form_headers,
                                    form_body(form.fields, "big.txt", std::string(2000, 'x')));
  CHECK(too_big.status == 400);
  CHECK(has_code(too_big, "EntityTooLarge"));
  CHECK(send_signed(server, good_key, "GET", "/media/uploads/big.txt").status == 404);

  const auto forged_form = s3cors::auth::sign_post_form(request, wrong_secret, now());
  const auto forged = send_request(server.port(), "POST", "/media", form_headers,
                                   form_body(forged_form.fields, "forged.txt", "x"));
  CHECK(forged.status == 403);
  CHECK(has_code(forged, "SignatureDoesNotMatch"));

  // No policy at all: an anonymous upload, refused by the private bucket.
  const auto anonymous = send_request(server.port(), "POST", "/media", form_headers,
                                      form_body({{"key", "anon.txt"}}, "anon.txt", "x"));
  CHECK(anonymous.status == 403);
  CHECK(has_code(anonymous, "AccessDenied"));
  CHECK(send_signed(server, good_key, "GET", "/media/anon.txt").status == 404);
}

TEST_CASE("auth: broken POST forms get S3's errors and store nothing", "[integration][auth][bad_input]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  s3cors::auth::post_form_request request;
  request.bucket = "media";
  request.key = "forms/${filename}";
  const auto form = s3cors::auth::sign_post_form(request, good_key, now());
  auto with_field = [&](std::string_view name, std::string value) {
    auto fields = form.fields;
    for (auto& [field, current] : fields) {
      if (field == name) current = value;
    }
    return fields;
  };
  std::string signature;
  for (const auto& [name, value] : form.fields) {
    if (name == "x-amz-signature") signature = value;
  }
  struct row {
    const char* what;
    std::vector<std::pair<std::string, std::string>> fields;
    unsigned status;
    const char* code;
  };
  const row rows[] = {
      {"policy not base64", with_field("policy", "%%%not base64%%%"), 403, "SignatureDoesNotMatch"},
      {"truncated signature", with_field("x-amz-signature", signature.substr(0, 20)), 403,
       "SignatureDoesNotMatch"},
      {"signature of another policy",
       with_field("policy", s3cors::hash::base64_encode("{\"conditions\": []}")), 403,
       "SignatureDoesNotMatch"},
      {"oversize form fields", with_field("x-ignore-pad", std::string(30000, 'p')), 400,
       "MaxPostPreDataLengthExceeded"},
      {"unknown key id", with_field("x-amz-credential", "AKIDNOBODY/20260101/us-east-1/s3/aws4_request"), 403,
       "InvalidAccessKeyId"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto fields = r.fields;
    if (std::string_view(r.what) == "oversize form fields")
      fields.emplace_back("x-ignore-pad", std::string(30000, 'p'));
    const auto res =
        send_request(server.port(), "POST", "/media", form_headers, form_body(fields, "x.txt", "data"));
    CHECK(res.status == r.status);
    CHECK(has_code(res, r.code));
  }
  // A policy that is valid JSON but not a policy, correctly signed: InvalidPolicyDocument.
  const std::string broken_policy = s3cors::hash::base64_encode("{\"expiration\": 12, \"conditions\": {}}");
  auto fields = with_field("policy", broken_policy);
  std::string date;
  for (const auto& [name, value] : fields) {
    if (name == "x-amz-credential") date = value.substr(value.find('/') + 1, 8);
  }
  for (auto& [name, value] : fields) {
    if (name == "x-amz-signature")
      value =
          s3cors::auth::post_policy_signature(broken_policy, good_key.secret_access_key, date, "us-east-1");
  }
  const auto invalid =
      send_request(server.port(), "POST", "/media", form_headers, form_body(fields, "x.txt", "d"));
  CHECK(invalid.status == 400);
  CHECK(has_code(invalid, "InvalidPolicyDocument"));
  // An expired policy.
  const auto old_form = s3cors::auth::sign_post_form(request, good_key, now() - std::chrono::hours(2));
  const auto expired = send_request(server.port(), "POST", "/media", form_headers,
                                    form_body(old_form.fields, "x.txt", "data"));
  CHECK(expired.status == 403);
  CHECK_THAT(expired.body, Catch::Contains("Policy expired"));
  // Nothing was stored by any of them.
  CHECK(std::filesystem::is_empty(server.root().path() / "media"));
}

TEST_CASE("auth: a fragment appended to a presigned URL is refused, not obeyed", "[integration][auth]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  server.write("media/seg.ts", "segment");
  const std::string url = presigned(server, good_key, "GET", "/media/seg.ts", std::chrono::seconds(60));
  REQUIRE(send_request(server.port(), "GET", url).status == 200);
  const std::string answer = s3cors::test::raw_request(
      server.port(), "GET " + url + "#&response-content-type=text/html HTTP/1.1\r\nHost: " + host(server) +
                         "\r\nConnection: close\r\n\r\n");
  CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 400"));
  CHECK_THAT(answer, Catch::Contains("<Code>InvalidURI</Code>"));
  CHECK_THAT(answer, !Catch::Contains("text/html"));
  // A presigned PUT cannot become PutObjectAcl either.
  const std::string put_url = presigned(server, good_key, "PUT", "/media/new.ts", std::chrono::seconds(60));
  const std::string put =
      s3cors::test::raw_request(server.port(), "PUT " + put_url + "#&acl HTTP/1.1\r\nHost: " + host(server) +
                                                   "\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
  CHECK_THAT(put, Catch::StartsWith("HTTP/1.1 400"));
  CHECK(send_request(server.port(), "GET", "/media/new.ts").status == 403);
}
