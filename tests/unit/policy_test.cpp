#include "s3cors/policy/policy.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The bucket-policy language: docs/bucket-policies.md.

namespace policy = s3cors::policy;
using policy::decision;
using verdict = policy::statement_trace::verdict;

namespace {

constexpr std::string_view bucket = "amzn-s3-demo-bucket";
constexpr std::string_view object_arn = "arn:aws:s3:::amzn-s3-demo-bucket/photos/cat.jpg";
constexpr std::string_view bucket_arn = "arn:aws:s3:::amzn-s3-demo-bucket";

policy::bucket_policy must_parse(std::string_view text) {
  auto parsed = policy::parse(text, bucket);
  if (!parsed) FAIL("refused: " << parsed.error().message);
  return std::move(*parsed);
}

policy::requester anonymous() {
  return {};
}

policy::requester identity(std::string account, std::string arn = {}) {
  policy::requester r;
  r.type = policy::requester::kind::identity;
  r.account_id = std::move(account);
  r.arn = arn.empty() ? "arn:aws:iam::" + r.account_id + ":root" : std::move(arn);
  return r;
}

policy::requester service(std::string name) {
  policy::requester r;
  r.type = policy::requester::kind::service;
  r.service = std::move(name);
  return r;
}

policy::request_facts request(policy::requester who, std::string action, std::string_view resource,
                              policy::context_keys keys = {}) {
  return policy::request_facts{std::move(who), std::move(action), std::string(resource), std::move(keys)};
}

decision decide(const policy::bucket_policy& p, const policy::request_facts& facts) {
  const auto quick = policy::evaluate(p, facts, false);
  const auto full = policy::evaluate(p, facts, true);
  CHECK(quick.decision == full.decision);
  CHECK(quick.statement == full.statement);
  CHECK(full.trace.size() == p.statements.size());
  CHECK(quick.trace.empty());
  return full.decision;
}

// A one-statement policy with one condition, for the operator tables.
policy::bucket_policy with_condition(std::string_view op, std::string_view key,
                                     std::string_view values_json) {
  const std::string text =
      std::string(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)") +
      R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",)" + R"("Condition":{")" +
      std::string(op) + R"(":{")" + std::string(key) + R"(":)" + std::string(values_json) + "}}}]}";
  return must_parse(text);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Patterns

TEST_CASE("policy: action patterns — case-insensitive, '*' and '?'", "[policy]") {
  struct row {
    std::string_view pattern, action;
    bool matches;
  };
  const auto r = GENERATE(values<row>({
      {"*", "s3:GetObject", true},
      {"s3:*", "s3:GetObject", true},
      {"s3:GetObject", "s3:GetObject", true},
      {"s3:getobject", "s3:GetObject", true},
      {"S3:GETOBJECT", "s3:GetObject", true},
      {"s3:Get*", "s3:GetObjectVersion", true},
      {"s3:Get*", "s3:PutObject", false},
      {"s3:*Object", "s3:PutObject", true},
      {"s3:*Object", "s3:PutObjectAcl", false},
      {"s3:GetObject?cl", "s3:GetObjectAcl", true},
      {"s3:GetObject?", "s3:GetObject", false},
      {"s3:GetObject", "s3:GetObjectAcl", false},
      {"s3:List*", "s3:ListBucket", true},
      {"iam:*", "s3:GetObject", false},
  }));
  CAPTURE(r.pattern, r.action);
  CHECK(policy::action_matches(r.pattern, r.action) == r.matches);
}

