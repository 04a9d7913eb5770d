// decide(): S3's access evaluation, as a table of action × requester × ACL → outcome.
#include "s3cors/s3/access.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

using s3cors::s3::access_request;
using s3cors::s3::canned_grants;
using s3cors::s3::decide;
using s3cors::s3::object_facts;
using s3cors::s3::party;

const party alice{"a1a1", "111111111111", "alice"};
const party alice_colleague{"a2a2", "111111111111", "carol"};  // another user of alice's account
const party bob{"b0b0", "222222222222", "bob"};

enum class who { anonymous, owner, colleague, other };

std::optional<party> principal_of(who w) {
  switch (w) {
    case who::anonymous:
      return std::nullopt;
    case who::owner:
      return alice;
    case who::colleague:
      return alice_colleague;
    case who::other:
      return bob;
  }
  return std::nullopt;
}

// alice owns the bucket and its object; the ACLs are canned.
access_request make(std::string_view action, who w, std::string_view bucket_acl,
                    std::optional<std::string_view> object_acl) {
  access_request request;
  request.action = action;
  request.principal = principal_of(w);
  request.bucket_owner = alice;
  request.bucket_acl = canned_grants(bucket_acl, alice, alice);
  if (object_acl) request.object = object_facts{alice, canned_grants(*object_acl, alice, alice)};
  return request;
}

}  // namespace

TEST_CASE("access: S3's ACL permissions by action, requester and canned ACL", "[access]") {
  struct row {
    std::string_view action;
    who requester;
    std::string_view bucket_acl;
    std::optional<std::string_view> object_acl;  // nullopt: no such object
    bool allowed;
  };
  const std::vector<row> rows{
      // READ on the bucket lists it; it does not read the objects.
      {"s3:ListBucket", who::anonymous, "private", std::nullopt, false},
      {"s3:ListBucket", who::anonymous, "public-read", std::nullopt, true},
      {"s3:ListBucketMultipartUploads", who::anonymous, "public-read", std::nullopt, true},
      {"s3:GetObject", who::anonymous, "public-read", "private", false},
      {"s3:GetObject", who::anonymous, "public-read-write", "private", false},
      {"s3:GetObject", who::anonymous, "private", "public-read", true},
      {"s3:GetObject", who::anonymous, "private", "authenticated-read", false},
      {"s3:GetObject", who::other, "private", "authenticated-read", true},
      {"s3:GetObject", who::other, "private", "private", false},
      // A missing object: READ on the bucket lets the requester learn so (404).
      {"s3:GetObject", who::anonymous, "public-read", std::nullopt, true},
      {"s3:GetObject", who::anonymous, "private", std::nullopt, false},
      // WRITE on the bucket creates, overwrites and deletes objects.
      {"s3:PutObject", who::anonymous, "public-read", std::nullopt, false},
      {"s3:PutObject", who::anonymous, "public-read-write", std::nullopt, true},
      {"s3:DeleteObject", who::anonymous, "public-read-write", std::nullopt, true},
      {"s3:AbortMultipartUpload", who::anonymous, "public-read-write", std::nullopt, true},
      {"s3:PutObject", who::other, "private", std::nullopt, false},
      {"s3:PutObject", who::other, "authenticated-read", std::nullopt, false},
      // The ACLs: READ_ACP and WRITE_ACP, which the owner always has.
      {"s3:GetBucketAcl", who::anonymous, "public-read-write", std::nullopt, false},
      {"s3:GetObjectAcl", who::anonymous, "private", "public-read", false},
      {"s3:PutObjectAcl", who::anonymous, "public-read-write", "public-read-write", false},
      {"s3:GetBucketAcl", who::owner, "private", std::nullopt, true},
      {"s3:PutObjectAcl", who::owner, "private", "private", true},
      {"s3:GetBucketAcl", who::other, "log-delivery-write", std::nullopt, false},
      // The owner's business: configuration and the bucket itself.
      {"s3:PutBucketCORS", who::anonymous, "public-read-write", std::nullopt, false},
      {"s3:DeleteBucket", who::anonymous, "public-read-write", std::nullopt, false},
      {"s3:DeleteBucket", who::other, "public-read-write", std::nullopt, false},
      {"s3:DeleteBucket", who::owner, "private", std::nullopt, true},
      {"s3:PutBucketCORS", who::colleague, "private", std::nullopt, true},
      {"s3:GetObject", who::colleague, "private", "private", true},
      // Signed requests only.
      {"s3:CreateBucket", who::anonymous, "private", std::nullopt, false},
      {"s3:CreateBucket", who::other, "private", std::nullopt, true},
      {"s3:ListAllMyBuckets", who::anonymous, "private", std::nullopt, false},
      {"s3:ListAllMyBuckets", who::other, "private", std::nullopt, true},
  };
  for (const auto& r : rows) {
    INFO(r.action << " by " << static_cast<int>(r.requester) << ", bucket " << r.bucket_acl << ", object "
                  << r.object_acl.value_or("(none)"));
    const auto decision = decide(make(r.action, r.requester, r.bucket_acl, r.object_acl));
    INFO(decision.trace);
    CHECK(decision.allowed == r.allowed);
  }
}

