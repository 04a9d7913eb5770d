#include "s3cors/policy/policy.hpp"

#include "policy/detail.hpp"

#include <algorithm>

// S3's rule, from the S3 User Guide's "The meaning of 'public'" (Blocking public access): a bucket
// policy is assumed public, and is non-public only when it grants access to fixed values — values
// without a wildcard or a policy variable — of one or more of: an AWS principal, user, role or
// service principal (aws:PrincipalOrgID and the like); a set of CIDR blocks with aws:SourceIp;
// aws:SourceArn; aws:SourceVpc; aws:SourceVpce; aws:SourceOwner; aws:SourceAccount;
// s3:x-amz-server-side-encryption-aws-kms-key-id; aws:userid outside the pattern "AROLEID:*";
// s3:DataAccessPointArn; s3:DataAccessPointAccount. Deny statements grant nothing and are not
// judged. docs/bucket-policies.md §5 gives the details chosen where the page is silent.

namespace s3cors::policy {
namespace {

bool is_fixed(std::string_view value) {
  return !value.empty() && value.find_first_of("*?") == std::string_view::npos &&
         !detail::has_variable(value);
}

// aws:userid "AROLEID:*" (a role's sessions) counts as fixed: the pattern names one role.
bool is_fixed_userid(std::string_view value) {
  if (value.ends_with(":*")) value.remove_suffix(2);
  return is_fixed(value);
}

// An IPv4 range wider than /8, or an IPv6 range wider than /32, confines nothing in practice;
// s3cors calls it public (the page speaks only of "a set of CIDR blocks").
bool is_narrow_cidr(std::string_view value) {
  if (detail::has_variable(value)) return false;
  const auto range = detail::parse_cidr(value);
  return range && range->prefix >= (range->v6 ? 32U : 8U);
}

// Whether one condition holds every request to fixed values of a key the page lists. A
// condition a request without the key satisfies (...IfExists, ForAllValues, a negated operator)
// confines nothing.
bool confines(const condition& c) {
  if (c.if_exists || c.qualifier == set_qualifier::for_all_values) return false;
  if (detail::iequals(c.key, "aws:SourceIp"))
    return c.op == condition_operator::ip_address &&
           std::all_of(c.values.begin(), c.values.end(), is_narrow_cidr);
  static constexpr std::string_view keys[] = {
      "aws:SourceArn",
      "aws:SourceVpc",
      "aws:SourceVpce",
      "aws:SourceOwner",
      "aws:SourceAccount",
      "aws:PrincipalOrgID",
      "aws:PrincipalAccount",
      "aws:PrincipalArn",
      "aws:userid",
      "s3:DataAccessPointArn",
      "s3:DataAccessPointAccount",
      "s3:x-amz-server-side-encryption-aws-kms-key-id",
  };
  if (std::none_of(std::begin(keys), std::end(keys),
                   [&](std::string_view k) { return detail::iequals(k, c.key); }))
    return false;
  switch (c.op) {
    case condition_operator::string_equals:
    case condition_operator::string_equals_ignore_case:
    case condition_operator::string_like:
    case condition_operator::arn_equals:
    case condition_operator::arn_like:
      break;
    default:
      return false;
  }
  if (detail::iequals(c.key, "aws:userid"))
    return std::all_of(c.values.begin(), c.values.end(), is_fixed_userid);
  return std::all_of(c.values.begin(), c.values.end(), [](const std::string& v) { return is_fixed(v); });
}

bool is_public_statement(const statement& s) {
  if (s.effect != effect::allow) return false;
  // A fixed principal: named accounts, users, roles, canonical users, services.
  if (!s.not_principal && !s.principal.everyone) return false;
  return std::none_of(s.conditions.begin(), s.conditions.end(), confines);
}

}  // namespace

std::vector<std::size_t> public_statements(const bucket_policy& policy) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < policy.statements.size(); ++i)
    if (is_public_statement(policy.statements[i])) out.push_back(i);
  return out;
}

bool is_public(const bucket_policy& policy) {
  return std::any_of(policy.statements.begin(), policy.statements.end(), is_public_statement);
}

}  // namespace s3cors::policy