TEST_CASE("policy: ARN patterns — case-sensitive, part by part, the last part runs to the end", "[policy]") {
  struct row {
    std::string_view pattern, arn;
    bool matches;
  };
  const auto r = GENERATE(values<row>({
      {"*", "arn:aws:s3:::b/k", true},
      {"arn:aws:s3:::b", "arn:aws:s3:::b", true},
      {"arn:aws:s3:::b", "arn:aws:s3:::b/k", false},
      {"arn:aws:s3:::b/*", "arn:aws:s3:::b/k", true},
      {"arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c:d", true},
      {"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
      {"arn:aws:s3:::b*", "arn:aws:s3:::b", true},
      {"arn:aws:s3:::b*", "arn:aws:s3:::bb/k", true},
      {"arn:aws:s3:::b/K", "arn:aws:s3:::b/k", false},
      {"arn:aws:s3:::b/?at.jpg", "arn:aws:s3:::b/cat.jpg", true},
      {"arn:aws:s3:::b/?at.jpg", "arn:aws:s3:::b/at.jpg", false},
      {"arn:aws:s3:::example?bucket/*", "arn:aws:s3:::example1bucket/x", true},
      {"arn:aws:cloudfront::111122223333:distribution/*", "arn:aws:cloudfront::111122223333:distribution/E1",
       true},
      {"arn:aws:cloudfront::*:distribution/E1", "arn:aws:cloudfront::111122223333:distribution/E1", true},
      // A '*' does not cross a part: the account part holds no ':'
      {"arn:aws:cloudfront::*", "arn:aws:cloudfront::111122223333:distribution/E1", false},
      {"arn:aws:s3:::b/k", "not-an-arn", false},
  }));
  CAPTURE(r.pattern, r.arn);
  CHECK(policy::arn_matches(r.pattern, r.arn) == r.matches);
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation

TEST_CASE("policy: PutBucketPolicy refusals are MalformedPolicy with S3's messages", "[policy]") {
  struct row {
    std::string_view text;
    std::string_view message;
  };
  const auto r = GENERATE(values<row>({
      {"", "Policies must be valid JSON and the first byte must be '{'"},
      {"file://policy.json", "Policies must be valid JSON and the first byte must be '{'"},
      {R"(["Version"])", "Policies must be valid JSON and the first byte must be '{'"},
      {R"({"Version": "2012-10-17",)", "This policy contains invalid Json"},
      {R"({"Version":"2012-10-17"})", "Missing required field Statement"},
      {R"({"Version":"2012-10-17","Statement":[]})", "Could not parse the policy: Statement is empty!"},
      {R"({"Version":"2012-10-17","Statement":"x"})", "Invalid policy syntax."},
      {R"({"Version":"2012-10-18","Statement":[]})", "The policy must contain a valid version string"},
      {R"({"Version":20121017,"Statement":[]})", "The policy must contain a valid version string"},
      {R"({"Version":"2012-10-17","Statements":[]})", "Unknown field Statements"},
      {R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Missing required field Principal"},
      {R"({"Statement":[{"Effect":"Allow","Principal":{},"Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Missing required field Principal cannot be empty!"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"me","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid principal in policy"},
      {R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"user"},"Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid principal in policy"},
      {R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1234:root"},"Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid principal in policy"},
      {R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/*"},)"
       R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid principal in policy"},
      {R"({"Statement":[{"Effect":"Allow","Principal":{"Group":"x"},"Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid principal in policy"},
      {R"({"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid principal in policy"},
      {R"({"Statement":[{"Effect":"hello","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid effect: hello"},
      {R"({"Statement":[{"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Missing required field Effect"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Missing required field Action"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]})",
       "Missing required field Resource"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"invalid_action",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Policy has invalid action"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Policy has invalid action"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"iam:PassRole",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Policy has invalid action"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":[],)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Policy has invalid action"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]})",
       "Policy has invalid resource"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::other-bucket/*"}]})",
       "Policy has invalid resource"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"amzn-s3-demo-bucket/*"}]})",
       "Policy has invalid resource"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{"StringEqualz":{"aws:Referer":"x"}}}]})",
       "Invalid Condition type : StringEqualz"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{"StringEquals":{"foo:bar":"x"}}}]})",
       "Policy has an invalid condition key"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{"StringEquals":{"aws:Referer":{"a":1}}}}]})",
       "Invalid policy syntax."},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Extra":1}]})",
       "Unknown field Extra"},
      {R"({"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Invalid policy syntax."},
      {R"({"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
       R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"},{"Sid":"A","Effect":"Deny","Principal":"*",)"
       R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})",
       "Statement IDs (SID) in a single policy must be unique."},
  }));
  CAPTURE(r.text);
  const auto parsed = policy::parse(r.text, bucket);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().code == s3cors::s3::error::malformed_policy);
  CHECK(parsed.error().message == r.message);
  CHECK(s3cors::s3::info(parsed.error().code).code == "MalformedPolicy");
  CHECK(s3cors::s3::info(parsed.error().code).status == 400);
}

TEST_CASE("policy: documents nested deeper than any policy are refused as invalid JSON", "[policy]") {
  std::string deep =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
      R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{"StringEquals":{"aws:Referer":)";
  deep += std::string(20000, '[') + std::string(20000, ']') + "}}}]}";
  const auto parsed = policy::parse(deep, bucket);
  REQUIRE_FALSE(parsed.has_value());
  CHECK(parsed.error().message == "This policy contains invalid Json");
  // Brackets inside strings do not count.
  CHECK(
      policy::parse(R"({"Id":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",)"
                    R"("Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
                    R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}})",
                    bucket)
          .has_value());
}

TEST_CASE("policy: the 20 KB limit is measured without insignificant whitespace", "[policy]") {
  const std::string head =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
      R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Sid":")";
  const std::string tail = R"("}]})";
  SECTION("a compact document of exactly 20480 bytes is accepted") {
    const std::string text =
        head + std::string(policy::max_policy_size - head.size() - tail.size(), 'a') + tail;
    REQUIRE(text.size() == policy::max_policy_size);
    CHECK(policy::parse(text, bucket).has_value());
  }
  SECTION("one byte more is refused") {
    const std::string text =
        head + std::string(policy::max_policy_size + 1 - head.size() - tail.size(), 'a') + tail;
    const auto parsed = policy::parse(text, bucket);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message == "Policy exceeds the maximum allowed document size.");
  }
  SECTION("indentation does not count") {
    const std::string small =
        R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
        R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})";
    std::string padded = "{" + std::string(25000, ' ') + small.substr(1);
    CHECK(policy::parse(padded, bucket).has_value());
  }
}

TEST_CASE("policy: accepted shapes — Statement object or array, every principal form, Not* elements",
          "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2008-10-17",
    "Id": "PolicyForCloudFrontPrivateContent",
    "Statement": {
      "Sid": "1",
      "Effect": "Allow",
      "Principal": {
        "AWS": ["111122223333", "arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:user/Dave",
                "arn:aws:iam::444455556666:role/reader", "arn:aws:sts::444455556666:assumed-role/reader/s1",
                "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC"],
        "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
        "Service": ["cloudfront.amazonaws.com", "logging.s3.amazonaws.com"],
        "Federated": "cognito-identity.amazonaws.com"
      },
      "NotAction": ["s3:Delete*", "s3:PutBucketPolicy"],
      "NotResource": "arn:aws:s3:::amzn-s3-demo-bucket/private/*",
      "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:Referer": ["a", true, 10]}}
    }
  })");
  CHECK(p.version == "2008-10-17");
  CHECK(p.id == "PolicyForCloudFrontPrivateContent");
  CHECK_FALSE(p.has_variables());
  REQUIRE(p.statements.size() == 1);
  const auto& s = p.statements[0];
  CHECK(s.sid == "1");
  CHECK(s.principal.aws.size() == 6);
  CHECK(s.principal.canonical_users.size() == 1);
  CHECK(s.principal.services.size() == 2);
  CHECK(s.principal.federated.size() == 1);
  CHECK_FALSE(s.principal.everyone);
  CHECK(s.not_action);
  CHECK(s.not_resource);
  REQUIRE(s.conditions.size() == 1);
  const auto& c = s.conditions[0];
  CHECK(c.op == policy::condition_operator::string_like);
  CHECK(c.qualifier == policy::set_qualifier::for_any_value);
  CHECK(c.if_exists);
  CHECK(c.values == std::vector<std::string>{"a", "true", "10"});

  SECTION("a Version-less policy is accepted, and AWS:* makes everyone") {
    const auto q = must_parse(
        R"({"Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket"}]})");
    CHECK(q.version.empty());
    CHECK(q.statements[0].principal.everyone);
  }
  SECTION("a resource whose bucket part is a wildcard naming this bucket is accepted") {
    CHECK(
        policy::parse(
            R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-*/*"}]})",
            bucket)
            .has_value());
    CHECK(
        policy::parse(
            R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}]})",
            bucket)
            .has_value());
  }
}

// ---------------------------------------------------------------------------------------------
// AWS's documented examples (S3 User Guide, "Examples of Amazon S3 bucket policies")

TEST_CASE("policy example: public read of every object", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17",
    "Statement": [{
      "Sid": "PublicReadGetObject", "Effect": "Allow", "Principal": "*",
      "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket/*"]
    }]
  })");
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn)) == decision::allow);
  CHECK(decide(p, request(identity("444455556666"), "s3:GetObject", object_arn)) == decision::allow);
  CHECK(decide(p, request(anonymous(), "s3:PutObject", object_arn)) == decision::no_match);
  CHECK(decide(p, request(anonymous(), "s3:ListBucket", bucket_arn)) == decision::no_match);
  const auto e = policy::evaluate(p, request(anonymous(), "s3:GetObject", object_arn));
  CHECK(e.statement == 0U);
  CHECK(e.sid == "PublicReadGetObject");
  CHECK(policy::is_public(p));
}

