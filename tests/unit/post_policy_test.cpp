#include "s3cors/auth/post_policy.hpp"

#include "s3cors/auth/sigv2.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/http/multipart_form_stream.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using s3cors::auth::check_post_size;
using s3cors::auth::content_length_range;
using s3cors::auth::credential;
using s3cors::auth::credential_set;
using s3cors::auth::evaluate_post_form;
using s3cors::auth::evaluate_post_form_fields;
using s3cors::auth::post_auth;
using s3cors::auth::post_form_request;
using s3cors::auth::post_size_check;
using s3cors::auth::post_upload;
using s3cors::auth::sign_post_form;
using s3cors::http::multipart_form;
using s3cors::s3::error;
using s3cors::s3::error_detail;
using fields_t = std::vector<std::pair<std::string, std::string>>;
using evaluation = s3cors::result<post_upload, error_detail>;

std::chrono::sys_seconds at(int y, unsigned mo, unsigned d, unsigned h = 0, unsigned mi = 0, unsigned s = 0) {
  using namespace std::chrono;
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

const std::chrono::sys_seconds now = at(2025, 6, 1, 12);
constexpr std::string_view file_data = "hello world";  // 11 bytes

multipart_form make_form(fields_t fields, std::optional<std::string> filename = "hello.txt",
                         std::string_view data = file_data) {
  multipart_form form;
  form.fields = std::move(fields);
  form.has_file = true;
  form.has_filename = filename.has_value();
  form.filename = filename.value_or("");
  form.file = data;
  return form;
}

std::string b64(std::string_view text) {
  return s3cors::hash::base64_encode(text);
}

std::string policy(std::string_view conditions, std::string_view expiration = "2030-01-01T00:00:00.000Z") {
  return "{\"expiration\": \"" + std::string(expiration) + "\", \"conditions\": [" + std::string(conditions) +
         "]}";
}

/// A policy whose conditions also cover the key field (every field needs one).
std::string policy_k(std::string_view conditions) {
  return policy(std::string(conditions) + R"(, ["starts-with", "$key", ""])");
}

/// No credentials configured: nothing is verified, the policy is enforced.
evaluation unsigned_eval(fields_t fields, std::string_view bucket = "b", std::string_view data = file_data) {
  return evaluate_post_form(make_form(std::move(fields), "hello.txt", data), bucket, credential_set{}, now);
}

void check_error(const evaluation& result, error code, std::string_view message) {
  REQUIRE(result.has_error());
  CHECK(result.error().code == code);
  CHECK(result.error().message == message);
}

void check_condition_failed(const evaluation& result, std::string_view rendered) {
  check_error(result, error::access_denied,
              "Invalid according to Policy: Policy Condition failed: " + std::string(rendered));
}

const credential example_key{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};

// "Example: Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)", Amazon S3
// API Reference (sigv4-post-example): the policy with CRLF line ends, its base64 (the
// StringToSign) and its signature. Checked here and against an independent HMAC.
constexpr std::string_view aws_policy =
    "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",\r\n"
    "  \"conditions\": [\r\n"
    "    {\"bucket\": \"sigv4examplebucket\"},\r\n"
    "    [\"starts-with\", \"$key\", \"user/user1/\"],\r\n"
    "    {\"acl\": \"public-read\"},\r\n"
    "    {\"success_action_redirect\": "
    "\"http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html\"},\r\n"
    "    [\"starts-with\", \"$Content-Type\", \"image/\"],\r\n"
    "    {\"x-amz-meta-uuid\": \"14365123651274\"},\r\n"
    "    {\"x-amz-server-side-encryption\": \"AES256\"},\r\n"
    "    [\"starts-with\", \"$x-amz-meta-tag\", \"\"],\r\n"
    "\r\n"
    "    {\"x-amz-credential\": \"AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request\"},\r\n"
    "    {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"},\r\n"
    "    {\"x-amz-date\": \"20151229T000000Z\" }\r\n"
    "  ]\r\n"
    "}";
constexpr std::string_view aws_policy_base64 =
    "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6"
    "ICJzaW"
    "d2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6IC"
    "JwdWJs"
    "aWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6"
    "b25hd3"
    "MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl"
    "0sDQog"
    "ICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24i"
    "OiAiQU"
    "VTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYW"
    "wiOiAi"
    "QUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3Jp"
    "dGhtIj"
    "ogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
constexpr std::string_view aws_signature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

/// The example's HTML form, field names spelled as on the page (the post parameters are
/// case insensitive), with a file chosen as C:\photos\MyPhoto.jpg.
multipart_form aws_example_form(std::string_view signature = aws_signature) {
  return make_form(
      {
          {"key", "user/user1/${filename}"},
          {"acl", "public-read"},
          {"success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"},
          {"Content-Type", "image/jpeg"},
          {"x-amz-meta-uuid", "14365123651274"},
          {"x-amz-server-side-encryption", "AES256"},
          {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},
          {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
          {"X-Amz-Date", "20151229T000000Z"},
          {"x-amz-meta-tag", ""},
          {"Policy", std::string(aws_policy_base64)},
          {"X-Amz-Signature", std::string(signature)},
      },
      "C:\\photos\\MyPhoto.jpg");
}

/// A form signed by sign_post_form for key "user/${filename}" in bucket "b", with a file.
struct signed_form {
  credential key{"AKIDEXAMPLE", "secret-key"};
  post_form_request request;
  fields_t fields;

  explicit signed_form(std::vector<std::string> conditions = {}, fields_t extra = {}) {
    request.bucket = "b";
    request.key = "user/${filename}";
    request.conditions = std::move(conditions);
    request.fields = std::move(extra);
    fields = sign_post_form(request, key, now).fields;
  }
  void set(std::string_view name, std::string value) {
    for (auto& field : fields) {
      if (field.first == name) field.second = std::move(value);
    }
  }
  void remove(std::string_view name) {
    std::erase_if(fields, [&](const auto& field) { return field.first == name; });
  }
  [[nodiscard]] std::string get(std::string_view name) const {
    for (const auto& field : fields) {
      if (field.first == name) return field.second;
    }
    return {};
  }
  [[nodiscard]] evaluation evaluate(std::chrono::sys_seconds when = now,
                                    std::string_view bucket = "b") const {
    return evaluate_post_form(make_form(fields), bucket, credential_set({key}), when);
  }
};

}  // namespace

// --- The AWS documentation's example -------------------------------------------------------------

TEST_CASE("post_policy: AWS's example policy, base64 and signature", "[post_policy]") {
  CHECK(b64(aws_policy) == aws_policy_base64);
  CHECK(s3cors::auth::post_policy_signature(aws_policy_base64, example_key.secret_access_key, "20151229",
                                            "us-east-1") == aws_signature);
}

TEST_CASE("post_policy: AWS's example form is accepted and yields the upload", "[post_policy]") {
  const credential_set keys({example_key});
  const auto result = evaluate_post_form(aws_example_form(), "sigv4examplebucket", keys, at(2015, 12, 29));
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::verified);
  CHECK(result->access_key_id == "AKIAIOSFODNN7EXAMPLE");
  CHECK(result->key == "user/user1/MyPhoto.jpg");  // ${filename}: the text after the last '\'
  CHECK(result->data == file_data);
  CHECK(result->content_type == "image/jpeg");
  CHECK(result->acl == "public-read");
  CHECK(result->success_action_status == 204);
  CHECK(result->redirect == "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html");
  CHECK(result->headers == fields_t{{"Content-Type", "image/jpeg"},
                                    {"x-amz-meta-uuid", "14365123651274"},
                                    {"x-amz-meta-tag", ""}});
  REQUIRE(result->fields.size() == 12);
  CHECK(result->fields[5] == std::pair<std::string, std::string>{"x-amz-server-side-encryption", "AES256"});
}