TEST_CASE("access: grants to a canonical user, and the canned ACLs' expansions", "[access]") {
  using s3cors::s3::grant;
  using s3cors::s3::permission;
  access_request request = make("s3:GetObject", who::other, "private", "private");
  CHECK_FALSE(decide(request).allowed);
  request.object->acl.push_back({grant::kind::canonical_user, bob.canonical_id, permission::read});
  const auto decision = decide(request);
  CHECK(decision.allowed);
  CHECK(decision.trace == "s3:GetObject: the object ACL grants READ to user b0b0");
  request.action = "s3:GetObjectAcl";
  CHECK_FALSE(decide(request).allowed);
  request.object->acl.push_back({grant::kind::canonical_user, bob.canonical_id, permission::full_control});
  CHECK(decide(request).allowed);

  // bob's object in alice's bucket.
  CHECK(canned_grants("bucket-owner-full-control", bob, alice) ==
        std::vector<grant>{{grant::kind::canonical_user, bob.canonical_id, permission::full_control},
                           {grant::kind::canonical_user, alice.canonical_id, permission::full_control}});
  CHECK(canned_grants("bucket-owner-read", bob, alice).back() ==
        grant{grant::kind::canonical_user, alice.canonical_id, permission::read});
  CHECK(canned_grants("bucket-owner-read", alice, alice).size() == 1);
  CHECK(canned_grants("log-delivery-write", alice, alice).size() == 3);
  CHECK(canned_grants("aws-exec-read", alice, alice).size() == 1);
}

TEST_CASE("access: a policy's explicit deny wins, its allow grants; the file's public read", "[access]") {
  using s3cors::s3::policy_decision;
  access_request request = make("s3:GetObject", who::anonymous, "private", "public-read");
  CHECK(decide(request).allowed);
  request.policy = policy_decision::explicit_deny;
  CHECK_FALSE(decide(request).allowed);
  request.principal = alice;  // even the owner
  CHECK_FALSE(decide(request).allowed);

  request = make("s3:GetObject", who::anonymous, "public-read", "private");
  request.policy = policy_decision::allow;
  CHECK(decide(request).allowed);
  request.policy = policy_decision::no_match;
  CHECK_FALSE(decide(request).allowed);
}

TEST_CASE("access: BucketOwnerEnforced disables ACLs; IgnorePublicAcls ignores public grants", "[access]") {
  using s3cors::s3::object_ownership;
  access_request request = make("s3:GetObject", who::anonymous, "private", "public-read");
  request.ownership = object_ownership::bucket_owner_enforced;
  CHECK_FALSE(decide(request).allowed);
  // bob's object in alice's bucket belongs to alice then.
  request = make("s3:GetObject", who::owner, "private", "private");
  request.object = object_facts{bob, canned_grants("private", bob, alice)};
  CHECK_FALSE(decide(request).allowed);
  request.ownership = object_ownership::bucket_owner_enforced;
  CHECK(decide(request).allowed);

  request = make("s3:ListBucket", who::anonymous, "public-read", std::nullopt);
  request.public_access.ignore_public_acls = true;
  CHECK_FALSE(decide(request).allowed);
  request = make("s3:GetObject", who::other, "private", "authenticated-read");
  request.public_access.ignore_public_acls = true;
  CHECK_FALSE(decide(request).allowed);
}