TEST_CASE("policy example: deny every request from outside an IP range", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17", "Id": "S3PolicyId1",
    "Statement": [{
      "Sid": "IPAllow", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
      "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
      "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
    }]
  })");
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, {{"aws:SourceIp", {"198.51.100.7"}}})) ==
        decision::explicit_deny);
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, {{"aws:SourceIp", {"192.0.2.77"}}})) ==
        decision::no_match);
  const auto e = policy::evaluate(
      p, request(anonymous(), "s3:GetObject", object_arn, {{"aws:SourceIp", {"192.0.2.77"}}}));
  REQUIRE(e.trace.size() == 1);
  CHECK(e.trace[0].what == verdict::condition_failed);
  CHECK(e.trace[0].condition_operator == "NotIpAddress");
  CHECK(e.trace[0].condition_key == "aws:SourceIp");
  CHECK_FALSE(policy::is_public(p));
}

TEST_CASE("policy example: allow an IPv4 and IPv6 range, minus smaller ranges", "[policy]") {
  const auto p = must_parse(R"({
    "Id": "PolicyId2", "Version": "2012-10-17",
    "Statement": [{
      "Sid": "AllowIPmix", "Effect": "Allow", "Principal": "*", "Action": "s3:*",
      "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
      "Condition": {
        "IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:DB8:1234:5678::/64"]},
        "NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678:ABCD::/80"]}
      }
    }]
  })");
  const auto from = [&](std::string ip) {
    return decide(p, request(anonymous(), "s3:GetObject", object_arn, {{"aws:SourceIp", {std::move(ip)}}}));
  };
  CHECK(from("192.0.2.1") == decision::allow);
  CHECK(from("192.0.3.1") == decision::no_match);
  CHECK(from("2001:db8:1234:5678::1") == decision::allow);
  CHECK(from("2001:db8:1234:5678:abcd::1") == decision::no_match);
  CHECK(from("2001:db8:1234:5679::1") == decision::no_match);
  CHECK(from("not-an-address") == decision::no_match);
  CHECK_FALSE(policy::is_public(p));
}

TEST_CASE("policy example: GET only when the Referer is one of the sites", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17", "Id": "HTTP referer policy example",
    "Statement": [{
      "Sid": "Allow only GET requests originating from www.example.com and example.com.",
      "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
      "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
      "Condition": {"StringLike": {"aws:Referer": ["http://www.example.com/*", "http://example.com/*"]}}
    }]
  })");
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn,
                          {{"aws:Referer", {"http://www.example.com/page.html"}}})) == decision::allow);
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn,
                          {{"aws:Referer", {"http://evil.example/"}}})) == decision::no_match);
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn)) == decision::no_match);
  CHECK(policy::is_public(p));  // aws:Referer is not a key that makes a policy non-public
}

TEST_CASE("policy example: deny requests that are not over TLS (aws:SecureTransport)", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
       "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"},
      {"Sid": "RestrictToTLSRequestsOnly", "Action": "s3:*", "Effect": "Deny",
       "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
       "Condition": {"Bool": {"aws:SecureTransport": "false"}}, "Principal": "*"}
    ]
  })");
  const auto over = [&](std::string tls) {
    return policy::evaluate(
        p, request(anonymous(), "s3:GetObject", object_arn, {{"aws:SecureTransport", {tls}}}));
  };
  CHECK(over("true").decision == decision::allow);
  CHECK(over("true").sid == "PublicRead");
  CHECK(over("false").decision == decision::explicit_deny);
  CHECK(over("false").sid == "RestrictToTLSRequestsOnly");
  CHECK(over("FALSE").decision == decision::explicit_deny);
}

TEST_CASE("policy example: CloudFront origin access control (service principal + aws:SourceArn)",
          "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17",
    "Statement": {
      "Sid": "AllowCloudFrontServicePrincipalReadOnly", "Effect": "Allow",
      "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
      "Condition": {"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}
    }
  })");
  const std::string distribution = "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE";
  CHECK(decide(p, request(service("cloudfront.amazonaws.com"), "s3:GetObject", object_arn,
                          {{"aws:SourceArn", {distribution}}})) == decision::allow);
  CHECK(decide(p, request(service("cloudfront.amazonaws.com"), "s3:GetObject", object_arn,
                          {{"aws:SourceArn", {"arn:aws:cloudfront::999999999999:distribution/OTHER"}}})) ==
        decision::no_match);
  CHECK(decide(p, request(service("cloudfront.amazonaws.com"), "s3:GetObject", object_arn)) ==
        decision::no_match);
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, {{"aws:SourceArn", {distribution}}})) ==
        decision::no_match);
  const auto e = policy::evaluate(p, request(anonymous(), "s3:GetObject", object_arn));
  CHECK(e.trace[0].what == verdict::principal_mismatch);
  CHECK_FALSE(policy::is_public(p));
}

TEST_CASE("policy example: CloudFront origin access identity (legacy OAI principal)", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17", "Id": "PolicyForCloudFrontPrivateContent",
    "Statement": [{
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC"},
      "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"
    }]
  })");
  policy::requester oai;
  oai.type = policy::requester::kind::identity;
  oai.arn = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC";
  CHECK(decide(p, request(oai, "s3:GetObject", object_arn)) == decision::allow);
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn)) == decision::no_match);
  CHECK_FALSE(policy::is_public(p));
}

