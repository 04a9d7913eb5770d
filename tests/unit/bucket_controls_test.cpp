// ObjectOwnership and PublicAccessBlock: routing, their documents, and which ACLs they refuse.
#include "s3cors/s3/bucket_controls.hpp"
#include "s3cors/s3/access.hpp"
#include "s3cors/s3/route.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

using s3cors::method;
using s3cors::s3::bucket_control_op;
using s3cors::s3::error;
using s3cors::s3::object_ownership;
using s3cors::s3::public_access_block;

s3cors::request make(method verb, std::string target) {
  s3cors::request req;
  req.verb = verb;
  req.method_name = std::string(s3cors::to_string(verb));
  req.target = std::move(target);
  req.headers.add("Host", "127.0.0.1:9000");
  return req;
}

}  // namespace

TEST_CASE("bucket controls: ?ownershipControls and ?publicAccessBlock route by method", "[bucket_controls]") {
  struct row {
    method verb;
    std::string target;
    bucket_control_op::setting what;
    bucket_control_op::kind kind;
    std::string_view action;
  };
  using setting = bucket_control_op::setting;
  using kind = bucket_control_op::kind;
  const row rows[] = {
      {method::get, "/bkt?ownershipControls", setting::ownership_controls, kind::get,
       "s3:GetBucketOwnershipControls"},
      {method::put, "/bkt?ownershipControls", setting::ownership_controls, kind::put,
       "s3:PutBucketOwnershipControls"},
      {method::delete_, "/bkt?ownershipControls", setting::ownership_controls, kind::remove,
       "s3:PutBucketOwnershipControls"},
      {method::get, "/bkt?publicAccessBlock", setting::public_access_block, kind::get,
       "s3:GetBucketPublicAccessBlock"},
      {method::put, "/bkt?publicAccessBlock=", setting::public_access_block, kind::put,
       "s3:PutBucketPublicAccessBlock"},
      {method::delete_, "/bkt?publicAccessBlock", setting::public_access_block, kind::remove,
       "s3:PutBucketPublicAccessBlock"},
  };
  for (const row& r : rows) {
    INFO(r.target);
    auto routed = s3cors::s3::route(make(r.verb, r.target), {});
    REQUIRE(routed.has_value());
    const auto* op = std::get_if<bucket_control_op>(&routed->op);
    REQUIRE(op);
    CHECK(op->bucket == "bkt");
    CHECK(op->what == r.what);
    CHECK(op->verb == r.kind);
    CHECK(s3cors::s3::action_of(routed->op) == r.action);
  }
  auto post = s3cors::s3::route(make(method::post, "/bkt?ownershipControls"), {});
  REQUIRE_FALSE(post.has_value());
  CHECK(post.error().code == error::method_not_allowed);
}

TEST_CASE("bucket controls: OwnershipControls documents", "[bucket_controls]") {
  for (auto o : {object_ownership::bucket_owner_enforced, object_ownership::bucket_owner_preferred,
                 object_ownership::object_writer}) {
    auto parsed = s3cors::s3::parse_ownership_controls(s3cors::s3::render_ownership_controls(o));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == o);
  }
  auto plain = s3cors::s3::parse_ownership_controls(
      "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerPreferred</ObjectOwnership></Rule></"
      "OwnershipControls>");
  REQUIRE(plain.has_value());
  CHECK(*plain == object_ownership::bucket_owner_preferred);
  for (const char* bad :
       {"", "not xml", "<OwnershipControls/>", "<OwnershipControls><Rule/></OwnershipControls>",
        "<OwnershipControls><Rule><ObjectOwnership>Mine</ObjectOwnership></Rule></OwnershipControls>",
        "<Other><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></Other>",
        "<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership>"
        "<ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>"}) {
    INFO(bad);
    auto parsed = s3cors::s3::parse_ownership_controls(bad);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == error::malformed_xml);
  }
}

TEST_CASE("bucket controls: PublicAccessBlockConfiguration documents", "[bucket_controls]") {
  const public_access_block some{true, false, true, false};
  auto parsed = s3cors::s3::parse_public_access_block(s3cors::s3::render_public_access_block(some));
  REQUIRE(parsed.has_value());
  CHECK(parsed->block_public_acls);
  CHECK_FALSE(parsed->ignore_public_acls);
  CHECK(parsed->block_public_policy);
  CHECK_FALSE(parsed->restrict_public_buckets);
  // Absent elements are false.
  auto partial = s3cors::s3::parse_public_access_block(
      "<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls></"
      "PublicAccessBlockConfiguration>");
  REQUIRE(partial.has_value());
  CHECK(partial->ignore_public_acls);
  CHECK_FALSE(partial->block_public_acls);
  for (const char* bad :
       {"", "<X/>", "<PublicAccessBlockConfiguration><Nope>true</Nope></PublicAccessBlockConfiguration>",
        "<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
        "</PublicAccessBlockConfiguration>"}) {
    INFO(bad);
    auto refused = s3cors::s3::parse_public_access_block(bad);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().code == error::malformed_xml);
  }
}

