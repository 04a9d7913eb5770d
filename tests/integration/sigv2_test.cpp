// Signature Version 2 through the real server: "AWS AKID:signature" headers, presigned URLs
// (AWSAccessKeyId, Signature, Expires), SigV2 POST forms, S3's errors, and the option that
// refuses SigV2 as S3's SigV4-only regions do.
#include "server_fixture.hpp"

#include "http_client.hpp"
#include "s3cors/auth/sigv2.hpp"
#include "s3cors/hash/digest.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using s3cors::test::header_fields;
using s3cors::test::http_response;
using s3cors::test::send_request;
using s3cors::test::server_fixture;

namespace {

const s3cors::auth::credential good_key{"AKIDS3CORSTEST", "secret/for+tests"};
const s3cors::auth::credential wrong_secret{"AKIDS3CORSTEST", "not the secret"};

s3cors::s3::service_options with_credentials(bool sigv2 = true) {
  s3cors::s3::service_options options;
  options.credentials = s3cors::auth::credential_set({good_key});
  options.sigv2 = sigv2;
  return options;
}

std::chrono::sys_seconds now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// Signs method + target (+ extra headers) with a SigV2 Authorization header and sends it.
http_response send_signed_v2(const server_fixture& server, const s3cors::auth::credential& key,
                             std::string_view method, std::string target, header_fields extra = {},
                             std::string body = {}, std::chrono::sys_seconds at = now()) {
  s3cors::request req;
  req.verb = s3cors::method_from_string(method);
  req.method_name = std::string(method);
  req.target = target;
  for (const auto& [name, value] : extra) req.headers.add(name, value);
  s3cors::auth::sign_request_v2(req, key, at);
  header_fields headers;
  for (const auto& [name, value] : req.headers.fields()) headers.emplace_back(name, value);
  return send_request(server.port(), method, target, headers, body);
}

std::string presigned_v2(std::string_view method, std::string target, std::chrono::sys_seconds expires,
                         header_fields signed_headers = {}) {
  s3cors::request req;
  req.verb = s3cors::method_from_string(method);
  req.method_name = std::string(method);
  req.target = std::move(target);
  for (const auto& [name, value] : signed_headers) req.headers.add(name, value);
  s3cors::auth::presign_request_v2(req, good_key, expires);
  return req.target;
}

bool has_code(const http_response& res, std::string_view code) {
  return res.body.find("<Code>" + std::string(code) + "</Code>") != std::string::npos;
}

std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields,
                      std::string_view content) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  body +=
      "--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\nContent-Type: "
      "text/plain\r\n\r\n" +
      std::string(content) + "\r\n--BOUNDARY--\r\n";
  return body;
}

const header_fields form_headers{{"Content-Type", "multipart/form-data; boundary=BOUNDARY"}};

}  // namespace