TEST_CASE("policy example: cross-account listing for an account's identities", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17",
    "Statement": [{
      "Sid": "Example permissions", "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["s3:GetBucketLocation", "s3:ListBucket"], "Resource": ["arn:aws:s3:::amzn-s3-demo-bucket"]
    }]
  })");
  CHECK(decide(p, request(identity("111122223333"), "s3:ListBucket", bucket_arn)) == decision::allow);
  CHECK(decide(p, request(identity("111122223333", "arn:aws:iam::111122223333:user/Dave"), "s3:ListBucket",
                          bucket_arn)) == decision::allow);
  CHECK(decide(p, request(identity("444455556666"), "s3:ListBucket", bucket_arn)) == decision::no_match);
  CHECK(decide(p, request(identity("111122223333"), "s3:GetObject", object_arn)) == decision::no_match);
  CHECK(decide(p, request(identity("111122223333"), "s3:ListBucket", object_arn)) == decision::no_match);
  CHECK(decide(p, request(anonymous(), "s3:ListBucket", bucket_arn)) == decision::no_match);

  SECTION("a bare account id names the same identities") {
    const auto q = must_parse(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},)"
                              R"("Action":"s3:ListBucket","Resource":"arn:aws:s3:::amzn-s3-demo-bucket"}]})");
    CHECK(decide(q, request(identity("111122223333", "arn:aws:iam::111122223333:user/Dave"), "s3:ListBucket",
                            bucket_arn)) == decision::allow);
    CHECK(decide(q, request(identity("444455556666"), "s3:ListBucket", bucket_arn)) == decision::no_match);
  }
  SECTION("a user ARN names only that user") {
    const auto q = must_parse(
        R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/Dave"},)"
        R"("Action":"s3:ListBucket","Resource":"arn:aws:s3:::amzn-s3-demo-bucket"}]})");
    CHECK(decide(q, request(identity("111122223333", "arn:aws:iam::111122223333:user/Dave"), "s3:ListBucket",
                            bucket_arn)) == decision::allow);
    CHECK(decide(q, request(identity("111122223333", "arn:aws:iam::111122223333:user/Erin"), "s3:ListBucket",
                            bucket_arn)) == decision::no_match);
    CHECK(decide(q, request(identity("111122223333"), "s3:ListBucket", bucket_arn)) == decision::no_match);
  }
  SECTION("a role ARN names the role's sessions") {
    const auto q = must_parse(
        R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ops/reader"},)"
        R"("Action":"s3:ListBucket","Resource":"arn:aws:s3:::amzn-s3-demo-bucket"}]})");
    CHECK(
        decide(q, request(identity("111122223333", "arn:aws:sts::111122223333:assumed-role/reader/session-1"),
                          "s3:ListBucket", bucket_arn)) == decision::allow);
    CHECK(decide(q,
                 request(identity("111122223333", "arn:aws:sts::111122223333:assumed-role/readers/session-1"),
                         "s3:ListBucket", bucket_arn)) == decision::no_match);
    CHECK(
        decide(q, request(identity("444455556666", "arn:aws:sts::444455556666:assumed-role/reader/session-1"),
                          "s3:ListBucket", bucket_arn)) == decision::no_match);
  }
  SECTION("a canonical user id names the account that has it") {
    const auto q =
        must_parse(R"({"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e5"},)"
                   R"("Action":"s3:ListBucket","Resource":"arn:aws:s3:::amzn-s3-demo-bucket"}]})");
    auto who = identity("111122223333");
    who.canonical_id = "79a59df900b949e5";
    CHECK(decide(q, request(who, "s3:ListBucket", bucket_arn)) == decision::allow);
    CHECK(decide(q, request(identity("111122223333"), "s3:ListBucket", bucket_arn)) == decision::no_match);
  }
}

TEST_CASE("policy example: a user may list only one prefix (s3:prefix allow + deny)", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17",
    "Statement": [
      {"Sid": "statement1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/Dave"},
       "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
       "Condition": {"StringEquals": {"s3:prefix": "projects"}}},
      {"Sid": "statement2", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/Dave"},
       "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
       "Condition": {"StringNotEquals": {"s3:prefix": "projects"}}}
    ]
  })");
  const auto dave = identity("111122223333", "arn:aws:iam::111122223333:user/Dave");
  CHECK(decide(p, request(dave, "s3:ListBucket", bucket_arn, {{"s3:prefix", {"projects"}}})) ==
        decision::allow);
  CHECK(decide(p, request(dave, "s3:ListBucket", bucket_arn, {{"s3:prefix", {"private"}}})) ==
        decision::explicit_deny);
  // No prefix at all: the negated operator holds for a missing key, so the Deny applies.
  CHECK(decide(p, request(dave, "s3:ListBucket", bucket_arn)) == decision::explicit_deny);
}

TEST_CASE("policy example: uploads must grant the bucket owner full control (s3:x-amz-acl)", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17",
    "Statement": [{
      "Sid": "statement1", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/Dave"},
      "Action": "s3:PutObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
      "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    }]
  })");
  const auto dave = identity("111122223333", "arn:aws:iam::111122223333:user/Dave");
  CHECK(decide(p, request(dave, "s3:PutObject", object_arn,
                          {{"s3:x-amz-acl", {"bucket-owner-full-control"}}})) == decision::allow);
  CHECK(decide(p, request(dave, "s3:PutObject", object_arn, {{"s3:x-amz-acl", {"public-read"}}})) ==
        decision::no_match);
  CHECK(decide(p, request(dave, "s3:PutObject", object_arn)) == decision::no_match);
}

TEST_CASE("policy example: deny uploads without SSE-KMS (Null and StringNotEquals)", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17", "Id": "PutObjectPolicy",
    "Statement": [
      {"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
       "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
       "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
      {"Sid": "DenyUnEncryptedObjectUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
       "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
       "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
      {"Sid": "Upload", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:PutObject",
       "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*"}
    ]
  })");
  const auto who = identity("111122223333");
  const auto kms = policy::evaluate(
      p, request(who, "s3:PutObject", object_arn, {{"s3:x-amz-server-side-encryption", {"aws:kms"}}}));
  CHECK(kms.decision == decision::allow);
  CHECK(kms.sid == "Upload");
  const auto aes = policy::evaluate(
      p, request(who, "s3:PutObject", object_arn, {{"s3:x-amz-server-side-encryption", {"AES256"}}}));
  CHECK(aes.decision == decision::explicit_deny);
  CHECK(aes.sid == "DenyIncorrectEncryptionHeader");
  const auto none = policy::evaluate(p, request(who, "s3:PutObject", object_arn));
  CHECK(none.decision == decision::explicit_deny);
  CHECK(none.sid == "DenyIncorrectEncryptionHeader");  // the first matching Deny decides
  REQUIRE(none.trace.size() == 3);
  CHECK(none.trace[1].what == verdict::matched);
  CHECK(none.trace[2].what == verdict::matched);
}

