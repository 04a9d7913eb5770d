// libFuzzer target for what a client sends to authenticate and upload: POST Object forms
// (multipart/form-data + POST policy), SigV4 Authorization headers and presigned queries, and
// aws-chunked bodies with chunk signatures. Any input must be accepted or refused with an S3
// error, never crash, leak or hang. The first byte picks the parser; the rest is its input.
// A form is also streamed through multipart_form_stream in pieces cut by its own bytes, which
// must give parse_multipart_form's answer.
#include "s3cors/auth/post_policy.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/http/multipart_form.hpp"
#include "s3cors/http/multipart_form_stream.hpp"
#include "s3cors/s3/aws_chunked.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace {

const s3cors::auth::credential_set keys({{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}});
const s3cors::auth::credential_set no_keys;
constexpr std::chrono::sys_seconds now{std::chrono::seconds{1'700'000'000}};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_upload_auth: %s\n", what);
  std::abort();
}

/// Streams body in pieces of 1 to 97 bytes (each piece's size from its first byte), evaluating
/// the form when the file begins and its size as it grows, and compares with the whole body's.
void fuzz_form_stream(std::string_view type, std::string_view body,
                      const s3cors::result<s3cors::http::multipart_form, s3cors::s3::error_detail>& whole) {
  using s3cors::auth::post_size_check;
  auto stream = s3cors::http::multipart_form_stream::create(type);
  if (!stream) fail("create failed");
  std::optional<s3cors::s3::error> error;
  std::optional<s3cors::auth::post_upload> upload;
  std::string file;
  const auto take = [&](const s3cors::http::multipart_form_stream::events& events) {
    if (events.file_begin != nullptr) {
      if (auto evaluated =
              s3cors::auth::evaluate_post_form_fields(*events.file_begin, "bucket", no_keys, now))
        upload = std::move(*evaluated);
    }
    for (const std::string_view slice : events.file_data()) file += slice;
    if (stream->held_back() > s3cors::http::multipart_form_stream::max_held_back && upload) {
      fail("held back too much");
    }
    if (upload) (void)s3cors::auth::check_post_size(*upload, stream->file_size(), post_size_check::running);
  };
  for (std::size_t at = 0; at < body.size() && !error;) {
    const std::size_t size = 1 + static_cast<unsigned char>(body[at]) % 97U;
    const auto events = stream->feed(body.substr(at, size));
    at += size;
    if (events) {
      take(*events);
    } else {
      error = events.error().code;
    }
  }
  if (!error) {
    const auto events = stream->finish();
    if (events) {
      take(*events);
    } else {
      error = events.error().code;
    }
  }
  if (whole.has_value() == error.has_value()) fail("the stream and the whole body disagree");
  if (error && *error != whole.error().code) fail("the stream and the whole body fail differently");
  if (!error && file != whole->file) fail("the stream and the whole body read different files");
  if (upload) (void)s3cors::auth::check_post_size(*upload, stream->file_size(), post_size_check::final);
}

void fuzz_form(std::string_view body) {
  constexpr std::string_view type = "multipart/form-data; boundary=xYzZY";
  const auto form = s3cors::http::parse_multipart_form(type, body);
  fuzz_form_stream(type, body, form);
  if (!form) return;
  (void)s3cors::auth::evaluate_post_form(*form, "bucket", keys, now);
  (void)s3cors::auth::evaluate_post_form(*form, "bucket", no_keys, now);
}

// "<Authorization value>\n<request target>\n<x-amz-date>\n<body>"
void fuzz_request(std::string_view text) {
  auto next_line = [&text]() {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    return std::string(line);
  };
  s3cors::request req;
  req.verb = s3cors::method::put;
  req.method_name = "PUT";
  const std::string authorization = next_line();
  req.target = "/" + next_line();
  req.headers.add("Host", "127.0.0.1:9000");
  if (!authorization.empty()) req.headers.add("Authorization", authorization);
  req.headers.add("x-amz-date", next_line());
  req.headers.add("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER");
  req.body = std::string(text);
  const auto verified = s3cors::auth::verify_request(req, keys, now);
  if (verified && *verified) {
    (void)s3cors::auth::check_payload_sha256(**verified, req.body);
    if (const auto decoded = s3cors::s3::decode_aws_chunked(req.body, std::nullopt))
      (void)s3cors::auth::verify_chunk_signatures(**verified, *decoded);
  }
}

// An aws-chunked body checked against a fixed identity, so that chunk signatures are parsed.
void fuzz_chunked(std::string_view body) {
  const auto decoded = s3cors::s3::decode_aws_chunked(body, std::nullopt);
  if (!decoded) return;
  s3cors::auth::verified_identity identity;
  identity.access_key_id = "AKIDEXAMPLE";
  identity.payload = s3cors::auth::payload_kind::streaming_signed_trailer;
  identity.signing_key = std::string(32, 'k');
  identity.amz_date = "20231114T221320Z";
  identity.scope = "20231114/us-east-1/s3/aws4_request";
  identity.seed_signature = std::string(64, '0');
  (void)s3cors::auth::verify_chunk_signatures(identity, *decoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      fuzz_form(input);
      break;
    case 1:
      fuzz_request(input);
      break;
    default:
      fuzz_chunked(input);
      break;
  }
  return 0;
}