TEST_CASE("sigv2: header auth and presigned URLs are accepted; a wrong signature gets S3's fields",
          "[integration][auth][sigv2]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  server.write("media/a.txt", "private bytes");

  const auto got = send_signed_v2(server, good_key, "GET", "/media/a.txt");
  CHECK(got.status == 200);
  CHECK(got.body == "private bytes");
  const auto put = send_signed_v2(server, good_key, "PUT", "/media/b.txt", {{"Content-Type", "text/plain"}},
                                  "via SigV2 header");
  CHECK(put.status == 200);
  CHECK(send_signed_v2(server, good_key, "GET", "/media/b.txt").body == "via SigV2 header");
  CHECK(send_signed_v2(server, good_key, "GET", "/media?list-type=2").status == 200);
  CHECK(send_signed_v2(server, good_key, "GET", "/media/b.txt?acl").status == 200);

  const auto forged = send_signed_v2(server, wrong_secret, "GET", "/media/a.txt");
  CHECK(forged.status == 403);
  CHECK(has_code(forged, "SignatureDoesNotMatch"));
  CHECK_THAT(forged.body, Catch::Contains("<AWSAccessKeyId>AKIDS3CORSTEST</AWSAccessKeyId>"));
  CHECK_THAT(forged.body, Catch::Contains("<StringToSign>GET\n\n\n"));
  CHECK_THAT(forged.body, Catch::Contains("\n/media/a.txt</StringToSign>"));
  CHECK_THAT(forged.body, Catch::Contains("<StringToSignBytes>47 45 54 0a 0a 0a "));
  CHECK_THAT(forged.body, Catch::Contains("<SignatureProvided>"));

  const auto skewed =
      send_signed_v2(server, good_key, "GET", "/media/a.txt", {}, {}, now() - std::chrono::hours(1));
  CHECK(skewed.status == 403);
  CHECK(has_code(skewed, "RequestTimeTooSkewed"));

  const auto invalid = send_request(server.port(), "GET", "/media/a.txt", {{"Authorization", "AWS HAHAHA"}});
  CHECK(invalid.status == 400);
  CHECK(has_code(invalid, "InvalidArgument"));

  // Presigned: GET and PUT (Content-Type signed), until Expires.
  const auto fresh = send_request(server.port(), "GET",
                                  presigned_v2("GET", "/media/a.txt", now() + std::chrono::minutes(5)));
  CHECK(fresh.status == 200);
  CHECK(fresh.body == "private bytes");
  const std::string put_url =
      presigned_v2("PUT", "/media/up.txt", now() + std::chrono::minutes(5), {{"Content-Type", "text/plain"}});
  CHECK(
      send_request(server.port(), "PUT", put_url, {{"Content-Type", "text/plain"}}, "presigned v2").status ==
      200);
  CHECK(send_signed_v2(server, good_key, "GET", "/media/up.txt").body == "presigned v2");
  const auto other_type = send_request(server.port(), "PUT", put_url, {{"Content-Type", "text/html"}}, "x");
  CHECK(other_type.status == 403);
  CHECK(has_code(other_type, "SignatureDoesNotMatch"));

  const auto expired = send_request(server.port(), "GET",
                                    presigned_v2("GET", "/media/a.txt", now() - std::chrono::seconds(5)));
  CHECK(expired.status == 403);
  CHECK(has_code(expired, "AccessDenied"));
  CHECK_THAT(expired.body, Catch::Contains("<Message>Request has expired</Message>"));
  CHECK_THAT(expired.body, Catch::Contains("<Expires>"));
  CHECK_THAT(expired.body, Catch::Contains("<ServerTime>"));

  const auto incomplete =
      send_request(server.port(), "GET", "/media/a.txt?AWSAccessKeyId=AKIDS3CORSTEST&Expires=1");
  CHECK(incomplete.status == 403);
  CHECK_THAT(
      incomplete.body,
      Catch::Contains(
          "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"));
}

TEST_CASE("sigv2: SigV2 POST forms are verified", "[integration][auth][sigv2]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials());
  const std::string policy = s3cors::hash::base64_encode(
      R"({"expiration": "2099-01-01T00:00:00Z", "conditions": [{"bucket": "media"}, ["starts-with", "$key", "up/"]]})");
  std::vector<std::pair<std::string, std::string>> fields = {
      {"key", "up/form.txt"},
      {"AWSAccessKeyId", good_key.access_key_id},
      {"policy", policy},
      {"signature", s3cors::auth::sigv2_signature(good_key.secret_access_key, policy)}};
  const auto posted =
      send_request(server.port(), "POST", "/media", form_headers, form_body(fields, "posted"));
  CHECK(posted.status == 204);
  CHECK(send_signed_v2(server, good_key, "GET", "/media/up/form.txt").body == "posted");

  fields[3].second = s3cors::auth::sigv2_signature(wrong_secret.secret_access_key, policy);
  const auto forged = send_request(server.port(), "POST", "/media", form_headers, form_body(fields, "x"));
  CHECK(forged.status == 403);
  CHECK(has_code(forged, "SignatureDoesNotMatch"));
}

TEST_CASE("sigv2: with the option off SigV2 is refused as S3's SigV4-only regions refuse it",
          "[integration][auth][sigv2]") {
  server_fixture server(server_fixture::quiet_options(), with_credentials(false));
  server.write("media/a.txt", "private bytes");
  const std::string message =
      "<Message>The authorization mechanism you have provided is not supported. Please use "
      "AWS4-HMAC-SHA256.</Message>";
  const auto header = send_signed_v2(server, good_key, "GET", "/media/a.txt");
  CHECK(header.status == 400);
  CHECK(has_code(header, "InvalidRequest"));
  CHECK_THAT(header.body, Catch::Contains(message));
  const auto query = send_request(server.port(), "GET",
                                  presigned_v2("GET", "/media/a.txt", now() + std::chrono::minutes(5)));
  CHECK(query.status == 400);
  CHECK_THAT(query.body, Catch::Contains(message));
  const std::string policy = s3cors::hash::base64_encode(
      R"({"expiration": "2099-01-01T00:00:00Z", "conditions": [{"bucket": "media"}, ["starts-with", "$key", ""]]})");
  const auto form = send_request(
      server.port(), "POST", "/media", form_headers,
      form_body({{"key", "k"},
                 {"AWSAccessKeyId", good_key.access_key_id},
                 {"policy", policy},
                 {"signature", s3cors::auth::sigv2_signature(good_key.secret_access_key, policy)}},
                "x"));
  CHECK(form.status == 400);
  CHECK_THAT(form.body, Catch::Contains(message));
}
