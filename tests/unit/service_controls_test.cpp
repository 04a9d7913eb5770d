// Put/Get/DeleteBucketOwnershipControls and Put/Get/DeletePublicAccessBlock through the
// service: their errors, their effect on ACLs and ownership, their survival of a restart, and
// CreateBucket's x-amz-object-ownership and S3 defaults.
#include "memory_store.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/s3/identity.hpp"
#include "s3cors/s3/service.hpp"

#include <catch2/catch.hpp>

#include <chrono>

namespace {

using s3cors::method;
using s3cors::request;

const s3cors::auth::credential key{"AKIDCTLTEST", "controls-test-secret"};
const std::chrono::sys_seconds now{std::chrono::seconds{1'800'000'000}};
const s3cors::s3::request_context ctx{now, "REQID", "HOSTID"};

s3cors::s3::service_options with_credentials(bool s3_defaults = false) {
  s3cors::s3::service_options options;
  options.credentials = s3cors::auth::credential_set({key});
  options.s3_bucket_defaults = s3_defaults;
  return options;
}

request make(method verb, std::string target, std::string body = {},
             std::vector<std::pair<std::string, std::string>> headers = {}, bool sign = true) {
  request req;
  req.verb = verb;
  req.method_name = std::string(s3cors::to_string(verb));
  req.target = std::move(target);
  req.headers.add("Host", "127.0.0.1:9000");
  for (auto& [name, value] : headers) req.headers.add(name, value);
  req.body = std::move(body);
  req.has_body = !req.body.empty();
  req.content_length = req.body.size();
  if (sign) s3cors::auth::sign_request(req, key, now);
  return req;
}

// An answer's status and text body.
struct reply {
  struct {
    unsigned status = 0;
    std::string text;
    [[nodiscard]] const std::string& body_text() const { return text; }
  } res;
};

reply run(const s3cors::s3::service& svc, const request& req) {
  const auto a = svc.handle(req, ctx);
  reply out;
  out.res.status = a.res.status;
  if (const auto* text = std::get_if<std::string>(&a.res.body)) out.res.text = *text;
  return out;
}

std::string code_of(const reply& a) {
  const auto& body = a.res.body_text();
  const auto from = body.find("<Code>");
  if (from == std::string::npos) return {};
  return body.substr(from + 6, body.find("</Code>") - from - 6);
}

const std::string enforced =
    "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></"
    "OwnershipControls>";
const std::string block_acls =
    "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></"
    "PublicAccessBlockConfiguration>";
const std::string ignore_acls =
    "<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls></"
    "PublicAccessBlockConfiguration>";

}  // namespace

TEST_CASE("service: ownership controls are stored, read, deleted, and outlive the service",
          "[s3_service][bucket_controls]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  s3cors::cors::cors_registry cors;
  {
    const s3cors::s3::service svc(store, cors, with_credentials());
    auto none = run(svc, make(method::get, "/media?ownershipControls"));
    CHECK(none.res.status == 404);
    CHECK(code_of(none) == "OwnershipControlsNotFoundError");
    auto bad = run(svc, make(method::put, "/media?ownershipControls", "<OwnershipControls/>"));
    CHECK(bad.res.status == 400);
    CHECK(code_of(bad) == "MalformedXML");
    REQUIRE(run(svc, make(method::put, "/media?ownershipControls", enforced)).res.status == 200);
    CHECK(run(svc, make(method::get, "/missing?ownershipControls")).res.status == 404);
  }
  s3cors::s3::service restarted(store, cors, with_credentials());
  auto got = run(restarted, make(method::get, "/media?ownershipControls"));
  CHECK(got.res.status == 200);
  CHECK(got.res.body_text().find("<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership>") !=
        std::string::npos);
  CHECK(restarted.controls().ownership("media") == s3cors::s3::object_ownership::bucket_owner_enforced);
  CHECK(run(restarted, make(method::delete_, "/media?ownershipControls")).res.status == 204);
  CHECK(run(restarted, make(method::get, "/media?ownershipControls")).res.status == 404);
  // The bucket owner only.
  CHECK(run(restarted, make(method::get, "/media?ownershipControls", {}, {}, false)).res.status == 403);
}

TEST_CASE("service: BucketOwnerEnforced refuses ACLs but the owner's full control",
          "[s3_service][bucket_controls]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.put("media", "a.ts", "segment", now);
  s3cors::cors::cors_registry cors;
  const s3cors::s3::service svc(store, cors, with_credentials());
  REQUIRE(run(svc, make(method::put, "/media?ownershipControls", enforced)).res.status == 200);
  const auto refused = [&](const request& req) {
    auto a = run(svc, req);
    CHECK(a.res.status == 400);
    return code_of(a) == "AccessControlListNotSupported";
  };
  CHECK(refused(make(method::put, "/media/b.ts", "x", {{"x-amz-acl", "public-read"}})));
  CHECK(refused(make(method::put, "/media/b.ts", "x", {{"x-amz-acl", "private"}})));
  CHECK(refused(make(method::put, "/media/b.ts", "x", {{"x-amz-grant-read", "id=\"abc\""}})));
  CHECK(refused(make(method::put, "/media/c.ts", {},
                     {{"x-amz-copy-source", "/media/a.ts"}, {"x-amz-acl", "public-read"}})));
  CHECK(refused(make(method::post, "/media/c.ts?uploads", {}, {{"x-amz-acl", "public-read"}})));
  CHECK(refused(make(method::put, "/media?acl", {}, {{"x-amz-acl", "public-read"}})));
  CHECK(refused(make(method::put, "/media/a.ts?acl", {}, {{"x-amz-acl", "public-read"}})));
  // Grant lists, by header or AccessControlPolicy, are judged by what they grant: the bucket
  // owner's FULL_CONTROL alone is bucket-owner-full-control's equivalent.
  const std::string owner_id = s3cors::s3::default_owner(s3cors::auth::credential_set({key})).canonical_id;
  const auto policy = [&](std::string extra_grant) {
    return "<AccessControlPolicy><Owner><ID>" + owner_id +
           "</ID></Owner><AccessControlList><Grant><Grantee "
           "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>" +
           owner_id + "</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>" + extra_grant +
           "</AccessControlList></AccessControlPolicy>";
  };
  const std::string all_users_read =
      "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>"
      "http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>";
  CHECK(refused(make(method::put, "/media?acl", policy(all_users_read))));
  CHECK(refused(make(method::put, "/media/a.ts?acl", policy(all_users_read))));
  CHECK(run(svc, make(method::put, "/media?acl", policy(""))).res.status == 200);
  CHECK(run(svc,
            make(method::put, "/media/b.ts", "x", {{"x-amz-grant-full-control", "id=\"" + owner_id + "\""}}))
            .res.status == 200);
  CHECK(run(svc, make(method::put, "/media/b.ts", "x", {{"x-amz-acl", "bucket-owner-full-control"}}))
            .res.status == 200);
  CHECK(run(svc, make(method::put, "/media?acl", {}, {{"x-amz-acl", "private"}})).res.status == 200);
  // GetObjectAcl shows the bucket owner's FULL_CONTROL only.
  auto acl = run(svc, make(method::get, "/media/b.ts?acl"));
  CHECK(acl.res.status == 200);
  CHECK(acl.res.body_text().find("FULL_CONTROL") != std::string::npos);
  CHECK(acl.res.body_text().find("AllUsers") == std::string::npos);
}

TEST_CASE("service: BucketOwnerEnforced cannot be set while the bucket ACL is public",
          "[s3_service][bucket_controls]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  s3cors::cors::cors_registry cors;
  const s3cors::s3::service svc(store, cors, with_credentials());
  REQUIRE(run(svc, make(method::put, "/media?acl", {}, {{"x-amz-acl", "public-read"}})).res.status == 200);
  auto a = run(svc, make(method::put, "/media?ownershipControls", enforced));
  CHECK(a.res.status == 400);
  CHECK(code_of(a) == "InvalidBucketAclWithObjectOwnership");
  // A grant list to someone else is refused as well; one giving the owner alone full control is not.
  REQUIRE(
      run(svc, make(method::put, "/media?acl", {}, {{"x-amz-grant-read", "id=\"someone\""}})).res.status ==
      200);
  CHECK(code_of(run(svc, make(method::put, "/media?ownershipControls", enforced))) ==
        "InvalidBucketAclWithObjectOwnership");
  const std::string owner_id = s3cors::s3::default_owner(s3cors::auth::credential_set({key})).canonical_id;
  REQUIRE(
      run(svc, make(method::put, "/media?acl", {}, {{"x-amz-grant-full-control", "id=\"" + owner_id + "\""}}))
          .res.status == 200);
  CHECK(run(svc, make(method::put, "/media?ownershipControls", enforced)).res.status == 200);
}

TEST_CASE("service: public access blocks: stored, BlockPublicAcls refuses, IgnorePublicAcls ignores",
          "[s3_service][bucket_controls]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.put("media", "a.ts", "segment", now);
  s3cors::cors::cors_registry cors;
  s3cors::s3::service svc(store, cors, with_credentials());
  auto none = run(svc, make(method::get, "/media?publicAccessBlock"));
  CHECK(none.res.status == 404);
  CHECK(code_of(none) == "NoSuchPublicAccessBlockConfiguration");
  CHECK(code_of(run(svc, make(method::put, "/media?publicAccessBlock", "<X/>"))) == "MalformedXML");

  REQUIRE(run(svc, make(method::put, "/media?publicAccessBlock", block_acls)).res.status == 200);
  auto got = run(svc, make(method::get, "/media?publicAccessBlock"));
  CHECK(got.res.body_text().find("<BlockPublicAcls>true</BlockPublicAcls>") != std::string::npos);
  CHECK(got.res.body_text().find("<IgnorePublicAcls>false</IgnorePublicAcls>") != std::string::npos);
  for (const auto& req :
       {make(method::put, "/media?acl", {}, {{"x-amz-acl", "public-read"}}),
        make(method::put, "/media?acl", {},
             {{"x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""}}),
        make(method::put, "/media/b.ts", "x",
             {{"x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\""}}),
        make(method::put, "/media/a.ts?acl", {}, {{"x-amz-acl", "authenticated-read"}}),
        make(method::put, "/media/b.ts", "x", {{"x-amz-acl", "public-read-write"}}),
        make(method::post, "/media/b.ts?uploads", {}, {{"x-amz-acl", "public-read"}})}) {
    INFO(req.target);
    auto a = run(svc, req);
    CHECK(a.res.status == 403);
    CHECK(code_of(a) == "AccessDenied");
  }
  CHECK(run(svc, make(method::put, "/media/b.ts", "x", {{"x-amz-acl", "bucket-owner-read"}})).res.status ==
        200);

  // IgnorePublicAcls: the public ACLs stay, but grant nothing.
  REQUIRE(run(svc, make(method::delete_, "/media?publicAccessBlock")).res.status == 204);
  REQUIRE(run(svc, make(method::put, "/media/a.ts?acl", {}, {{"x-amz-acl", "public-read"}})).res.status ==
          200);
  CHECK(run(svc, make(method::get, "/media/a.ts", {}, {}, false)).res.status == 200);
  REQUIRE(run(svc, make(method::put, "/media?publicAccessBlock", ignore_acls)).res.status == 200);
  CHECK(run(svc, make(method::get, "/media/a.ts", {}, {}, false)).res.status == 403);
  CHECK(svc.controls().find_public_access_block("media")->ignore_public_acls);
}

TEST_CASE("service: CreateBucket's x-amz-object-ownership, and S3's defaults unless configured off",
          "[s3_service][bucket_controls]") {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  SECTION("api_bucket_defaults none: nothing unless asked") {
    const s3cors::s3::service svc(store, cors, with_credentials());
    REQUIRE(run(svc, make(method::put, "/plain")).res.status == 200);
    CHECK(run(svc, make(method::get, "/plain?ownershipControls")).res.status == 404);
    CHECK(run(svc, make(method::get, "/plain?publicAccessBlock")).res.status == 404);
    REQUIRE(run(svc, make(method::put, "/owned", {}, {{"x-amz-object-ownership", "BucketOwnerPreferred"}}))
                .res.status == 200);
    CHECK(run(svc, make(method::get, "/owned?ownershipControls"))
              .res.body_text()
              .find("BucketOwnerPreferred") != std::string::npos);
    auto bad = run(svc, make(method::put, "/bad", {}, {{"x-amz-object-ownership", "Mine"}}));
    CHECK(code_of(bad) == "InvalidArgument");
    auto acl =
        run(svc, make(method::put, "/acl", {},
                      {{"x-amz-object-ownership", "BucketOwnerEnforced"}, {"x-amz-acl", "public-read"}}));
    CHECK(acl.res.status == 400);
    CHECK(code_of(acl) == "InvalidBucketAclWithObjectOwnership");
    CHECK(run(svc, make(method::head, "/acl")).res.status == 404);
  }
  SECTION("api_bucket_defaults s3 (the default)") {
    CHECK(s3cors::s3::service_options{}.s3_bucket_defaults);
    s3cors::s3::service svc(store, cors, with_credentials(true));
    REQUIRE(run(svc, make(method::put, "/new")).res.status == 200);
    CHECK(run(svc, make(method::get, "/new?ownershipControls")).res.body_text().find("BucketOwnerEnforced") !=
          std::string::npos);
    const auto block = run(svc, make(method::get, "/new?publicAccessBlock")).res.body_text();
    CHECK(block.find("<RestrictPublicBuckets>true</RestrictPublicBuckets>") != std::string::npos);
    CHECK(block.find("false") == std::string::npos);
    auto acl = run(svc, make(method::put, "/acl", {}, {{"x-amz-acl", "public-read"}}));
    CHECK(code_of(acl) == "InvalidBucketAclWithObjectOwnership");
    // A public ACL at creation meets the new bucket's public access block.
    for (const auto& header :
         {std::pair<std::string, std::string>{"x-amz-acl", "public-read"},
          {"x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""}}) {
      auto public_acl =
          run(svc, make(method::put, "/early", {}, {{"x-amz-object-ownership", "ObjectWriter"}, header}));
      CHECK(public_acl.res.status == 400);
      CHECK(code_of(public_acl) == "InvalidBucketAclWithBlockPublicAccessError");
      CHECK(run(svc, make(method::head, "/early")).res.status == 404);
    }
    // What a user must do now for a public bucket: ObjectWriter, then no public access block.
    REQUIRE(
        run(svc, make(method::put, "/pub", {}, {{"x-amz-object-ownership", "ObjectWriter"}})).res.status ==
        200);
    CHECK(run(svc, make(method::put, "/pub?acl", {}, {{"x-amz-acl", "public-read"}})).res.status == 403);
    REQUIRE(run(svc, make(method::delete_, "/pub?publicAccessBlock")).res.status == 204);
    CHECK(run(svc, make(method::put, "/pub?acl", {}, {{"x-amz-acl", "public-read"}})).res.status == 200);
    // DeleteBucket forgets them: folders dropped in later keep today's behaviour.
    REQUIRE(run(svc, make(method::delete_, "/new")).res.status == 204);
    CHECK_FALSE(svc.controls().find_public_access_block("new"));
  }
}