TEST_CASE("bucket controls: which ACLs BucketOwnerEnforced and BlockPublicAcls refuse", "[bucket_controls]") {
  using s3cors::s3::grant;
  using s3cors::s3::permission;
  const s3cors::s3::party owner{"owner-id", "111111111111", "owner"};
  const s3cors::s3::party writer{"writer-id", "222222222222", "writer"};
  const grant owner_full{grant::kind::canonical_user, owner.canonical_id, permission::full_control};
  const grant writer_full{grant::kind::canonical_user, writer.canonical_id, permission::full_control};
  const grant all_users_read{grant::kind::group, std::string(s3cors::s3::all_users_uri), permission::read};
  const grant authenticated_read{grant::kind::group, std::string(s3cors::s3::authenticated_users_uri),
                                 permission::read};
  const grant someone_read{grant::kind::canonical_user, "abc", permission::read};
  // A grant list as x-amz-grant-* headers and AccessControlPolicy bodies store it.
  auto list = [](std::vector<grant> grants) { return s3cors::s3::serialize_grants(grants); };
  struct row {
    object_ownership ownership;
    bool block_public_acls;
    std::optional<std::string> acl;  // as stored: a canned name or a grant list
    bool on_bucket;
    std::optional<error> expected;
  };
  const row rows[] = {
      {object_ownership::object_writer, false, "public-read", false, std::nullopt},
      {object_ownership::object_writer, false, list({owner_full, all_users_read}), false, std::nullopt},
      {object_ownership::bucket_owner_enforced, false, std::nullopt, false, std::nullopt},
      {object_ownership::bucket_owner_enforced, false, "bucket-owner-full-control", false, std::nullopt},
      {object_ownership::bucket_owner_enforced, false, "private", true, std::nullopt},
      {object_ownership::bucket_owner_enforced, false, "private", false,
       error::access_control_list_not_supported},
      {object_ownership::bucket_owner_enforced, false, "public-read", true,
       error::access_control_list_not_supported},
      {object_ownership::bucket_owner_enforced, false, list({someone_read}), false,
       error::access_control_list_not_supported},
      // The bucket owner's FULL_CONTROL alone, in any form, is bucket-owner-full-control's equivalent.
      {object_ownership::bucket_owner_enforced, false, list({owner_full}), false, std::nullopt},
      {object_ownership::bucket_owner_enforced, false, list({owner_full}), true, std::nullopt},
      {object_ownership::bucket_owner_enforced, false, list({writer_full}), false,
       error::access_control_list_not_supported},
      {object_ownership::bucket_owner_enforced, false, list({owner_full, all_users_read}), true,
       error::access_control_list_not_supported},
      {object_ownership::bucket_owner_enforced, false, list({}), true,
       error::access_control_list_not_supported},
      {object_ownership::bucket_owner_preferred, false, "public-read", false, std::nullopt},
      {object_ownership::object_writer, true, "public-read", false, error::access_denied},
      {object_ownership::object_writer, true, "public-read-write", true, error::access_denied},
      {object_ownership::object_writer, true, "authenticated-read", false, error::access_denied},
      {object_ownership::object_writer, true, list({writer_full, all_users_read}), false,
       error::access_denied},
      {object_ownership::object_writer, true, list({authenticated_read}), true, error::access_denied},
      {object_ownership::object_writer, true, "private", true, std::nullopt},
      {object_ownership::object_writer, true, "bucket-owner-read", false, std::nullopt},
      {object_ownership::object_writer, true, list({writer_full, someone_read}), false, std::nullopt},
  };
  for (const row& r : rows) {
    INFO(r.acl.value_or("(none)") << " ownership " << s3cors::s3::ownership_name(r.ownership) << " block "
                                  << r.block_public_acls << " on bucket " << r.on_bucket);
    public_access_block block;
    block.block_public_acls = r.block_public_acls;
    const auto& resource_owner = r.on_bucket ? owner : writer;
    const auto refused =
        s3cors::s3::acl_refusal(r.ownership, block, r.acl, resource_owner, owner, r.on_bucket);
    REQUIRE(refused.has_value() == r.expected.has_value());
    if (refused) CHECK(refused->code == *r.expected);
  }
}

TEST_CASE("bucket controls: the registry keeps and forgets settings", "[bucket_controls]") {
  s3cors::s3::bucket_controls_registry registry;
  CHECK_FALSE(registry.ownership("b"));
  CHECK_FALSE(registry.find_public_access_block("b"));
  registry.set_ownership("b", object_ownership::bucket_owner_preferred);
  registry.set_public_access_block("b", public_access_block{false, true, false, false});
  CHECK(registry.ownership("b") == object_ownership::bucket_owner_preferred);
  CHECK(registry.find_public_access_block("b")->ignore_public_acls);
  CHECK_FALSE(registry.ownership("c"));
  registry.set_ownership("b", std::nullopt);
  registry.set_public_access_block("b", std::nullopt);
  CHECK_FALSE(registry.ownership("b"));
  CHECK_FALSE(registry.find_public_access_block("b"));
}