TEST_CASE("post_policy: AWS's example form through the multipart parser", "[post_policy]") {
  const auto fields = aws_example_form().fields;
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--xYzZY\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  body += "--xYzZY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"MyPhoto.jpg\"\r\n";
  body +=
      "Content-Type: image/jpeg\r\n\r\nJPEG\r\n--xYzZY\r\nContent-Disposition: form-data; "
      "name=\"submit\"\r\n\r\n";
  body += "Upload to Amazon S3\r\n--xYzZY--\r\n";
  const auto form = s3cors::http::parse_multipart_form("multipart/form-data; boundary=xYzZY", body);
  REQUIRE(form.has_value());
  const auto result =
      evaluate_post_form(*form, "sigv4examplebucket", credential_set({example_key}), at(2015, 12, 29, 1));
  REQUIRE(result.has_value());
  CHECK(result->key == "user/user1/MyPhoto.jpg");
  CHECK(result->data == "JPEG");
}

TEST_CASE("post_policy: AWS's example expires after 2015-12-30T12:00:00.000Z", "[post_policy]") {
  const credential_set keys({example_key});
  CHECK(evaluate_post_form(aws_example_form(), "sigv4examplebucket", keys, at(2015, 12, 30, 12)).has_value());
  check_error(evaluate_post_form(aws_example_form(), "sigv4examplebucket", keys, at(2015, 12, 30, 12, 0, 1)),
              error::access_denied, "Invalid according to Policy: Policy expired.");
}

TEST_CASE("post_policy: AWS's example form refuses another bucket and another key prefix", "[post_policy]") {
  const credential_set keys({example_key});
  check_condition_failed(evaluate_post_form(aws_example_form(), "otherbucket", keys, at(2015, 12, 29)),
                         R"(["eq", "$bucket", "sigv4examplebucket"])");
  auto form = aws_example_form();
  form.fields[0].second = "user/user2/${filename}";
  check_condition_failed(evaluate_post_form(form, "sigv4examplebucket", keys, at(2015, 12, 29)),
                         R"(["starts-with", "$key", "user/user1/"])");
}

// --- Signing like boto3 --------------------------------------------------------------------------

TEST_CASE("post_policy: sign_post_form reproduces boto3's generate_presigned_post byte for byte",
          "[post_policy]") {
  // botocore 1.43 with the clock at 2015-12-29T00:00:00Z, signature_version s3v4, us-east-1.
  post_form_request request;
  request.bucket = "sigv4examplebucket";
  request.key = "user/user1/photo.jpg";
  const auto form = sign_post_form(request, example_key, at(2015, 12, 29));
  CHECK(form.policy ==
        R"({"expiration": "2015-12-29T01:00:00Z", "conditions": [{"bucket": "sigv4examplebucket"}, )"
        R"({"key": "user/user1/photo.jpg"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, )"
        R"({"x-amz-credential": "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"}, )"
        R"({"x-amz-date": "20151229T000000Z"}]})");
  CHECK(form.fields ==
        fields_t{
            {"key", "user/user1/photo.jpg"},
            {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
            {"x-amz-credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"},
            {"x-amz-date", "20151229T000000Z"},
            {"policy",
             "eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMjlUMDE6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAic2lndjR"
             "leGFtcGxl"
             "YnVja2V0In0sIHsia2V5IjogInVzZXIvdXNlcjEvcGhvdG8uanBnIn0sIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1"
             "BQy1TSEEy"
             "NTYifSwgeyJ4LWFtei1jcmVkZW50aWFsIjogIkFLSUFJT1NGT0ROTjdFWEFNUExFLzIwMTUxMjI5L3VzLWVhc3QtMS9zMy9"
             "hd3M0X3Jl"
             "cXVlc3QifSwgeyJ4LWFtei1kYXRlIjogIjIwMTUxMjI5VDAwMDAwMFoifV19"},
            {"x-amz-signature", "3364624b39010d9b06f5d9b8c9a18a6e478d261c048159c92f2fd6fa885f14e6"},
        });
}

TEST_CASE("post_policy: sign_post_form with fields, conditions and ${filename}, as boto3", "[post_policy]") {
  // generate_presigned_post(Bucket, "user/user1/${filename}", ExpiresIn=600,
  //   Fields={"acl": "public-read", "Content-Type": "image/png"},
  //   Conditions=[{"acl": "public-read"}, ["starts-with", "$Content-Type", "image/"],
  //               ["content-length-range", 1, 1048576]])
  post_form_request request;
  request.bucket = "sigv4examplebucket";
  request.key = "user/user1/${filename}";
  request.fields = {{"acl", "public-read"}, {"Content-Type", "image/png"}};
  request.conditions = {R"({"acl": "public-read"})", R"(["starts-with", "$Content-Type", "image/"])",
                        R"(["content-length-range", 1, 1048576])"};
  request.expires_in = std::chrono::seconds{600};
  const auto form = sign_post_form(request, example_key, at(2015, 12, 29));
  REQUIRE(form.fields.size() == 8);
  CHECK(form.fields[0] == std::pair<std::string, std::string>{"acl", "public-read"});
  CHECK(form.fields[2] == std::pair<std::string, std::string>{"key", "user/user1/${filename}"});
  CHECK(
      form.fields[6].second ==
      "eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMjlUMDA6MTA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJhY2wiOiAicHVibGljLXJlYWQifS"
      "wgWy"
      "JzdGFydHMtd2l0aCIsICIkQ29udGVudC1UeXBlIiwgImltYWdlLyJdLCBbImNvbnRlbnQtbGVuZ3RoLXJhbmdlIiwgMSwgMTA0ODU3"
      "Nl0s"
      "IHsiYnVja2V0IjogInNpZ3Y0ZXhhbXBsZWJ1Y2tldCJ9LCBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwgey"
      "J4LW"
      "Ftei1hbGdvcml0aG0iOiAiQVdTNC1ITUFDLVNIQTI1NiJ9LCB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1Q"
      "TEUv"
      "MjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LCB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiJ9XX0=");
  CHECK(form.fields[7].second == "2542a7fa16046c48e838af72056572376438e2f9bd5781a4a7eb2b6ac0f331df");

  // And the service accepts what it signed, until it expires.
  const credential_set keys({example_key});
  const auto upload = evaluate_post_form(make_form(form.fields, "cat.png"), "sigv4examplebucket", keys,
                                         at(2015, 12, 29, 0, 10));
  REQUIRE(upload.has_value());
  CHECK(upload->key == "user/user1/cat.png");
  check_error(
      evaluate_post_form(make_form(form.fields), "sigv4examplebucket", keys, at(2015, 12, 29, 0, 10, 1)),
      error::access_denied, "Invalid according to Policy: Policy expired.");
}

TEST_CASE("post_policy: sign_post_form escapes like json.dumps", "[post_policy]") {
  post_form_request request;
  request.bucket = "b";
  request.key = "caf\xC3\xA9 \"quoted\"\\";
  request.region = "eu-west-3";
  const auto form = sign_post_form(request, credential{"AK", "SK"}, at(2024, 2, 29, 23, 59, 59));
  CHECK(
      form.policy ==
      R"({"expiration": "2024-03-01T00:59:59Z", "conditions": [{"bucket": "b"}, )"
      R"({"key": "caf\u00e9 \"quoted\"\\"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, )"
      R"({"x-amz-credential": "AK/20240229/eu-west-3/s3/aws4_request"}, {"x-amz-date": "20240229T235959Z"}]})");
}