TEST_CASE("policy example: home folders with ${aws:username}", "[policy]") {
  const auto p = must_parse(R"({
    "Version": "2012-10-17",
    "Statement": [{
      "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"
    }]
  })");
  auto facts = request(identity("111122223333", "arn:aws:iam::111122223333:user/Dave"), "s3:GetObject",
                       "arn:aws:s3:::amzn-s3-demo-bucket/home/Dave/notes.txt");
  policy::add_principal_keys(facts);
  CHECK(facts.keys.at("aws:username") == std::vector<std::string>{"Dave"});
  CHECK(decide(p, facts) == decision::allow);
  facts.resource = "arn:aws:s3:::amzn-s3-demo-bucket/home/Erin/notes.txt";
  CHECK(decide(p, facts) == decision::no_match);
  // A root has no user name: the variable has no value and the resource matches nothing.
  auto root = request(identity("111122223333"), "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home//x");
  policy::add_principal_keys(root);
  CHECK(decide(p, root) == decision::no_match);
}

// ---------------------------------------------------------------------------------------------
// Principals, NotPrincipal, NotAction, NotResource

TEST_CASE("policy: NotPrincipal, NotAction and NotResource invert their element", "[policy]") {
  SECTION("Deny with NotPrincipal denies everyone else, anonymous included") {
    const auto p = must_parse(
        R"({"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},)"
        R"("Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})");
    CHECK(decide(p, request(identity("111122223333"), "s3:GetObject", object_arn)) == decision::no_match);
    CHECK(decide(p, request(identity("444455556666"), "s3:GetObject", object_arn)) ==
          decision::explicit_deny);
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn)) == decision::explicit_deny);
    const auto e = policy::evaluate(p, request(identity("111122223333"), "s3:GetObject", object_arn));
    CHECK(e.trace[0].what == verdict::principal_mismatch);
  }
  SECTION("NotAction matches every action not listed") {
    const auto p = must_parse(
        R"({"Statement":[{"Effect":"Deny","Principal":"*","NotAction":["s3:Get*","s3:List*"],)"
        R"("Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]}]})");
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn)) == decision::no_match);
    CHECK(decide(p, request(anonymous(), "s3:PutObject", object_arn)) == decision::explicit_deny);
    const auto e = policy::evaluate(p, request(anonymous(), "s3:GetObject", object_arn));
    CHECK(e.trace[0].what == verdict::action_mismatch);
  }
  SECTION("NotResource matches every resource not listed") {
    const auto p = must_parse(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
                              R"("NotResource":"arn:aws:s3:::amzn-s3-demo-bucket/private/*"}]})");
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn)) == decision::allow);
    CHECK(decide(p, request(anonymous(), "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/private/x")) ==
          decision::no_match);
    const auto e = policy::evaluate(
        p, request(anonymous(), "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/private/x"));
    CHECK(e.trace[0].what == verdict::resource_mismatch);
  }
  SECTION("a service principal matches only that service; Federated matches nobody") {
    const auto p =
        must_parse(R"({"Statement":[{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com",)"
                   R"("Federated":"cognito-identity.amazonaws.com"},"Action":"s3:PutObject",)"
                   R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})");
    CHECK(decide(p, request(service("logging.s3.amazonaws.com"), "s3:PutObject", object_arn)) ==
          decision::allow);
    CHECK(decide(p, request(service("cloudfront.amazonaws.com"), "s3:PutObject", object_arn)) ==
          decision::no_match);
    CHECK(decide(p, request(identity("111122223333"), "s3:PutObject", object_arn)) == decision::no_match);
  }
}

// ---------------------------------------------------------------------------------------------
// Condition operators

TEST_CASE("policy: every condition operator, with the key present and absent", "[policy]") {
  struct row {
    std::string_view op, key, values;  // values as JSON
    std::vector<std::string> request;  // empty: key absent
    bool holds;
  };
  using v = std::vector<std::string>;
  const auto r = GENERATE(values<row>({
      // Strings
      {"StringEquals", "aws:UserAgent", R"("curl")", v{"curl"}, true},
      {"StringEquals", "aws:UserAgent", R"("curl")", v{"Curl"}, false},
      {"StringEquals", "aws:UserAgent", R"("cu*")", v{"curl"}, false},        // no wildcards in Equals
      {"StringEquals", "aws:UserAgent", R"(["a","curl"])", v{"curl"}, true},  // values OR
      {"StringEquals", "aws:UserAgent", R"("curl")", v{}, false},
      {"StringNotEquals", "aws:UserAgent", R"("curl")", v{"wget"}, true},
      {"StringNotEquals", "aws:UserAgent", R"(["a","curl"])", v{"curl"}, false},  // NOR
      {"StringNotEquals", "aws:UserAgent", R"("curl")", v{}, true},  // negated: missing key holds
      {"StringEqualsIgnoreCase", "aws:UserAgent", R"("CURL")", v{"curl"}, true},
      {"StringEqualsIgnoreCase", "aws:UserAgent", R"("CURL")", v{}, false},
      {"StringNotEqualsIgnoreCase", "aws:UserAgent", R"("CURL")", v{"curl"}, false},
      {"StringNotEqualsIgnoreCase", "aws:UserAgent", R"("CURL")", v{"wget"}, true},
      {"StringLike", "s3:prefix", R"("home/*")", v{"home/dave/"}, true},
      {"StringLike", "s3:prefix", R"("home/?")", v{"home/ab"}, false},
      {"StringLike", "s3:prefix", R"("Home/*")", v{"home/x"}, false},  // case-sensitive
      {"StringLike", "s3:prefix", R"("home/*")", v{}, false},
      {"StringNotLike", "s3:prefix", R"("home/*")", v{"tmp/"}, true},
      {"StringNotLike", "s3:prefix", R"("home/*")", v{"home/x"}, false},
      {"StringNotLike", "s3:prefix", R"("home/*")", v{}, true},
      // Numbers
      {"NumericEquals", "s3:max-keys", R"("10")", v{"10"}, true},
      {"NumericEquals", "s3:max-keys", R"(10)", v{"10.0"}, true},
      {"NumericEquals", "s3:max-keys", R"("10")", v{"abc"}, false},
      {"NumericNotEquals", "s3:max-keys", R"("10")", v{"11"}, true},
      {"NumericNotEquals", "s3:max-keys", R"("10")", v{"10"}, false},
      {"NumericLessThan", "s3:max-keys", R"("10")", v{"9"}, true},
      {"NumericLessThan", "s3:max-keys", R"("10")", v{"10"}, false},
      {"NumericLessThanEquals", "s3:max-keys", R"("10")", v{"10"}, true},
      {"NumericGreaterThan", "s3:max-keys", R"("10")", v{"11"}, true},
      {"NumericGreaterThan", "s3:max-keys", R"("10")", v{"10"}, false},
      {"NumericGreaterThanEquals", "s3:max-keys", R"("10")", v{"10"}, true},
      {"NumericLessThanEquals", "s3:max-keys", R"("10")", v{}, false},
      // Dates: ISO 8601 and epoch seconds compare as instants
      {"DateEquals", "aws:CurrentTime", R"("2026-12-05T22:00:00Z")", v{"2026-12-05T22:00:00.000Z"}, true},
      {"DateEquals", "aws:CurrentTime", R"("2026-12-05T23:00:00+01:00")", v{"2026-12-05T22:00:00Z"}, true},
      {"DateNotEquals", "aws:CurrentTime", R"("2026-12-05T22:00:00Z")", v{"2026-12-05T22:00:01Z"}, true},
      {"DateLessThan", "aws:CurrentTime", R"("2027-01-01T00:00:00Z")", v{"2026-12-05T22:00:00Z"}, true},
      {"DateLessThan", "aws:CurrentTime", R"("2026-01-01")", v{"2026-12-05T22:00:00Z"}, false},
      {"DateLessThanEquals", "aws:CurrentTime", R"("2026-12-05T22:00:00Z")", v{"2026-12-05T22:00:00Z"}, true},
      {"DateGreaterThan", "aws:EpochTime", R"("2026-12-05T22:00:00Z")", v{"1796508001"}, true},
      {"DateGreaterThan", "aws:EpochTime", R"(1796508000)", v{"1796508000"}, false},
      {"DateGreaterThanEquals", "aws:EpochTime", R"(1796508000)", v{"1796508000"}, true},
      {"DateGreaterThan", "aws:CurrentTime", R"("2026-12-05T22:00:00Z")", v{"yesterday"}, false},
      {"DateGreaterThan", "aws:CurrentTime", R"("2026-12-05T22:00:00Z")", v{}, false},
      // Bool
      {"Bool", "aws:SecureTransport", R"("true")", v{"true"}, true},
      {"Bool", "aws:SecureTransport", R"(true)", v{"TRUE"}, true},
      {"Bool", "aws:SecureTransport", R"("true")", v{"false"}, false},
      {"Bool", "aws:SecureTransport", R"("true")", v{}, false},
      // Binary
      {"BinaryEquals", "s3:x-amz-content-sha256", R"("QmluYXJ5")", v{"QmluYXJ5"}, true},
      // Addresses
      {"IpAddress", "aws:SourceIp", R"("192.0.2.0/24")", v{"192.0.2.255"}, true},
      {"IpAddress", "aws:SourceIp", R"("192.0.2.7")", v{"192.0.2.7"}, true},
      {"IpAddress", "aws:SourceIp", R"("192.0.2.7")", v{"192.0.2.8"}, false},
      {"IpAddress", "aws:SourceIp", R"("0.0.0.0/0")", v{"203.0.113.9"}, true},
      {"IpAddress", "aws:SourceIp", R"("2001:db8::/32")", v{"2001:db8:ffff::1"}, true},
      {"IpAddress", "aws:SourceIp", R"("2001:db8::/32")", v{"192.0.2.1"}, false},
      {"IpAddress", "aws:SourceIp", R"("192.0.2.0/24")", v{}, false},
      {"NotIpAddress", "aws:SourceIp", R"("192.0.2.0/24")", v{"192.0.3.1"}, true},
      {"NotIpAddress", "aws:SourceIp", R"("192.0.2.0/24")", v{"192.0.2.1"}, false},
      {"NotIpAddress", "aws:SourceIp", R"("192.0.2.0/24")", v{}, true},
      // ARNs: part by part, wildcards in both Equals and Like
      {"ArnEquals", "aws:SourceArn", R"("arn:aws:cloudfront::111122223333:distribution/E1")",
       v{"arn:aws:cloudfront::111122223333:distribution/E1"}, true},
      {"ArnEquals", "aws:SourceArn", R"("arn:aws:cloudfront::111122223333:distribution/*")",
       v{"arn:aws:cloudfront::111122223333:distribution/E1"}, true},
      {"ArnLike", "aws:SourceArn", R"("arn:aws:cloudfront::*:distribution/E1")",
       v{"arn:aws:cloudfront::444455556666:distribution/E1"}, true},
      {"ArnLike", "aws:SourceArn", R"("arn:aws:cloudfront::*:distribution/E1")",
       v{"arn:aws:cloudfront::444455556666:distribution/E2"}, false},
      {"ArnLike", "aws:SourceArn", R"("arn:aws:cloudfront::*")", v{"arn:aws:cloudfront::1:distribution/E1"},
       false},
      {"ArnNotEquals", "aws:SourceArn", R"("arn:aws:sns:us-east-1:111122223333:t")",
       v{"arn:aws:sns:us-east-1:111122223333:u"}, true},
      {"ArnNotLike", "aws:SourceArn", R"("arn:aws:sns:*:111122223333:*")",
       v{"arn:aws:sns:eu-west-1:111122223333:t"}, false},
      {"ArnNotLike", "aws:SourceArn", R"("arn:aws:sns:*:111122223333:*")", v{}, true},
      // Null
      {"Null", "s3:x-amz-server-side-encryption", R"("true")", v{}, true},
      {"Null", "s3:x-amz-server-side-encryption", R"("true")", v{"AES256"}, false},
      {"Null", "s3:x-amz-server-side-encryption", R"(false)", v{"AES256"}, true},
      {"Null", "s3:x-amz-server-side-encryption", R"("false")", v{}, false},
      // ...IfExists: a missing key holds, a present one is compared
      {"StringEqualsIfExists", "aws:UserAgent", R"("curl")", v{}, true},
      {"StringEqualsIfExists", "aws:UserAgent", R"("curl")", v{"wget"}, false},
      {"StringEqualsIfExists", "aws:UserAgent", R"("curl")", v{"curl"}, true},
      {"NumericLessThanIfExists", "s3:max-keys", R"("10")", v{}, true},
      {"NotIpAddressIfExists", "aws:SourceIp", R"("192.0.2.0/24")", v{"192.0.2.1"}, false},
      // Set qualifiers over multivalued keys
      {"ForAnyValue:StringEquals", "aws:TagKeys", R"(["env","team"])", v{"env", "other"}, true},
      {"ForAnyValue:StringEquals", "aws:TagKeys", R"(["env","team"])", v{"x", "y"}, false},
      {"ForAnyValue:StringEquals", "aws:TagKeys", R"(["env","team"])", v{}, false},
      {"ForAllValues:StringEquals", "aws:TagKeys", R"(["env","team"])", v{"env", "team"}, true},
      {"ForAllValues:StringEquals", "aws:TagKeys", R"(["env","team"])", v{"env", "other"}, false},
      {"ForAllValues:StringEquals", "aws:TagKeys", R"(["env","team"])", v{}, true},
      {"ForAnyValue:StringNotEquals", "aws:TagKeys", R"(["env"])", v{"env", "other"}, true},
      {"ForAllValues:StringNotEquals", "aws:TagKeys", R"(["env"])", v{"env", "other"}, false},
      {"ForAllValues:StringLike", "aws:TagKeys", R"(["team-*"])", v{"team-a", "team-b"}, true},
      // Without a qualifier, a multivalued key holds when any value matches (none, when negated)
      {"StringEquals", "aws:TagKeys", R"("env")", v{"other", "env"}, true},
      {"StringNotEquals", "aws:TagKeys", R"("env")", v{"other", "env"}, false},
  }));
  CAPTURE(r.op, r.key, r.values, r.request);
  const auto p = with_condition(r.op, r.key, r.values);
  policy::context_keys keys;
  if (!r.request.empty()) keys.emplace(std::string(r.key), r.request);
  const auto e = policy::evaluate(p, request(anonymous(), "s3:GetObject", object_arn, keys));
  CHECK((e.decision == decision::allow) == r.holds);
  if (!r.holds) {
    REQUIRE(e.trace.size() == 1);
    CHECK(e.trace[0].what == verdict::condition_failed);
    CHECK(e.trace[0].condition_operator == r.op);
    CHECK(e.trace[0].condition_key == r.key);
  }
}

TEST_CASE("policy: condition blocks AND their keys and operators; key names ignore case", "[policy]") {
  const auto p =
      must_parse(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
                 R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{)"
                 R"("StringEquals":{"aws:UserAgent":"curl","AWS:Referer":"r"},)"
                 R"("Bool":{"aws:SecureTransport":"true"}}}]})");
  const policy::context_keys all{
      {"aws:useragent", {"curl"}}, {"aws:referer", {"r"}}, {"AWS:SECURETRANSPORT", {"true"}}};
  CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, all)) == decision::allow);
  for (const std::string_view drop : {"aws:UserAgent", "aws:Referer", "aws:SecureTransport"}) {
    auto keys = all;
    keys.erase(keys.find(drop));
    CAPTURE(drop);
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, keys)) == decision::no_match);
  }
}

TEST_CASE("policy: policy variables in condition values and resources", "[policy]") {
  SECTION("${aws:username} in a StringLike value; its value is literal, not a wildcard") {
    const auto p = with_condition("StringLike", "s3:prefix", R"(["home/${aws:username}/*"])");
    auto facts = request(anonymous(), "s3:GetObject", object_arn,
                         {{"aws:username", {"dave"}}, {"s3:prefix", {"home/dave/docs/"}}});
    CHECK(decide(p, facts) == decision::allow);
    facts.keys["s3:prefix"] = {"home/erin/"};
    CHECK(decide(p, facts) == decision::no_match);
    facts.keys["aws:username"] = {"*"};
    facts.keys["s3:prefix"] = {"home/erin/"};
    CHECK(decide(p, facts) == decision::no_match);
    facts.keys["s3:prefix"] = {"home/*/x"};
    CHECK(decide(p, facts) == decision::allow);
  }
  SECTION("${*}, ${?} and ${$} are literal characters") {
    const auto p = with_condition("StringLike", "s3:prefix", R"(["a${*}b${?}c${$}"])");
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, {{"s3:prefix", {"a*b?c$"}}})) ==
          decision::allow);
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, {{"s3:prefix", {"axxbyc$"}}})) ==
          decision::no_match);
  }
  SECTION("a default applies when the key has no value") {
    const auto p = with_condition("StringEquals", "s3:prefix", R"(["${aws:username, 'guest'}/"])");
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn, {{"s3:prefix", {"guest/"}}})) ==
          decision::allow);
  }
  SECTION("under Version 2008-10-17 variables are plain text") {
    const auto p = must_parse(R"({"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
                              R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",)"
                              R"("Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}}]})");
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn,
                            {{"aws:username", {"dave"}}, {"s3:prefix", {"${aws:username}"}}})) ==
          decision::allow);
    CHECK(decide(p, request(anonymous(), "s3:GetObject", object_arn,
                            {{"aws:username", {"dave"}}, {"s3:prefix", {"dave"}}})) == decision::no_match);
  }
}

