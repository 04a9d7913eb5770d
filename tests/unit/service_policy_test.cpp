// Bucket policies through the service: Put/Get/Delete/Status, and their evaluation deciding
// requests beside the ACLs (explicit Deny wins, Allow grants what ACLs do not, conditions see
// the request: aws:SourceIp, aws:Referer, s3:prefix).
#include "memory_store.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/s3/service.hpp"

#include <catch2/catch.hpp>

#include <chrono>

namespace {

using s3cors::method;
using s3cors::request;

const s3cors::auth::credential key{"AKIDPOLICY", "policy-test-secret"};
const std::chrono::sys_seconds now{std::chrono::seconds{1'800'000'000}};

s3cors::s3::request_context context(std::string source_ip = "192.0.2.10") {
  s3cors::s3::request_context ctx{now, "REQID", "HOSTID"};
  ctx.source_ip = std::move(source_ip);
  return ctx;
}

request make(method verb, std::string target, bool sign, std::string body = {},
             std::vector<std::pair<std::string, std::string>> headers = {}) {
  request req;
  req.verb = verb;
  req.method_name = std::string(s3cors::to_string(verb));
  req.target = std::move(target);
  req.headers.add("Host", "127.0.0.1:9000");
  for (auto& [name, value] : headers) req.headers.add(name, value);
  req.body = std::move(body);
  req.has_body = !req.body.empty();
  if (req.has_body) req.content_length = req.body.size();
  if (sign) s3cors::auth::sign_request(req, key, now);
  return req;
}

struct fixture {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  std::unique_ptr<s3cors::s3::service> svc;

  fixture() {
    store.add_bucket("media", now);
    store.put("media", "public/a.ts", "segment", now);
    store.put("media", "private/b.ts", "secret", now);
    restart();
  }
  void restart() {
    s3cors::s3::service_options options;
    options.credentials = s3cors::auth::credential_set({key});
    svc = std::make_unique<s3cors::s3::service>(store, cors, options);
  }
  s3cors::response send(const request& req, const s3cors::s3::request_context& ctx = context()) {
    return svc->handle(req, ctx).res;
  }
  unsigned put_policy(const std::string& text) {
    return send(make(method::put, "/media?policy", true, text)).status;
  }
};

std::string body_of(const s3cors::response& res) {
  const auto* text = std::get_if<std::string>(&res.body);
  return text ? *text : std::string();
}

const std::string public_prefix_policy = R"({
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "PublicSegments", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::media/public/*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::media/private/*"}
  ]
})";

}  // namespace

TEST_CASE("service: PutBucketPolicy, GetBucketPolicy, GetBucketPolicyStatus, DeleteBucketPolicy",
          "[s3_service][policy]") {
  fixture f;
  // None yet: 404 NoSuchBucketPolicy for both reads.
  const auto none = f.send(make(method::get, "/media?policy", true));
  CHECK(none.status == 404);
  CHECK_THAT(body_of(none), Catch::Contains("<Code>NoSuchBucketPolicy</Code>"));
  CHECK(f.send(make(method::get, "/media?policyStatus", true)).status == 404);

  REQUIRE(f.put_policy(public_prefix_policy) == 204);
  // GetBucketPolicy answers the document verbatim.
  const auto got = f.send(make(method::get, "/media?policy", true));
  CHECK(got.status == 200);
  CHECK(body_of(got) == public_prefix_policy);
  CHECK_THAT(body_of(f.send(make(method::get, "/media?policyStatus", true))),
             Catch::Contains("<IsPublic>true</IsPublic>"));

  // A policy is kept across a restart (its bucket document).
  f.restart();
  CHECK(body_of(f.send(make(method::get, "/media?policy", true))) == public_prefix_policy);

  // Malformed documents are refused with S3's code, and the stored policy stays.
  const auto bad = f.send(make(method::put, "/media?policy", true, "not json"));
  CHECK(bad.status == 400);
  CHECK_THAT(body_of(bad), Catch::Contains("<Code>MalformedPolicy</Code>"));
  const auto other_bucket =
      f.send(make(method::put, "/media?policy", true, R"({"Statement": [{"Effect": "Allow",
      "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::elsewhere/*"}]})"));
  CHECK(other_bucket.status == 400);
  CHECK(body_of(f.send(make(method::get, "/media?policy", true))) == public_prefix_policy);

  // Only the owner may read or change it.
  CHECK(f.send(make(method::get, "/media?policy", false)).status == 403);
  CHECK(f.send(make(method::delete_, "/media?policy", false)).status == 403);

  CHECK(f.send(make(method::delete_, "/media?policy", true)).status == 204);
  CHECK(f.send(make(method::get, "/media?policy", true)).status == 404);
  CHECK(f.send(make(method::delete_, "/media?policy", true)).status == 204);  // absent: still 204
  f.restart();
  CHECK(f.send(make(method::get, "/media?policy", true)).status == 404);
}

TEST_CASE("service: a bucket policy decides anonymous and signed requests, explicit Deny first",
          "[s3_service][policy]") {
  fixture f;
  // Private bucket, no policy: anonymous reads are refused.
  CHECK(f.send(make(method::get, "/media/public/a.ts", false)).status == 403);
  REQUIRE(f.put_policy(public_prefix_policy) == 204);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false)).status == 200);
  CHECK(f.send(make(method::get, "/media/private/b.ts", false)).status == 403);
  // The Deny names Principal "*": it binds the owner's users too.
  CHECK(f.send(make(method::get, "/media/private/b.ts", true)).status == 403);
  CHECK(f.send(make(method::get, "/media/public/a.ts", true)).status == 200);
  // The policy grants GetObject only: no listing, no writing.
  CHECK(f.send(make(method::get, "/media?list-type=2", false)).status == 403);
  CHECK(f.send(make(method::put, "/media/public/c.ts", false, "x")).status == 403);
  // The refusal names the deciding statement in the access log's note.
  const auto refused = f.svc->handle(make(method::get, "/media/private/b.ts", false), context());
  CHECK_THAT(refused.log.note, Catch::Contains("NoSecrets"));
}

TEST_CASE("service: policy conditions see the client's address, Referer and listing prefix",
          "[s3_service][policy]") {
  fixture f;
  REQUIRE(f.put_policy(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "Office", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
       "Resource": "arn:aws:s3:::media/*", "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}},
      {"Sid": "Site", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
       "Resource": "arn:aws:s3:::media/*",
       "Condition": {"StringLike": {"aws:Referer": "https://player.example.com/*"}}},
      {"Sid": "ListPublic", "Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
       "Resource": "arn:aws:s3:::media", "Condition": {"StringEquals": {"s3:prefix": "public/"}}}
    ]
  })") == 204);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false), context("192.0.2.77")).status == 200);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false), context("198.51.100.7")).status == 403);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false, {},
                    {{"Referer", "https://player.example.com/watch"}}),
               context("198.51.100.7"))
            .status == 200);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false, {}, {{"Referer", "https://evil.example/"}}),
               context("198.51.100.7"))
            .status == 403);
  CHECK(
      f.send(make(method::get, "/media?list-type=2&prefix=public/", false), context("198.51.100.7")).status ==
      200);
  CHECK(f.send(make(method::get, "/media?list-type=2&prefix=private/", false), context("198.51.100.7"))
            .status == 403);
}

TEST_CASE("service: the configuration file's public-read is a bucket policy, shown and replaced as one",
          "[s3_service][policy]") {
  fixture f;
  f.svc->acls().set_file_acls({{"media", "public-read"}});
  // The policy S3 would need: GetObject on every object to anyone, public.
  const auto got = f.send(make(method::get, "/media?policy", true));
  REQUIRE(got.status == 200);
  const auto text = body_of(got);
  CHECK_THAT(text, Catch::Contains(R"("Sid":"S3corsConfigPublicRead")"));
  CHECK_THAT(text, Catch::Contains(R"("Resource":"arn:aws:s3:::media/*")"));
  CHECK_THAT(body_of(f.send(make(method::get, "/media?policyStatus", true))),
             Catch::Contains("<IsPublic>true</IsPublic>"));
  CHECK(f.send(make(method::get, "/media/private/b.ts", false)).status == 200);
  CHECK(f.send(make(method::put, "/media/new.ts", false, "x")).status == 403);

  // PutBucketPolicy replaces it, as a bucket has one policy; DeleteBucketPolicy leaves the
  // file's line in force again.
  REQUIRE(f.put_policy(public_prefix_policy) == 204);
  CHECK(f.send(make(method::get, "/media/private/b.ts", false)).status == 403);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false)).status == 200);
  REQUIRE(f.send(make(method::delete_, "/media?policy", true)).status == 204);
  CHECK(f.send(make(method::get, "/media/private/b.ts", false)).status == 200);

  // RestrictPublicBuckets applies to it as to any public policy.
  REQUIRE(f.send(make(method::put, "/media?publicAccessBlock", true,
                      "<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets>"
                      "</PublicAccessBlockConfiguration>"))
              .status == 200);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false)).status == 403);
  REQUIRE(f.send(make(method::delete_, "/media?publicAccessBlock", true)).status == 204);

  // Without the file's line there is no policy.
  f.svc->acls().set_file_acls({});
  CHECK(f.send(make(method::get, "/media?policy", true)).status == 404);
  CHECK(f.send(make(method::get, "/media/public/a.ts", false)).status == 403);
}