// --- Authentication modes ------------------------------------------------------------------------

TEST_CASE("post_policy: a form without signing fields is anonymous, for the caller to judge",
          "[post_policy]") {
  const fields_t fields{{"key", "k"}, {"acl", "public-read"}, {"x-amz-meta-a", "1"}};
  const auto keys = GENERATE(as<std::vector<credential>>{}, std::vector<credential>{},
                             std::vector<credential>{{"AK", "SK"}});
  const auto result = evaluate_post_form(make_form(fields), "b", credential_set(keys), now);
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::anonymous);
  CHECK(result->access_key_id.empty());
  CHECK(result->key == "k");
}

TEST_CASE("post_policy: a policy without signing fields is anonymous but still enforced", "[post_policy]") {
  // S3 treats key + policy alone as anonymous (403 on a private bucket).
  const auto keys = GENERATE(as<std::vector<credential>>{}, std::vector<credential>{},
                             std::vector<credential>{{"AK", "SK"}});
  const credential_set set(keys);
  auto result = evaluate_post_form(
      make_form({{"key", "k"}, {"policy", b64(policy(R"(["eq", "$key", "k"])"))}}), "b", set, now);
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::anonymous);
  result = evaluate_post_form(make_form({{"key", "x"}, {"policy", b64(policy(R"(["eq", "$key", "k"])"))}}),
                              "b", set, now);
  check_condition_failed(result, R"(["eq", "$key", "k"])");
}

TEST_CASE("post_policy: with no credentials any signature passes but the policy holds", "[post_policy]") {
  signed_form form({R"(["starts-with", "$key", "user/"])"});
  form.set("x-amz-signature", "not-even-hex");
  auto result = evaluate_post_form(make_form(form.fields), "b", credential_set{}, now);
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::unverified);
  CHECK(result->access_key_id == "AKIDEXAMPLE");

  // The policy's expiration and conditions are still enforced.
  result = evaluate_post_form(make_form(form.fields), "b", credential_set{}, now + std::chrono::hours{2});
  check_error(result, error::access_denied, "Invalid according to Policy: Policy expired.");
  form.set("key", "other/${filename}");
  result = evaluate_post_form(make_form(form.fields), "b", credential_set{}, now);
  check_condition_failed(result, R"(["starts-with", "$key", "user/"])");

  // Signing fields without a policy: nothing to enforce.
  form.remove("policy");
  result = evaluate_post_form(make_form(form.fields), "b", credential_set{}, now);
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::unverified);
}

TEST_CASE("post_policy: a signed form round-trips through sign_post_form", "[post_policy]") {
  const signed_form form({R"(["content-length-range", 0, 100])"});
  const auto result = form.evaluate();
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::verified);
  CHECK(result->access_key_id == "AKIDEXAMPLE");
  CHECK(result->key == "user/hello.txt");
}

std::string field_of(const error_detail& detail, std::string_view name) {
  for (const auto& [n, v] : detail.fields) {
    if (n == name) return v;
  }
  return "<absent>";
}

TEST_CASE("post_policy: SigV2 forms", "[post_policy]") {
  const std::string doc = b64(policy(R"({"bucket": "b"}, ["starts-with", "$key", ""])"));
  const credential_set keys(std::vector<credential>{{"AK", "SK"}});
  // The signature is base64(HMAC-SHA1(secret, policy as sent)).
  const std::string signature = s3cors::auth::sigv2_signature("SK", doc);
  const fields_t fields{{"key", "k"}, {"AWSAccessKeyId", "AK"}, {"policy", doc}, {"signature", signature}};
  // Verified; AWSAccessKeyId and signature need no condition.
  const auto verified = evaluate_post_form(make_form(fields), "b", keys, now);
  REQUIRE(verified.has_value());
  CHECK(verified->auth == post_auth::verified);
  CHECK(verified->access_key_id == "AK");
  CHECK(verified->version == s3cors::auth::signature_version::v2);
  // Refused as S3's SigV4-only regions refuse it when SigV2 is off.
  check_error(evaluate_post_form(make_form(fields), "b", keys, now, false), error::invalid_request,
              "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.");
  // A wrong signature, an unknown key, a missing field.
  fields_t wrong = fields;
  wrong[3].second = "c2lnbmF0dXJl";
  const auto mismatch = evaluate_post_form(make_form(wrong), "b", keys, now);
  REQUIRE_FALSE(mismatch.has_value());
  CHECK(mismatch.error().code == error::signature_does_not_match);
  CHECK(field_of(mismatch.error(), "StringToSign") == doc);
  CHECK(field_of(mismatch.error(), "SignatureProvided") == "c2lnbmF0dXJl");
  CHECK(field_of(mismatch.error(), "AWSAccessKeyId") == "AK");
  fields_t stranger = fields;
  stranger[1].second = "STRANGER";
  const auto unknown = evaluate_post_form(make_form(stranger), "b", keys, now);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code == error::invalid_access_key_id);
  const auto no_signature = evaluate_post_form(make_form({fields[0], fields[1], fields[2]}), "b", keys, now);
  REQUIRE_FALSE(no_signature.has_value());
  CHECK(no_signature.error().code == error::invalid_argument);
  CHECK(field_of(no_signature.error(), "ArgumentName") == "Signature");
  // The policy is still enforced.
  const auto other_bucket = evaluate_post_form(make_form(fields), "other", keys, now);
  REQUIRE_FALSE(other_bucket.has_value());
  CHECK(other_bucket.error().code == error::access_denied);
  // Without credentials, accepted unverified.
  const auto result = evaluate_post_form(make_form(fields), "b", credential_set{}, now);
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::unverified);
  CHECK(result->access_key_id == "AK");
}

// --- Signature errors ----------------------------------------------------------------------------

TEST_CASE("post_policy: once any SigV4 field is sent all are required, named as S3 names them",
          "[post_policy]") {
  struct row {
    std::vector<std::string_view> removed;
    std::string_view named;
  };
  const auto r = GENERATE(values<row>({
      {{"x-amz-algorithm"}, "X-Amz-Algorithm"},
      {{"x-amz-algorithm", "x-amz-credential"}, "X-Amz-Algorithm"},  // algorithm is named first (observed)
      {{"x-amz-credential"}, "X-Amz-Credential"},
      {{"x-amz-date"}, "X-Amz-Date"},
      {{"x-amz-signature"}, "X-Amz-Signature"},
      {{"policy"}, "Policy"},
      {{"x-amz-credential", "x-amz-date"}, "X-Amz-Credential"},
  }));
  signed_form form;
  for (const auto name : r.removed) form.remove(name);
  const auto result = form.evaluate();
  check_error(result, error::invalid_argument,
              "Bucket POST must contain a field named '" + std::string(r.named) +
                  "'.  If it is specified, please check the order of the fields.");
  CHECK(result.error().fields == fields_t{{"ArgumentName", std::string(r.named)}, {"ArgumentValue", ""}});
}