TEST_CASE("policy: add_principal_keys derives the requester's keys without overriding the caller's",
          "[policy]") {
  auto anon = request(anonymous(), "s3:GetObject", object_arn);
  policy::add_principal_keys(anon);
  CHECK(anon.keys.at("aws:PrincipalType") == std::vector<std::string>{"Anonymous"});
  CHECK(anon.keys.at("aws:userid") == std::vector<std::string>{"anonymous"});

  auto user = request(identity("111122223333", "arn:aws:iam::111122223333:user/team/Dave"), "s3:GetObject",
                      object_arn, {{"aws:userid", {"AIDAEXAMPLE"}}});
  policy::add_principal_keys(user);
  CHECK(user.keys.at("aws:PrincipalType") == std::vector<std::string>{"User"});
  CHECK(user.keys.at("aws:username") == std::vector<std::string>{"Dave"});
  CHECK(user.keys.at("aws:PrincipalAccount") == std::vector<std::string>{"111122223333"});
  CHECK(user.keys.at("aws:PrincipalArn") ==
        std::vector<std::string>{"arn:aws:iam::111122223333:user/team/Dave"});
  CHECK(user.keys.at("aws:userid") == std::vector<std::string>{"AIDAEXAMPLE"});

  auto root = request(identity("111122223333"), "s3:GetObject", object_arn);
  policy::add_principal_keys(root);
  CHECK(root.keys.at("aws:PrincipalType") == std::vector<std::string>{"Account"});
  CHECK(root.keys.at("aws:userid") == std::vector<std::string>{"111122223333"});

  auto svc = request(service("cloudfront.amazonaws.com"), "s3:GetObject", object_arn);
  policy::add_principal_keys(svc);
  CHECK(svc.keys.at("aws:PrincipalType") == std::vector<std::string>{"AWSService"});
  CHECK(svc.keys.at("aws:PrincipalServiceName") == std::vector<std::string>{"cloudfront.amazonaws.com"});
}

