// Grant lists: AccessControlPolicy documents parsed and rendered, x-amz-grant-* headers, how
// ACLs are stored (canned names of older records, grant lists), and decide() reading them.
#include "s3cors/s3/access.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {

using s3cors::s3::error;
using s3cors::s3::grant;
using s3cors::s3::known_user;
using s3cors::s3::party;
using s3cors::s3::permission;

const party alice{"a1a1", "111111111111", "Alice"};
const party bob{"b0b0", "222222222222", "Bob"};
const std::vector<known_user> users{{alice, "alice@example.com"}, {bob, "bob@example.com"}};

constexpr std::string_view xsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";

std::string policy_of(std::string_view owner_id, std::string_view grants) {
  return "<AccessControlPolicy xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>" +
         std::string(owner_id) + "</ID></Owner><AccessControlList>" + std::string(grants) +
         "</AccessControlList></AccessControlPolicy>";
}

std::string grant_xml(std::string_view type, std::string_view inner, std::string_view perm) {
  return "<Grant><Grantee " + std::string(xsi) + " xsi:type=\"" + std::string(type) + "\">" +
         std::string(inner) + "</Grantee><Permission>" + std::string(perm) + "</Permission></Grant>";
}

}  // namespace

TEST_CASE("acl grants: AccessControlPolicy grantees of each type and permission", "[access][grants]") {
  struct row {
    std::string xml;
    grant expected;
  };
  const std::vector<row> rows{
      {grant_xml("CanonicalUser", "<ID>b0b0</ID><DisplayName>x</DisplayName>", "READ"),
       {grant::kind::canonical_user, "b0b0", permission::read}},
      {grant_xml("AmazonCustomerByEmail", "<EmailAddress>Bob@Example.com</EmailAddress>", "WRITE"),
       {grant::kind::canonical_user, "b0b0", permission::write}},
      {grant_xml("Group", "<URI>http://acs.amazonaws.com/groups/global/AllUsers</URI>", "READ_ACP"),
       {grant::kind::group, std::string(s3cors::s3::all_users_uri), permission::read_acp}},
      {grant_xml("Group", "<URI>http://acs.amazonaws.com/groups/global/AuthenticatedUsers</URI>",
                 "WRITE_ACP"),
       {grant::kind::group, std::string(s3cors::s3::authenticated_users_uri), permission::write_acp}},
      {grant_xml("Group", "<URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI>", "FULL_CONTROL"),
       {grant::kind::group, std::string(s3cors::s3::log_delivery_uri), permission::full_control}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.xml);
    const auto parsed = s3cors::s3::parse_access_control_policy(policy_of("a1a1", r.xml), users);
    REQUIRE(parsed.has_value());
    CHECK(parsed->owner_id == "a1a1");
    REQUIRE(parsed->grants.size() == 1);
    CHECK(parsed->grants.front() == r.expected);
  }
  // An empty list is a valid ACL: no grants at all.
  const auto empty = s3cors::s3::parse_access_control_policy(policy_of("a1a1", ""), users);
  REQUIRE(empty.has_value());
  CHECK(empty->grants.empty());
}

TEST_CASE("acl grants: AccessControlPolicy errors", "[access][grants]") {
  struct row {
    std::string xml;
    error code;
  };
  const std::vector<row> rows{
      {"<AccessControlPolicy><Owner>", error::malformed_acl_error},
      {"<Other/>", error::malformed_acl_error},
      {"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>", error::malformed_acl_error},
      {"<AccessControlPolicy><Owner><ID>a1a1</ID></Owner></AccessControlPolicy>", error::malformed_acl_error},
      {policy_of("a1a1", grant_xml("CanonicalUser", "<ID>b0b0</ID>", "EVERYTHING")),
       error::malformed_acl_error},
      {policy_of("a1a1", grant_xml("Martian", "<ID>b0b0</ID>", "READ")), error::malformed_acl_error},
      {policy_of("a1a1", "<Grant><Permission>READ</Permission></Grant>"), error::malformed_acl_error},
      {policy_of("a1a1", "<Grantee/>"), error::malformed_acl_error},
      {policy_of("a1a1", grant_xml("AmazonCustomerByEmail", "<EmailAddress>nobody@example.com</EmailAddress>",
                                   "READ")),
       error::unresolvable_grant_by_email_address},
      {policy_of("a1a1", grant_xml("Group", "<URI>http://example.com/everyone</URI>", "READ")),
       error::invalid_argument},
      {policy_of("a1a1", grant_xml("CanonicalUser", "<ID></ID>", "READ")), error::invalid_argument},
  };
  for (const auto& r : rows) {
    CAPTURE(r.xml);
    const auto parsed = s3cors::s3::parse_access_control_policy(r.xml, users);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == r.code);
  }
}

TEST_CASE("acl grants: rendered documents parse back to the same grants", "[access][grants]") {
  const std::vector<grant> grants{
      {grant::kind::canonical_user, "a1a1", permission::full_control},
      {grant::kind::canonical_user, "b0b0", permission::read},
      {grant::kind::canonical_user, "c0c0", permission::write_acp},  // no user: no DisplayName
      {grant::kind::group, std::string(s3cors::s3::all_users_uri), permission::read},
      {grant::kind::group, std::string(s3cors::s3::log_delivery_uri), permission::write},
  };
  const std::string xml = s3cors::s3::render_access_control_policy(alice, grants, users);
  CHECK_THAT(xml, Catch::Contains("xsi:type=\"CanonicalUser\"><ID>b0b0</ID><DisplayName>Bob</DisplayName>"));
  CHECK_THAT(xml, Catch::Contains("xsi:type=\"CanonicalUser\"><ID>c0c0</ID></Grantee>"));
  CHECK_THAT(xml,
             Catch::Contains("xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/s3/LogDelivery</URI>"));
  const auto parsed = s3cors::s3::parse_access_control_policy(xml, users);
  REQUIRE(parsed.has_value());
  CHECK(parsed->owner_id == "a1a1");
  CHECK(parsed->grants == grants);
  // And through the stored form.
  CHECK(s3cors::s3::stored_grants(s3cors::s3::serialize_grants(grants), alice, alice) == grants);
  CHECK(s3cors::s3::stored_grants("[]", alice, alice).empty());
}