TEST_CASE("post_policy: malformed signing fields are InvalidArgument", "[post_policy]") {
  struct row {
    std::string_view field;
    std::string_view value;
    std::string_view message;
    std::string_view argument;
  };
  const auto r = GENERATE(values<row>({
      {"x-amz-algorithm", "AWS4-HMAC-SHA1", R"(X-Amz-Algorithm only supports "AWS4-HMAC-SHA256")",
       "X-Amz-Algorithm"},
      {"x-amz-date", "2025-06-01T12:00:00Z", "X-Amz-Date must be formated via ISO8601 Long format",
       "X-Amz-Date"},
      {"x-amz-date", "20250631T120000Z", "X-Amz-Date must be formated via ISO8601 Long format", "X-Amz-Date"},
      {"x-amz-credential", "AKIDEXAMPLE/20250601/us-east-1/s3",
       R"(the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".)",
       "X-Amz-Credential"},
      {"x-amz-credential", "AKIDEXAMPLE/20250601//s3/aws4_request",
       R"(the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".)",
       "X-Amz-Credential"},
      {"x-amz-credential", "/20250601/us-east-1/s3/aws4_request",
       "a non-empty Access Key (AKID) must be provided in the credential.", "X-Amz-Credential"},
      {"x-amz-credential", "AKIDEXAMPLE/2025-06-01/us-east-1/s3/aws4_request",
       R"(incorrect date format "2025-06-01". This date in the credential must be in the format "yyyyMMdd".)",
       "X-Amz-Credential"},
      {"x-amz-credential", "AKIDEXAMPLE/20250601/us-east-1/ec2/aws4_request",
       R"(incorrect service "ec2". This endpoint belongs to "s3".)", "X-Amz-Credential"},
      {"x-amz-credential", "AKIDEXAMPLE/20250601/us-east-1/s3/aws4_reqest",
       R"(incorrect terminal "aws4_reqest". This endpoint uses "aws4_request".)", "X-Amz-Credential"},
  }));
  CAPTURE(r.field, r.value);
  signed_form form;
  form.set(r.field, std::string(r.value));
  const auto result = form.evaluate();
  check_error(result, error::invalid_argument, r.message);
  CHECK(result.error().fields ==
        fields_t{{"ArgumentName", std::string(r.argument)}, {"ArgumentValue", std::string(r.value)}});
}

TEST_CASE("post_policy: an unknown access key is InvalidAccessKeyId", "[post_policy]") {
  signed_form form;
  form.set("x-amz-credential", "NOBODY/20250601/us-east-1/s3/aws4_request");
  const auto result = form.evaluate();
  check_error(result, error::invalid_access_key_id, "");  // the table's message
  CHECK(result.error().fields == fields_t{{"AWSAccessKeyId", "NOBODY"}});
}

TEST_CASE("post_policy: a wrong signature is SignatureDoesNotMatch over the policy as sent",
          "[post_policy]") {
  signed_form form;
  const std::string doc = form.get("policy");
  const std::string sig = form.get("x-amz-signature");
  struct row {
    std::string policy;
    std::string signature;
  };
  const auto r = GENERATE_COPY(values<row>({
      {doc, std::string(64, '0')},
      {doc, ""},
      {doc.substr(0, doc.size() - 2), sig},  // a truncated policy is not InvalidPolicyDocument
      {doc + "\n", sig},
  }));
  form.set("policy", r.policy);
  form.set("x-amz-signature", r.signature);
  const auto result = form.evaluate();
  check_error(result, error::signature_does_not_match, "");
  REQUIRE(result.error().fields.size() == 4);
  CHECK(result.error().fields[0] == std::pair<std::string, std::string>{"AWSAccessKeyId", "AKIDEXAMPLE"});
  CHECK(result.error().fields[1] == std::pair<std::string, std::string>{"StringToSign", r.policy});
  CHECK(result.error().fields[2] == std::pair<std::string, std::string>{"SignatureProvided", r.signature});
  CHECK(result.error().fields[3].first == "StringToSignBytes");
  CHECK(result.error().fields[3].second.starts_with("65 79 4a 6c"));  // "eyJl"
  CHECK(result.error().fields[3].second.size() == r.policy.size() * 3 - 1);
}

TEST_CASE("post_policy: the key and region in the credential select the signing key", "[post_policy]") {
  signed_form form;
  form.request.region = "ap-south-2";
  form.fields = sign_post_form(form.request, form.key, now).fields;
  CHECK(form.evaluate().has_value());
  form.set("x-amz-credential", "AKIDEXAMPLE/20250601/us-east-1/s3/aws4_request");
  CHECK(form.evaluate().error().code == error::signature_does_not_match);
}

// --- The key field and ${filename} ---------------------------------------------------------------

TEST_CASE("post_policy: a form without a key is InvalidArgument naming key", "[post_policy]") {
  const auto fields = GENERATE(as<fields_t>{}, fields_t{}, fields_t{{"acl", "private"}},
                               fields_t{{"key", ""}}, fields_t{{"KEY", "${filename}"}});
  // The last: ${filename} of an empty file name leaves no key.
  const auto result = evaluate_post_form(make_form(fields, ""), "b", credential_set{}, now);
  check_error(result, error::invalid_argument,
              "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of "
              "the fields.");
  CHECK(result.error().fields == fields_t{{"ArgumentName", "key"}, {"ArgumentValue", ""}});
}

TEST_CASE("post_policy: a form without its file is refused as the parser would", "[post_policy]") {
  auto form = make_form({{"key", "k"}});
  form.has_file = false;
  const auto result = evaluate_post_form(form, "b", credential_set{}, now);
  check_error(result, error::invalid_argument, "POST requires exactly one file upload per request.");
  CHECK(result.error().fields == fields_t{{"ArgumentName", "file"}, {"ArgumentValue", "0"}});
}

TEST_CASE("post_policy: ${filename} is the file name after the last slash or backslash", "[post_policy]") {
  struct row {
    std::optional<std::string> filename;
    std::string_view key;
  };
  const auto r = GENERATE(values<row>({
      {"photo.jpg", "u/photo.jpg"},
      {"C:\\Program Files\\directory1\\file.txt", "u/file.txt"},
      {"a/b/c.txt", "u/c.txt"},
      {"dir/", "u/"},
      {"", "u/"},
      {std::nullopt, "u/${filename}"},  // no filename parameter: kept as is (observed on S3)
  }));
  CAPTURE(r.filename.value_or("(none)"));
  const auto result =
      evaluate_post_form(make_form({{"key", "u/${filename}"}}, r.filename), "b", credential_set{}, now);
  REQUIRE(result.has_value());
  CHECK(result->key == r.key);
}

TEST_CASE("post_policy: ${filename} is expanded in every field before the policy is checked",
          "[post_policy]") {
  const std::string doc =
      b64(policy(R"(["eq", "$key", "in/a.txt/a.txt"], ["eq", "$x-amz-meta-name", "a.txt"])"));
  const auto result = evaluate_post_form(
      make_form({{"key", "in/${filename}/${filename}"}, {"x-amz-meta-name", "${filename}"}, {"policy", doc}},
                "a.txt"),
      "b", credential_set{}, now);
  REQUIRE(result.has_value());
  CHECK(result->key == "in/a.txt/a.txt");
  CHECK(result->headers == fields_t{{"x-amz-meta-name", "a.txt"}});
}

// --- Conditions ----------------------------------------------------------------------------------

namespace {

struct condition_row {
  std::string_view condition;  ///< one condition, JSON
  fields_t fields;             ///< besides key=k and policy
  std::string_view bucket;
  bool is_met;
};

void check_condition(const condition_row& r) {
  CAPTURE(r.condition, r.fields, r.bucket);
  fields_t fields{{"key", "k"},
                  {"policy", b64(policy(std::string(r.condition) + R"(, ["starts-with", "$key", ""])"))}};
  fields.insert(fields.end(), r.fields.begin(), r.fields.end());
  const auto result = unsigned_eval(fields, r.bucket);
  if (r.is_met) {
    CHECK(result.has_value());
  } else {
    REQUIRE(result.has_error());
    CHECK(result.error().code == error::access_denied);
    CHECK(result.error().message.starts_with("Invalid according to Policy: Policy Condition failed: ["));
  }
}

}  // namespace

