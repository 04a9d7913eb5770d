#pragma once
// The S3 bucket-policy language (docs/bucket-policies.md): parsing and validating a document as
// PutBucketPolicy does, evaluating it for one request as S3 does, and S3's notion of a "public"
// policy (GetBucketPolicyStatus, Block Public Access). Pure: the request's facts, the time among
// them, come in as values; nothing here reads a clock, a file or the network.
#include "s3cors/result.hpp"
#include "s3cors/s3/error.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::policy {

/// S3 refuses bucket policies over 20 KB, measured on the document without insignificant
/// whitespace.
inline constexpr std::size_t max_policy_size = 20 * 1024;

enum class effect { allow, deny };

/// The value of a Principal or NotPrincipal element.
struct principal_set {
  bool everyone = false;         ///< "*" or an "AWS" value "*"
  std::vector<std::string> aws;  ///< account ids and IAM/STS ARNs, as written ("*" excluded)
  std::vector<std::string> canonical_users;
  std::vector<std::string> services;   ///< e.g. cloudfront.amazonaws.com
  std::vector<std::string> federated;  ///< accepted; matches no requester of s3cors
};

enum class condition_operator {
  string_equals,
  string_not_equals,
  string_equals_ignore_case,
  string_not_equals_ignore_case,
  string_like,
  string_not_like,
  numeric_equals,
  numeric_not_equals,
  numeric_less_than,
  numeric_less_than_equals,
  numeric_greater_than,
  numeric_greater_than_equals,
  date_equals,
  date_not_equals,
  date_less_than,
  date_less_than_equals,
  date_greater_than,
  date_greater_than_equals,
  boolean,  ///< Bool
  binary_equals,
  ip_address,
  not_ip_address,
  arn_equals,
  arn_like,
  arn_not_equals,
  arn_not_like,
  null,  ///< Null: "true" = the key is absent
};

enum class set_qualifier { none, for_any_value, for_all_values };

/// One key of one operator block: `"StringEquals": {"aws:SourceArn": [...]}`.
struct condition {
  std::string operator_name;  ///< as written, e.g. "ForAnyValue:StringLikeIfExists"
  condition_operator op = condition_operator::string_equals;
  set_qualifier qualifier = set_qualifier::none;
  bool if_exists = false;
  std::string key;                  ///< as written; compared case-insensitively
  std::vector<std::string> values;  ///< JSON booleans and numbers as their text ("true", "10")
};

struct statement {
  std::string sid;  ///< empty when absent
  policy::effect effect = effect::allow;
  principal_set principal;
  bool not_principal = false;  ///< the set came from NotPrincipal
  std::vector<std::string> actions;
  bool not_action = false;
  std::vector<std::string> resources;
  bool not_resource = false;
  std::vector<condition> conditions;  ///< all must hold (AND)
};

struct bucket_policy {
  std::string version;  ///< "2012-10-17", "2008-10-17", or empty when absent
  std::string id;
  std::vector<statement> statements;

  /// Policy variables (${aws:username}, ${*}, ...) are expanded only under Version 2012-10-17.
  [[nodiscard]] bool has_variables() const noexcept { return version == "2012-10-17"; }
};

/// Parses and validates `text` as PutBucketPolicy does for the bucket `bucket`. On failure
/// returns 400 MalformedPolicy with S3's message ("Policies must be valid JSON and the first
/// byte must be '{'", "Missing required field Principal", "Policy has invalid resource",
/// "Unknown field X", ...). GetBucketPolicy answers the text as stored, so callers keep `text`.
[[nodiscard]] result<bucket_policy, s3::error_detail> parse(std::string_view text, std::string_view bucket);

// ---------------------------------------------------------------------------------------------
// Evaluation