TEST_CASE("policy: an explicit Deny wins over an Allow wherever it stands", "[policy]") {
  const auto p = must_parse(R"({"Statement":[
    {"Sid":"Allow","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"},
    {"Sid":"Deny","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}
  ]})");
  const auto del = policy::evaluate(p, request(anonymous(), "s3:DeleteObject", object_arn));
  CHECK(del.decision == decision::explicit_deny);
  CHECK(del.statement == 1U);
  CHECK(del.sid == "Deny");
  CHECK(del.trace[0].what == verdict::matched);
  CHECK(del.trace[1].what == verdict::matched);
  const auto get = policy::evaluate(p, request(anonymous(), "s3:GetObject", object_arn));
  CHECK(get.decision == decision::allow);
  CHECK(get.trace[1].what == verdict::action_mismatch);
  CHECK(policy::to_string(decision::explicit_deny) == "explicit_deny");
  CHECK(policy::to_string(verdict::condition_failed) == "condition_failed");
}

// ---------------------------------------------------------------------------------------------
// Public or not (S3 User Guide, "The meaning of 'public'")

TEST_CASE("policy: is_public follows S3's meaning of public", "[policy]") {
  struct row {
    std::string_view principal;  // JSON
    std::string_view condition;  // JSON object body, or empty
    bool is_public;
    std::string_view why;
  };
  const auto r = GENERATE(values<row>({
      {R"("*")", "", true, "a wildcard principal without conditions"},
      {R"({"AWS":"*"})", "", true, "AWS * is everyone"},
      {R"({"AWS":["*","111122223333"]})", "", true, "one wildcard in the list"},
      {R"({"AWS":"111122223333"})", "", false, "a fixed account"},
      {R"({"AWS":"arn:aws:iam::111122223333:user/Dave"})", "", false, "a fixed user"},
      {R"({"Service":"cloudfront.amazonaws.com"})", "", false, "a service principal"},
      {R"({"CanonicalUser":"79a59df9"})", "", false, "a canonical user"},
      {R"("*")", R"({"StringLike":{"aws:SourceVpc":"vpc-*"}})", true,
       "the guide's example: a wildcard value"},
      {R"("*")", R"({"StringEquals":{"aws:SourceVpc":"vpc-91237329"}})", false, "the guide's example: fixed"},
      {R"("*")", R"({"StringEquals":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/E1"}})",
       false, "OAC with a fixed distribution"},
      {R"("*")", R"({"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/*"}})", true,
       "a wildcard ARN"},
      {R"("*")", R"({"StringEquals":{"aws:SourceAccount":"111122223333"}})", false, "aws:SourceAccount"},
      {R"("*")", R"({"StringEquals":{"aws:SourceOwner":"111122223333"}})", false, "aws:SourceOwner"},
      {R"("*")", R"({"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}})", false, "aws:SourceVpce"},
      {R"("*")", R"({"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}})", false, "aws:PrincipalOrgID"},
      {R"("*")",
       R"({"StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/a"}})",
       false, "s3:DataAccessPointArn"},
      {R"("*")", R"({"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}})", false,
       "s3:DataAccessPointAccount"},
      {R"("*")", R"({"StringLike":{"aws:userid":"AROAEXAMPLEID:*"}})", false,
       "aws:userid AROLEID:* is fixed"},
      {R"("*")", R"({"StringLike":{"aws:userid":"*"}})", true, "aws:userid wildcard"},
      {R"("*")", R"({"StringEquals":{"aws:SourceArn":"${aws:username}"}})", true, "a policy variable"},
      {R"("*")", R"({"StringEqualsIfExists":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:t"}})", true,
       "IfExists confines nothing"},
      {R"("*")", R"({"StringNotEquals":{"aws:SourceAccount":"111122223333"}})", true, "a negated operator"},
      {R"("*")", R"({"ForAllValues:StringEquals":{"aws:SourceAccount":"111122223333"}})", true,
       "ForAllValues holds without the key"},
      {R"("*")", R"({"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}})", false, "a set of CIDR blocks"},
      {R"("*")", R"({"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}})", false,
       "v4 and v6 blocks"},
      {R"("*")", R"({"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}})", true, "every address"},
      {R"("*")", R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/7"}})", true, "wider than /8"},
      {R"("*")", R"({"IpAddress":{"aws:SourceIp":"2000::/16"}})", true, "IPv6 wider than /32"},
      {R"("*")", R"({"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}})", true, "everyone but a range"},
      {R"("*")", R"({"StringLike":{"aws:Referer":"http://www.example.com/*"}})", true,
       "aws:Referer is not listed"},
      {R"("*")", R"({"Bool":{"aws:SecureTransport":"true"}})", true, "aws:SecureTransport is not listed"},
      {R"("*")",
       R"({"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceAccount":"111122223333"}})",
       false, "one confining condition suffices"},
  }));
  CAPTURE(r.why, r.principal, r.condition);
  std::string text = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)" +
                     std::string(r.principal) +
                     R"(,"Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*")";
  if (!r.condition.empty()) text += R"(,"Condition":)" + std::string(r.condition);
  text += "}]}";
  const auto p = must_parse(text);
  CHECK(policy::is_public(p) == r.is_public);
  CHECK(policy::public_statements(p).empty() == !r.is_public);
}

TEST_CASE("policy: is_public judges Allow statements only; NotPrincipal in an Allow is public", "[policy]") {
  const auto deny_only = must_parse(R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",)"
                                    R"("Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})");
  CHECK_FALSE(policy::is_public(deny_only));
  const auto not_principal =
      must_parse(R"({"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},)"
                 R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]})");
  CHECK(policy::is_public(not_principal));
  const auto mixed = must_parse(R"({"Statement":[
    {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"},
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}
  ]})");
  CHECK(policy::is_public(mixed));
  CHECK(policy::public_statements(mixed) == std::vector<std::size_t>{1});
}