TEST_CASE("post_policy: exact-match conditions", "[post_policy]") {
  check_condition(GENERATE(values<condition_row>({
      {R"({"acl": "public-read"})", {{"acl", "public-read"}}, "b", true},
      {R"({"acl": "public-read"})", {{"acl", "private"}}, "b", false},
      {R"({"acl": "public-read"})", {{"acl", "Public-Read"}}, "b", false},  // values are case-sensitive
      {R"({"acl": "public-read"})", {}, "b", false},                        // a missing field fails
      {R"(["eq", "$acl", "public-read"])", {{"acl", "public-read"}}, "b", true},
      {R"(["eq", "$acl", "public-read"])", {{"acl", "public-read "}}, "b", false},
      {R"(["eq", "$acl", ""])", {{"acl", ""}}, "b", true},
      {R"(["eq", "$acl", ""])", {}, "b", false},
      {R"(["eq", "acl", "public-read"])", {{"acl", "public-read"}}, "b", false},  // no '$': matches nothing
      {R"({"bucket": "b"})", {}, "b", true},                                      // the bucket is the URL's
      {R"({"bucket": "b"})", {}, "c", false},
      {R"(["eq", "$bucket", "b"])", {{"bucket", "b"}}, "b", true},  // a bucket field is covered by it
      {R"(["eq", "$bucket", "b"])", {{"bucket", "b"}}, "c", false},
      {R"({"success_action_status": "201"})", {{"success_action_status", "201"}}, "b", true},
  })));
}

TEST_CASE("post_policy: starts-with conditions", "[post_policy]") {
  check_condition(GENERATE(values<condition_row>({
      {R"(["starts-with", "$acl", "public-"])", {{"acl", "public-read"}}, "b", true},
      {R"(["starts-with", "$acl", "public-"])", {{"acl", "Public-read"}}, "b", false},
      {R"(["starts-with", "$acl", "public-"])", {{"acl", "public"}}, "b", false},
      {R"(["starts-with", "$acl", ""])", {{"acl", "anything"}}, "b", true},
      {R"(["starts-with", "$acl", ""])", {{"acl", ""}}, "b", true},
      {R"(["starts-with", "$acl", ""])", {}, "b", false},  // an absent field fails even "" (observed)
      {R"(["starts-with", "$Content-Type", "image/"])", {{"Content-Type", "image/png"}}, "b", true},
      // Content-Type lists: every member must start with the prefix.
      {R"(["starts-with", "$Content-Type", "image/"])",
       {{"Content-Type", "image/jpg,image/png,image/gif"}},
       "b",
       true},
      {R"(["starts-with", "$Content-Type", "image/"])",
       {{"Content-Type", "image/jpg, image/png"}},
       "b",
       true},
      {R"(["starts-with", "$Content-Type", "image/"])",
       {{"Content-Type", "image/jpg,text/plain"}},
       "b",
       false},
      {R"(["starts-with", "$Content-Type", "image/"])", {{"Content-Type", "image/jpg,"}}, "b", false},
      // Other fields are strings, commas and all.
      {R"(["starts-with", "$x-amz-meta-a", "x/"])", {{"x-amz-meta-a", "x/1,y/2"}}, "b", true},
      {R"(["starts-with", "$bucket", "b"])", {}, "bucket", true},
  })));
}

TEST_CASE("post_policy: condition names and operators are case-insensitive, values are not",
          "[post_policy]") {
  check_condition(GENERATE(values<condition_row>({
      {R"(["StArTs-WiTh", "$CoNtEnT-TyPe", "text/"])", {{"cOnTeNt-tYpE", "text/plain"}}, "b", true},
      {R"(["EQ", "$ACL", "private"])", {{"aCl", "private"}}, "b", true},
      {R"({"AcL": "private"})", {{"ACL", "private"}}, "b", true},
      {R"({"bUcKeT": "b"})", {}, "b", true},
      {R"({"x-amz-meta-test-2": "v"})", {{"x-amz-meta-TEST-2", "v"}}, "b", true},
  })));
}

TEST_CASE("post_policy: a failed condition is printed as the policy spells it", "[post_policy]") {
  struct row {
    std::string_view condition;
    std::string_view rendered;
  };
  const auto r = GENERATE(values<row>({
      {R"({"acl": "private"})", R"(["eq", "$acl", "private"])"},
      {R"({"ACL":"private"})", R"(["eq", "$ACL", "private"])"},
      {R"(["EQ","$Acl","private"])", R"(["EQ", "$Acl", "private"])"},
      {R"(["starts-with", "$acl", "priv"])", R"(["starts-with", "$acl", "priv"])"},
      {R"(["eq", "acl", "private"])", R"(["eq", "acl", "private"])"},
      {R"({"Content-Disposition": "filename=\"test.png\""})",
       R"(["eq", "$Content-Disposition", "filename=\"test.png\""])"},
      {R"(["content-length-range", "test", "10"])", R"(["content-length-range", "test", "10"])"},
  }));
  CAPTURE(r.condition);
  check_condition_failed(unsigned_eval({{"key", "k"}, {"policy", b64(policy(r.condition))}}), r.rendered);
}

TEST_CASE("post_policy: content-length-range bounds the file size, inclusive", "[post_policy]") {
  struct row {
    std::string_view range;
    std::string_view data;
    std::optional<error> code;
  };
  const auto r = GENERATE(values<row>({
      {R"(["content-length-range", 5, 10])", "12345", std::nullopt},
      {R"(["content-length-range", 5, 10])", "1234567890", std::nullopt},
      {R"(["content-length-range", "5", "10"])", "1234567", std::nullopt},  // strings of digits (observed)
      {R"(["Content-Length-Range", 0, 0])", "", std::nullopt},
      {R"(["content-length-range", 5, 10])", "1234", error::entity_too_small},
      {R"(["content-length-range", 5, 10])", "12345678901", error::entity_too_large},
      {R"(["content-length-range", 0, 0])", "abc", error::entity_too_large},
  }));
  CAPTURE(r.range, r.data);
  const auto result = unsigned_eval({{"key", "k"}, {"policy", b64(policy_k(r.range))}}, "b", r.data);
  if (!r.code) {
    CHECK(result.has_value());
  } else if (*r.code == error::entity_too_small) {
    check_error(result, error::entity_too_small,
                "Your proposed upload is smaller than the minimum allowed size");
    CHECK(result.error().fields == fields_t{{"ProposedSize", "4"}, {"MinSizeAllowed", "5"}});
  } else {
    check_error(result, error::entity_too_large, "Your proposed upload exceeds the maximum allowed size");
    CHECK(result.error().fields == fields_t{{"ProposedSize", std::to_string(r.data.size())},
                                            {"MaxSizeAllowed", r.data.size() == 3 ? "0" : "10"}});
  }
}