TEST_CASE("acl grants: stored canned names of older records expand as before", "[access][grants]") {
  for (const std::string_view canned : {"private", "public-read", "public-read-write", "authenticated-read",
                                        "bucket-owner-full-control", "log-delivery-write"}) {
    CAPTURE(canned);
    CHECK(s3cors::s3::stored_grants(canned, bob, alice) == s3cors::s3::canned_grants(canned, bob, alice));
  }
  CHECK(s3cors::s3::stored_grants("", alice, alice) == s3cors::s3::canned_grants("private", alice, alice));
}

TEST_CASE("acl grants: x-amz-grant-* headers", "[access][grants]") {
  struct row {
    std::string header;
    std::string value;
    std::vector<grant> expected;
  };
  const std::vector<row> rows{
      {"x-amz-grant-read", "id=b0b0", {{grant::kind::canonical_user, "b0b0", permission::read}}},
      {"x-amz-grant-write", "id=\"b0b0\"", {{grant::kind::canonical_user, "b0b0", permission::write}}},
      {"x-amz-grant-read-acp",
       "emailAddress=\"bob@example.com\"",
       {{grant::kind::canonical_user, "b0b0", permission::read_acp}}},
      {"x-amz-grant-write-acp",
       "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
       {{grant::kind::group, std::string(s3cors::s3::all_users_uri), permission::write_acp}}},
      {"x-amz-grant-full-control",
       "id=\"a1a1\", emailAddress=\"bob@example.com\",uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
       {{grant::kind::canonical_user, "a1a1", permission::full_control},
        {grant::kind::canonical_user, "b0b0", permission::full_control},
        {grant::kind::group, std::string(s3cors::s3::log_delivery_uri), permission::full_control}}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.header, r.value);
    s3cors::header_list headers;
    headers.add(r.header, r.value);
    const auto parsed = s3cors::s3::grants_from_headers(headers, users);
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->has_value());
    CHECK(**parsed == r.expected);
  }
  s3cors::header_list none;
  none.add("x-amz-acl", "private");
  const auto absent = s3cors::s3::grants_from_headers(none, users);
  REQUIRE(absent.has_value());
  CHECK_FALSE(absent->has_value());

  const std::vector<std::pair<std::string, error>> bad{
      {"b0b0", error::invalid_argument},
      {"name=b0b0", error::invalid_argument},
      {"id=", error::invalid_argument},
      {"id=b0b0,", error::invalid_argument},
      {"uri=http://example.com/group", error::invalid_argument},
      {"emailAddress=nobody@example.com", error::unresolvable_grant_by_email_address},
  };
  for (const auto& [value, code] : bad) {
    CAPTURE(value);
    s3cors::header_list headers;
    headers.add("x-amz-grant-read", value);
    const auto parsed = s3cors::s3::grants_from_headers(headers, users);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == code);
  }
}

TEST_CASE("acl grants: decide() reads user, e-mail-resolved and group grants", "[access][grants]") {
  s3cors::header_list headers;
  headers.add("x-amz-grant-read", "emailAddress=bob@example.com");
  const auto by_email = s3cors::s3::grants_from_headers(headers, users);
  REQUIRE(by_email.has_value());
  REQUIRE(by_email->has_value());

  struct row {
    std::vector<grant> object_acl;
    std::optional<party> principal;
    bool allowed;
  };
  const std::vector<row> rows{
      {{}, bob, false},
      {{{grant::kind::canonical_user, "b0b0", permission::read}}, bob, true},
      {**by_email, bob, true},
      {**by_email, std::nullopt, false},
      {{{grant::kind::canonical_user, "b0b0", permission::write}}, bob, false},
      {{{grant::kind::group, std::string(s3cors::s3::authenticated_users_uri), permission::read}}, bob, true},
      {{{grant::kind::group, std::string(s3cors::s3::authenticated_users_uri), permission::read}},
       std::nullopt,
       false},
      {{{grant::kind::group, std::string(s3cors::s3::all_users_uri), permission::read}}, std::nullopt, true},
      {{{grant::kind::group, std::string(s3cors::s3::log_delivery_uri), permission::read}}, bob, false},
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    s3cors::s3::access_request request;
    request.action = "s3:GetObject";
    request.principal = rows[i].principal;
    request.bucket_owner = alice;
    request.object = s3cors::s3::object_facts{alice, rows[i].object_acl};
    CHECK(s3cors::s3::decide(request).allowed == rows[i].allowed);
  }
  // An empty ACL keeps the owner's right to read and write it.
  s3cors::s3::access_request owner_reads;
  owner_reads.principal = alice;
  owner_reads.bucket_owner = alice;
  owner_reads.object = s3cors::s3::object_facts{alice, {}};
  for (const std::string_view action : {"s3:GetObjectAcl", "s3:PutObjectAcl"}) {
    owner_reads.action = action;
    CHECK(s3cors::s3::decide(owner_reads).allowed);
  }
  owner_reads.object.reset();
  for (const std::string_view action : {"s3:GetBucketAcl", "s3:PutBucketAcl"}) {
    owner_reads.action = action;
    CHECK(s3cors::s3::decide(owner_reads).allowed);
  }
}