/// ASCII case-insensitive ordering, for condition key names.
struct key_less {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

/// The request context: condition key -> its values (one for most keys; several for multivalued
/// keys). A key with no values counts as absent.
using context_keys = std::map<std::string, std::vector<std::string>, key_less>;

/// Who sent the request.
struct requester {
  enum class kind {
    anonymous,  ///< unsigned
    identity,   ///< an account's root or one of its IAM users/roles
    service,    ///< an AWS service principal, e.g. cloudfront.amazonaws.com
  };
  kind type = kind::anonymous;
  std::string account_id;    ///< 12 digits (identity)
  std::string arn;           ///< arn:aws:iam::ACCOUNT:root, ...:user/NAME, ... (identity)
  std::string canonical_id;  ///< the account's canonical user id, when known (identity)
  std::string service;       ///< service principal name (service)
};

struct request_facts {
  policy::requester principal;
  std::string action;    ///< e.g. "s3:GetObject"
  std::string resource;  ///< "arn:aws:s3:::bucket/key" or "arn:aws:s3:::bucket"
  context_keys keys;     ///< aws:SourceIp, aws:CurrentTime, s3:prefix, ... (see add_principal_keys)
};

/// Fills the keys IAM derives from the requester, when the caller has not set them:
/// aws:PrincipalType (Anonymous, Account, User, AssumedRole, AWSService), aws:PrincipalAccount,
/// aws:PrincipalArn, aws:userid (the account id for a root, "anonymous" for anonymous),
/// aws:username (an IAM user's name) and aws:PrincipalServiceName.
void add_principal_keys(request_facts& facts);

/// What one statement did with the request: the first element that did not match, in the order
/// principal, action, resource, condition.
struct statement_trace {
  std::size_t index = 0;
  std::string sid;
  enum class verdict {
    matched,
    principal_mismatch,
    action_mismatch,
    resource_mismatch,
    condition_failed
  } what = verdict::matched;
  std::string condition_operator;  ///< condition_failed: the operator as written
  std::string condition_key;       ///< condition_failed: the key as written
  std::string detail;              ///< for humans, e.g. "aws:SourceIp 198.51.100.7 not in [192.0.2.0/24]"

  friend bool operator==(const statement_trace&, const statement_trace&) = default;
};

enum class decision {
  allow,          ///< a matching Allow and no matching Deny
  explicit_deny,  ///< a matching Deny (wins over any Allow)
  no_match,       ///< implicit deny: the caller decides with ACLs and ownership
};

struct evaluation {
  policy::decision decision = decision::no_match;
  /// The deciding statement: the first matching Deny, else the first matching Allow.
  std::optional<std::size_t> statement;
  std::string sid;                     ///< its Sid (may be empty)
  std::vector<statement_trace> trace;  ///< one per statement, in order (empty unless explain)
};

/// Evaluates `policy` for one request as S3 does: an explicit Deny wins, else an Allow, else
/// no_match. Without `explain` the trace is left empty; the decision is the same.
[[nodiscard]] evaluation evaluate(const bucket_policy& policy, const request_facts& facts,
                                  bool explain = true);

/// "allow", "explicit_deny", "no_match".
[[nodiscard]] std::string_view to_string(decision d) noexcept;
/// "matched", "principal_mismatch", "action_mismatch", "resource_mismatch", "condition_failed".
[[nodiscard]] std::string_view to_string(statement_trace::verdict v) noexcept;

/// Action patterns as IAM compares them: case-insensitive, `*` any run and `?` one character;
/// "*" matches every action. E.g. action_matches("s3:Get*", "s3:GetObject").
[[nodiscard]] bool action_matches(std::string_view pattern, std::string_view action);

/// ARN patterns as IAM compares them (Resource, ArnLike): case-sensitive, each of the six
/// colon-separated parts compared on its own (`*` and `?` do not cross a part, except in the
/// last one, which runs to the end, '/' and ':' included); "*" matches every ARN.
[[nodiscard]] bool arn_matches(std::string_view pattern, std::string_view arn);

// ---------------------------------------------------------------------------------------------
// Public or not

/// Whether S3 would call the policy public (GetBucketPolicyStatus IsPublic, BlockPublicPolicy,
/// RestrictPublicBuckets): some Allow statement grants access to a wildcard principal (or to
/// NotPrincipal) without a condition pinning fixed values of a key S3 lists (aws:SourceArn,
/// aws:SourceAccount, aws:SourceIp with a narrow CIDR, ...). docs/bucket-policies.md §5.
[[nodiscard]] bool is_public(const bucket_policy& policy);

/// The statements that make the policy public (indexes), for explanations.
[[nodiscard]] std::vector<std::size_t> public_statements(const bucket_policy& policy);

}  // namespace s3cors::policy