TEST_CASE("post_policy: a streamed file's size is checked after the fields: running, then final",
          "[post_policy]") {
  // The form is evaluated when the file begins, before any of its bytes (make_form's are not read).
  const std::string doc = b64(policy_k(R"(["content-length-range", 5, 10])"));
  const auto upload = evaluate_post_form_fields(
      make_form({{"key", "k"}, {"policy", doc}}, "hello.txt", std::string(100, 'x')), "b", credential_set{},
      now);
  REQUIRE(upload.has_value());
  CHECK(upload->data.empty());
  CHECK(upload->size_ranges == std::vector<content_length_range>{{5, 10}});

  struct row {
    std::uint64_t size;
    post_size_check when;
    std::optional<error> code;
  };
  const auto r = GENERATE(values<row>({
      {0, post_size_check::running, std::nullopt},  // too small only once final
      {4, post_size_check::running, std::nullopt},
      {10, post_size_check::running, std::nullopt},
      {11, post_size_check::running, error::entity_too_large},  // as soon as the maximum is passed
      {0, post_size_check::final, error::entity_too_small},
      {4, post_size_check::final, error::entity_too_small},
      {5, post_size_check::final, std::nullopt},
      {10, post_size_check::final, std::nullopt},
      {11, post_size_check::final, error::entity_too_large},
  }));
  CAPTURE(r.size, r.when == post_size_check::final);
  const auto failure = check_post_size(*upload, r.size, r.when);
  REQUIRE(failure.has_value() == r.code.has_value());
  if (!failure) return;
  CHECK(failure->code == *r.code);
  if (*r.code == error::entity_too_large) {
    CHECK(failure->message == "Your proposed upload exceeds the maximum allowed size");
    CHECK(failure->fields == fields_t{{"ProposedSize", std::to_string(r.size)}, {"MaxSizeAllowed", "10"}});
  } else {
    CHECK(failure->message == "Your proposed upload is smaller than the minimum allowed size");
    CHECK(failure->fields == fields_t{{"ProposedSize", std::to_string(r.size)}, {"MinSizeAllowed", "5"}});
  }
}

TEST_CASE("post_policy: fields then size gives evaluate_post_form's answer for one size condition",
          "[post_policy]") {
  struct row {
    std::string_view range;
    std::size_t size;
  };
  const auto r = GENERATE(values<row>({
      {R"(["content-length-range", 5, 10])", 4},
      {R"(["content-length-range", 5, 10])", 5},
      {R"(["content-length-range", 5, 10])", 10},
      {R"(["content-length-range", 5, 10])", 11},
      {R"(["content-length-range", "5", "10"])", 7},
      {R"(["Content-Length-Range", 0, 0])", 0},
      {R"(["content-length-range", 0, 0])", 1},
      {R"(["content-length-range", "test", "10"])", 7},  // fails whatever the size
      {R"(["content-length-range", 10, 5])", 7},         // no size fits
  }));
  CAPTURE(r.range, r.size);
  const std::string data(r.size, 'd');
  const fields_t fields{{"key", "k"}, {"policy", b64(policy_k(r.range))}};
  const auto whole = unsigned_eval(fields, "b", data);
  auto streamed = evaluate_post_form_fields(make_form(fields, "hello.txt", ""), "b", credential_set{}, now);
  std::optional<error_detail> failure;
  if (!streamed) {
    failure = streamed.error();
  } else {
    // The whole file in one piece: a running check, then the final one.
    failure = check_post_size(*streamed, r.size, post_size_check::running);
    if (!failure) failure = check_post_size(*streamed, r.size, post_size_check::final);
  }
  REQUIRE(whole.has_value() == !failure.has_value());
  if (!failure) return;
  CHECK(failure->code == whole.error().code);
  CHECK(failure->message == whole.error().message);
  CHECK(failure->fields == whole.error().fields);
}

TEST_CASE("post_policy: several size conditions all apply, the first broken in policy order answers",
          "[post_policy]") {
  const std::string doc = b64(policy_k(R"(["content-length-range", 0, 100], ["content-length-range", 5, 8], )"
                                       R"(["content-length-range", 2, 9])"));
  const auto upload =
      evaluate_post_form_fields(make_form({{"key", "k"}, {"policy", doc}}), "b", credential_set{}, now);
  REQUIRE(upload.has_value());
  CHECK(upload->size_ranges == std::vector<content_length_range>{{0, 100}, {5, 8}, {2, 9}});
  CHECK_FALSE(check_post_size(*upload, 8, post_size_check::running).has_value());
  auto failure = check_post_size(*upload, 9, post_size_check::running);
  REQUIRE(failure.has_value());
  CHECK(failure->fields == fields_t{{"ProposedSize", "9"}, {"MaxSizeAllowed", "8"}});
  failure = check_post_size(*upload, 1, post_size_check::final);
  REQUIRE(failure.has_value());
  CHECK(failure->fields == fields_t{{"ProposedSize", "1"}, {"MinSizeAllowed", "5"}});
  CHECK_FALSE(check_post_size(*upload, 6, post_size_check::final).has_value());
}

TEST_CASE("post_policy: without a size condition any streamed size passes", "[post_policy]") {
  const auto fields =
      GENERATE(as<fields_t>{}, fields_t{{"key", "k"}},
               fields_t{{"key", "k"}, {"policy", b64(policy(R"(["starts-with", "$key", ""])"))}});
  const auto upload = evaluate_post_form_fields(make_form(fields), "b", credential_set{}, now);
  REQUIRE(upload.has_value());
  CHECK(upload->size_ranges.empty());
  CHECK_FALSE(check_post_size(*upload, 0, post_size_check::final).has_value());
  CHECK_FALSE(check_post_size(*upload, std::uint64_t{1} << 40U, post_size_check::running).has_value());
}

TEST_CASE("post_policy: when the file begins, the fields answer before the size", "[post_policy]") {
  // evaluate_post_form reports the first broken condition in policy order; the streamed path
  // checks the size last, so the other condition answers (documented).
  const std::string doc = b64(policy(R"(["content-length-range", 0, 1], {"acl": "private"})"));
  CHECK(unsigned_eval({{"key", "k"}, {"policy", doc}}).error().code == error::entity_too_large);
  const auto upload =
      evaluate_post_form_fields(make_form({{"key", "k"}, {"policy", doc}}), "b", credential_set{}, now);
  REQUIRE(upload.has_error());
  CHECK(upload.error().code == error::access_denied);
}

