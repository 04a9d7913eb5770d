// The unknown-key and wrong-signature errors shared by SigV2, SigV4 and the POST policy checks
// (lib/src/auth/signature_errors.hpp): S3's fields in S3's order, and the same bytes whichever
// check answers them.
#include "auth/signature_errors.hpp"
#include "s3cors/auth/sigv2.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/s3/error.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace {

using s3cors::auth::signature_mismatch;
using s3cors::auth::unknown_key;
using s3cors::s3::error;
using s3cors::s3::error_detail;
using s3cors::s3::render_error;
using s3cors::s3::request_context;

const request_context ctx{std::chrono::sys_days{std::chrono::year{2026} / 12 / 5} + std::chrono::hours{22},
                          "REQID", "HOSTID"};
constexpr std::string_view declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

// The detail as sigv2.cpp, sigv4.cpp and post_policy.cpp each built it before they shared one
// function: the body every check must still answer.
error_detail mismatch_as_written(const std::string& key, const std::string& sts,
                                 const std::string& provided) {
  return error_detail(error::signature_does_not_match)
      .with("AWSAccessKeyId", key)
      .with("StringToSign", sts)
      .with("SignatureProvided", provided)
      .with("StringToSignBytes", s3cors::hash::to_spaced_hex(sts));
}

}  // namespace

TEST_CASE("signature_errors: signature_mismatch is S3's SignatureDoesNotMatch body, byte for byte",
          "[signature_errors]") {
  const error_detail e = signature_mismatch("AKIDEXAMPLE", "GET\n<&>", "c0ffee");
  CHECK(e.code == error::signature_does_not_match);
  CHECK(e.message.empty());  // the table's message
  CHECK(e.resource.empty());
  CHECK(render_error(e, ctx) ==
        std::string(declaration) +
            "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not "
            "match the signature you provided. Check your key and signing method.</Message>"
            "<AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId><StringToSign>GET\n&lt;&amp;&gt;</StringToSign>"
            "<SignatureProvided>c0ffee</SignatureProvided>"
            "<StringToSignBytes>47 45 54 0a 3c 26 3e</StringToSignBytes>"
            "<RequestId>REQID</RequestId><HostId>HOSTID</HostId></Error>");
}

TEST_CASE("signature_errors: empty inputs keep every field, empty", "[signature_errors]") {
  const error_detail e = signature_mismatch("", "", "");
  REQUIRE(e.fields.size() == 4);
  for (const auto& [name, value] : e.fields) CHECK(value.empty());
  CHECK(render_error(e, ctx) == render_error(mismatch_as_written("", "", ""), ctx));
}

TEST_CASE("signature_errors: unknown_key is InvalidAccessKeyId naming the key", "[signature_errors]") {
  const error_detail e = unknown_key("AKIDSTRANGER");
  CHECK(
      render_error(e, ctx) ==
      std::string(declaration) +
          "<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist "
          "in our records.</Message><AWSAccessKeyId>AKIDSTRANGER</AWSAccessKeyId>"
          "<RequestId>REQID</RequestId><HostId>HOSTID</HostId></Error>");
}

TEST_CASE("signature_errors: a SigV2 header check answers the shared body", "[signature_errors]") {
  const std::string date = "Sat, 05 Dec 2026 22:00:00 GMT";
  s3cors::request req;
  req.verb = s3cors::method_from_string("PUT");
  req.method_name = "PUT";
  req.target = "/bucket/key.txt";
  req.headers.add("Host", "127.0.0.1:9000");
  req.headers.add("Date", date);
  const std::string provided = "bm90LXRoZS1zaWduYXR1cmU=";
  const std::string header = "AWS AKIAIOSFODNN7EXAMPLE:" + provided;
  req.headers.add("Authorization", header);
  const s3cors::auth::credential_set keys{
      {{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}};
  const auto now = s3cors::auth::parse_sigv2_date(date);
  REQUIRE(now);
  const auto verified = s3cors::auth::verify_sigv2_header(req, header, keys, *now, {});
  REQUIRE_FALSE(verified.has_value());
  const std::string sts = "PUT\n\n\n" + date + "\n/bucket/key.txt";
  const std::string body = render_error(verified.error(), ctx);
  CHECK(body == render_error(mismatch_as_written("AKIAIOSFODNN7EXAMPLE", sts, provided), ctx));
  CHECK(body == render_error(signature_mismatch("AKIAIOSFODNN7EXAMPLE", sts, provided), ctx));
  CHECK(body.find("<StringToSignBytes>50 55 54 0a 0a 0a 53 61 74 2c 20 30 35") != std::string::npos);

  req.headers.set("Authorization", "AWS AKIDSTRANGER:" + provided);
  const auto stranger =
      s3cors::auth::verify_sigv2_header(req, *req.headers.find("Authorization"), keys, *now, {});
  REQUIRE_FALSE(stranger.has_value());
  CHECK(render_error(stranger.error(), ctx) ==
        render_error(error_detail(error::invalid_access_key_id).with("AWSAccessKeyId", "AKIDSTRANGER"), ctx));
}