TEST_CASE("post_policy: AWS's example form through the streaming parser", "[post_policy]") {
  std::string body;
  for (const auto& [name, value] : aws_example_form().fields) {
    body += "--xYzZY\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  body += "--xYzZY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"MyPhoto.jpg\"\r\n";
  body += "Content-Type: image/jpeg\r\n\r\nJPEG\r\n--xYzZY--\r\n";
  auto stream = s3cors::http::multipart_form_stream::create("multipart/form-data; boundary=xYzZY");
  REQUIRE(stream.has_value());
  std::optional<post_upload> upload;
  std::string stored;
  bool ended = false;
  // Byte by byte: the upload is evaluated at the file's first byte and its size checked as it grows.
  for (const char c : body) {
    const auto events = stream->feed(std::string_view(&c, 1));
    REQUIRE(events.has_value());
    if (events->file_begin != nullptr) {
      auto evaluated = evaluate_post_form_fields(*events->file_begin, "sigv4examplebucket",
                                                 credential_set({example_key}), at(2015, 12, 29, 1));
      REQUIRE(evaluated.has_value());
      upload = std::move(*evaluated);
    }
    for (const auto slice : events->file_data()) stored += slice;
    if (upload) {
      REQUIRE_FALSE(check_post_size(*upload, stream->file_size(), post_size_check::running).has_value());
    }
    ended = ended || events->file_end;
  }
  REQUIRE(stream->finish().has_value());
  CHECK(ended);
  REQUIRE(upload.has_value());
  CHECK_FALSE(check_post_size(*upload, stream->file_size(), post_size_check::final).has_value());
  CHECK(upload->key == "user/user1/MyPhoto.jpg");
  CHECK(upload->data.empty());
  CHECK(stored == "JPEG");
}

TEST_CASE("post_policy: repeated fields are matched as their values joined by commas", "[post_policy]") {
  const std::string doc = b64(policy_k(R"({"x-amz-meta-tag": "Ninja,Stallman"})"));
  const auto result = unsigned_eval(
      {{"key", "k"}, {"x-amz-meta-tag", "Ninja"}, {"policy", doc}, {"X-Amz-Meta-Tag", "Stallman"}});
  REQUIRE(result.has_value());
  CHECK(result->headers == fields_t{{"x-amz-meta-tag", "Ninja,Stallman"}});
}

TEST_CASE("post_policy: conditions are checked in order, the first failure answers", "[post_policy]") {
  const std::string doc = b64(policy(R"(["content-length-range", 0, 1], {"acl": "private"})"));
  CHECK(unsigned_eval({{"key", "k"}, {"policy", doc}}).error().code == error::entity_too_large);
  const std::string reversed = b64(policy(R"({"acl": "private"}, ["content-length-range", 0, 1])"));
  CHECK(unsigned_eval({{"key", "k"}, {"policy", reversed}}).error().code == error::access_denied);
}

// --- Fields no condition covers ------------------------------------------------------------------

TEST_CASE("post_policy: every field needs a condition, but a few", "[post_policy]") {
  const std::string doc = b64(policy(R"(["starts-with", "$key", ""])"));
  struct row {
    fields_t extra;
    std::string_view listed;  ///< empty: accepted
  };
  const auto r = GENERATE_COPY(values<row>({
      {{{"x-amz-meta-note", "n"}}, "x-amz-meta-note"},
      {{{"Filename", "f"}}, "Filename"},
      {{{"Content-Type", "text/plain"}, {"acl", "private"}}, "Content-Type, acl"},
      {{{"bucket", "b"}}, "bucket"},
      {{{"x-ignore-tracker", "1"}, {"X-Ignore-Other", "2"}}, ""},
      {{{"X-Amz-Signature", "unverified"}}, ""},
      {{{"AWSAccessKeyId", "AK"}, {"signature", "s"}}, ""},  // SigV2 forms: their signing fields
      {{{"AWSAccessKeyId", "AK"}, {"x-amz-signature", "s"}}, "AWSAccessKeyId"},
  }));
  CAPTURE(r.extra);
  fields_t fields{{"key", "k"}, {"Policy", doc}};
  fields.insert(fields.end(), r.extra.begin(), r.extra.end());
  const auto result = unsigned_eval(fields);
  if (r.listed.empty()) {
    CHECK(result.has_value());
  } else {
    check_error(result, error::access_denied,
                "Invalid according to Policy: Extra input fields: " + std::string(r.listed));
  }
}

TEST_CASE("post_policy: a signed form's own fields need their conditions too", "[post_policy]") {
  // sign_post_form covers what it adds; an extra field needs a condition, as with boto3.
  signed_form uncovered({}, {{"acl", "private"}});
  check_error(uncovered.evaluate(), error::access_denied,
              "Invalid according to Policy: Extra input fields: acl");
  signed_form covered({R"({"acl": "private"})"}, {{"acl", "private"}});
  const auto result = covered.evaluate();
  REQUIRE(result.has_value());
  CHECK(result->acl == "private");
}

// --- The policy document -------------------------------------------------------------------------

TEST_CASE("post_policy: a policy S3 cannot read is InvalidPolicyDocument", "[post_policy]") {
  struct row {
    std::string policy_base64;
    std::string_view message;
  };
  const auto r = GENERATE(values<row>({
      {"not base64!", "Invalid Policy: invalid Base64 encoding."},
      {"eyJ", "Invalid Policy: invalid Base64 encoding."},
      {b64("not json"), "Invalid Policy: Invalid JSON."},
      {b64(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [{"acl": "x"},]})"),
       "Invalid Policy: Invalid JSON."},
      {b64(R"(["expiration"])"), "Invalid Policy: Invalid JSON."},
      {b64("\"text\""), "Invalid Policy: Invalid JSON."},
      {b64(R"({"Version": "2012-10-17", "Statement": []})"), "Invalid Policy: Unexpected: 'version'"},
      {b64(R"({"EXPIRATION": "2030-01-01T00:00:00Z", "conditions": []})"),
       "Invalid Policy: Unexpected: 'expiration'"},
      {b64(R"({"conditions": []})"), "Invalid Policy: Policy missing expiration."},
      {b64(R"({"expiration": "2030-01-01T00:00:00Z"})"), "Invalid Policy: Policy missing conditions."},
      {b64(policy("", "2011-09-13T07:52:58+02:00")),
       "Invalid Policy: Invalid 'expiration' value: '2011-09-13T07:52:58+02:00'"},
      {b64(policy("", "2015-10-17 03:15:59 UTC")),
       "Invalid Policy: Invalid 'expiration' value: '2015-10-17 03:15:59 UTC'"},
      {b64(policy("", "2030-02-30T00:00:00Z")),
       "Invalid Policy: Invalid 'expiration' value: '2030-02-30T00:00:00Z'"},
      {b64(policy("", "2030-01-01T00:00:00.Z")),
       "Invalid Policy: Invalid 'expiration' value: '2030-01-01T00:00:00.Z'"},
      {b64(R"({"expiration": 1700000000, "conditions": []})"),
       "Invalid Policy: Invalid 'expiration' value: '1700000000'"},
      {b64(R"({"expiration": "2030-01-01T00:00:00Z", "conditions": {}})"),
       "Invalid Policy: Invalid 'conditions' value: must be a List."},
      {b64(policy(R"({"bucket": "b", "acl": "private"})")),
       "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property "
       "specified."},
      {b64(policy("{}")),
       "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property "
       "specified."},
      {b64(policy(R"({"Content-Length": 6199034})")),
       "Invalid Policy: Invalid Simple-Condition: value must be a string."},
      {b64(policy(R"({"success_action_redirect": null})")), "Invalid Policy: Invalid JSON."},
      {b64(policy("[]")), "Invalid Policy: Invalid Condition: missing operation identifier."},
      {b64(policy(R"([5, "$key", "x"])")),
       "Invalid Policy: Invalid Condition: missing operation identifier."},
      {b64(policy(R"(["in", "$key", "x"])")), "Invalid Policy: Invalid Condition: unknown operation 'in'."},
      {b64(policy(R"(["starts-with", "$key"])")),
       "Invalid Policy: Invalid starts-with: wrong number of arguments."},
      {b64(policy(R"(["eq", "$key", "x", "y"])")), "Invalid Policy: Invalid eq: wrong number of arguments."},
      {b64(policy(R"(["content-length-range", 0])")),
       "Invalid Policy: Invalid content-length-range: wrong number of arguments."},
      {b64(policy(R"(["eq", "$key", 5])")), "Invalid Policy: Invalid JSON."},
      {b64(policy(R"(["content-length-range", 0, 512.0])")), "Invalid Policy: Invalid JSON."},
      {b64(policy(R"(["content-length-range", -1, 0])")), "Invalid Policy: Invalid JSON."},
      {b64(policy(R"("acl")")), "Invalid Policy: Invalid condition test: must be a List or Object."},
  }));
  CAPTURE(r.policy_base64);
  check_error(unsigned_eval({{"key", "k"}, {"policy", r.policy_base64}}), error::invalid_policy_document,
              r.message);
}

TEST_CASE("post_policy: policies S3 accepts", "[post_policy]") {
  const auto text = GENERATE(
      as<std::string>{}, policy(R"({"key": "k"})", "2030-01-01T00:00:00Z"),  // botocore: no milliseconds
      policy(R"({"key": "k"})", "2030-01-01T00:00:00.123456Z"),              // any fraction
      R"({"conditions": [["eq", "$key", "k"]], "expiration": "2030-01-01T00:00:00.000Z"})",
      "\n { \"expiration\" : \"2030-01-01T00:00:00Z\" ,\r\n\t\"conditions\" : [ {\"key\":\"k\"} ] } \n");
  CAPTURE(text);
  CHECK(unsigned_eval({{"key", "k"}, {"policy", b64(text)}}).has_value());
  // Base64 wrapped at 60 columns, as Ruby's Base64.encode64 writes it.
  std::string wrapped = b64(text);
  for (std::size_t at = 60; at < wrapped.size(); at += 61) wrapped.insert(at, "\n");
  CHECK(unsigned_eval({{"key", "k"}, {"policy", wrapped}}).has_value());
}

TEST_CASE("post_policy: an empty policy field is no policy", "[post_policy]") {
  const auto result = unsigned_eval({{"key", "k"}, {"policy", ""}});
  REQUIRE(result.has_value());
  CHECK(result->auth == post_auth::anonymous);
}

// --- What the service stores and answers ---------------------------------------------------------

TEST_CASE("post_policy: headers, metadata, acl and the other fields for the service", "[post_policy]") {
  const auto result = unsigned_eval({
      {"key", "k"},
      {"Cache-Control", "max-age=60"},
      {"content-disposition", "attachment"},
      {"Content-Encoding", "gzip"},
      {"CONTENT-TYPE", "text/plain"},
      {"Expires", "Thu, 01 Dec 2094 16:00:00 GMT"},
      {"X-Amz-Meta-Color", "blue"},
      {"x-amz-meta-", "no name"},
      {"x-amz-storage-class", "STANDARD_IA"},
      {"acl", "public-read"},
      {"tagging", "<Tagging/>"},
  });
  REQUIRE(result.has_value());
  CHECK(result->content_type == "text/plain");
  CHECK(result->acl == "public-read");
  CHECK(result->headers == fields_t{{"Cache-Control", "max-age=60"},
                                    {"Content-Disposition", "attachment"},
                                    {"Content-Encoding", "gzip"},
                                    {"Content-Type", "text/plain"},
                                    {"Expires", "Thu, 01 Dec 2094 16:00:00 GMT"},
                                    {"x-amz-meta-color", "blue"}});
  REQUIRE(result->fields.size() == 11);
  CHECK(result->fields[0] == std::pair<std::string, std::string>{"key", "k"});
  CHECK(result->fields[8] == std::pair<std::string, std::string>{"x-amz-storage-class", "STANDARD_IA"});
}

TEST_CASE("post_policy: without a Content-Type field the file part's type is not used", "[post_policy]") {
  auto form = make_form({{"key", "k"}});
  form.file_content_type = "image/png";
  const auto result = evaluate_post_form(form, "b", credential_set{}, now);
  REQUIRE(result.has_value());
  CHECK(result->content_type.empty());
  CHECK(result->headers.empty());
}

TEST_CASE("post_policy: success_action_status is 200, 201 or 204", "[post_policy]") {
  struct row {
    std::optional<std::string_view> field;
    unsigned status;
  };
  const auto r = GENERATE(values<row>({
      {std::nullopt, 204},
      {"200", 200},
      {"201", 201},
      {"204", 204},
      {"404", 204},
      {"", 204},
      {"201 ", 204},
      {"abc", 204},
  }));
  fields_t fields{{"key", "k"}};
  if (r.field) fields.emplace_back("success_action_status", std::string(*r.field));
  const auto result = unsigned_eval(fields);
  REQUIRE(result.has_value());
  CHECK(result->success_action_status == r.status);
}

TEST_CASE("post_policy: success_action_redirect, else redirect, when S3 can use the URL", "[post_policy]") {
  struct row {
    fields_t fields;
    std::string_view redirect;
  };
  const auto r = GENERATE(values<row>({
      {{}, ""},
      {{{"success_action_redirect", "https://example.com/done"}}, "https://example.com/done"},
      {{{"redirect", "http://example.com/old"}}, "http://example.com/old"},
      {{{"redirect", "http://a/"}, {"success_action_redirect", "http://b/"}}, "http://b/"},
      {{{"success_action_redirect", "/wrong/redirect/relative"}}, ""},  // observed: 204
      {{{"success_action_redirect", "/relative"}, {"redirect", "HTTPS://x/"}}, "HTTPS://x/"},
      {{{"success_action_redirect", "ftp://example.com/"}}, ""},
      {{{"success_action_redirect", "http://"}}, ""},
  }));
  fields_t fields{{"key", "k"}};
  fields.insert(fields.end(), r.fields.begin(), r.fields.end());
  const auto result = unsigned_eval(fields);
  REQUIRE(result.has_value());
  CHECK(result->redirect == r.redirect);
}

TEST_CASE("post_policy: the 201 PostResponse document", "[post_policy]") {
  CHECK(s3cors::auth::render_post_response("https://foobar.s3.amazonaws.com", "foobar",
                                           "pr\xC3\xA9sident.jpg", "14dd4667441ada2b3914e5c1b72573b3") ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<PostResponse><Location>https://foobar.s3.amazonaws.com/pr%C3%A9sident.jpg</Location>"
        "<Bucket>foobar</Bucket><Key>pr\xC3\xA9sident.jpg</Key>"
        "<ETag>&quot;14dd4667441ada2b3914e5c1b72573b3&quot;</ETag></PostResponse>");
}

TEST_CASE("post_policy: Location percent-encodes the key, slashes included", "[post_policy]") {
  using s3cors::auth::post_object_location;
  CHECK(post_object_location("http://s3.amazonaws.com/happybucket2", "prefix/111222") ==
        "http://s3.amazonaws.com/happybucket2/prefix%2F111222");
  CHECK(post_object_location("http://h/b", "a b+c~d_e.f-g{}") == "http://h/b/a%20b%2Bc~d_e.f-g%7B%7D");
}

TEST_CASE("post_policy: the redirect Location gets bucket, key and etag, form-encoded", "[post_policy]") {
  using s3cors::auth::post_redirect_location;
  struct row {
    std::string_view url;
    std::string_view key;
    std::string_view location;
  };
  const auto r = GENERATE(values<row>({
      {"http://example.com/done.html", "user/eric/My Picture.jpg",
       "http://example.com/done.html?bucket=bkt&key=user%2Feric%2FMy+Picture.jpg&etag=%22abc%22"},
      {"http://example.com/done?md5=x", "k", "http://example.com/done?md5=x&bucket=bkt&key=k&etag=%22abc%22"},
      {"http://example.com/done?", "k", "http://example.com/done?bucket=bkt&key=k&etag=%22abc%22"},
      {"http://example.com/done?a=1&", "k", "http://example.com/done?a=1&bucket=bkt&key=k&etag=%22abc%22"},
      {"http://example.com/app#/done", "k", "http://example.com/app?bucket=bkt&key=k&etag=%22abc%22#/done"},
      {"http://example.com/", "a*b~c&d=e\xC3\xA9",
       "http://example.com/?bucket=bkt&key=a*b%7Ec%26d%3De%C3%A9&etag=%22abc%22"},
  }));
  CHECK(post_redirect_location(r.url, "bkt", r.key, "abc") == r.location);
}
