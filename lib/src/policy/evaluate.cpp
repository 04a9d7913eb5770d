#include "s3cors/policy/policy.hpp"

#include "policy/detail.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace s3cors::policy {
namespace {

using detail::iequals;

// "arn:aws:iam::111122223333:root" -> "111122223333"; empty when not a root ARN.
std::string_view root_account(std::string_view arn) {
  for (const std::string_view prefix :
       {std::string_view("arn:aws:iam::"), std::string_view("arn:aws-cn:iam::"),
        std::string_view("arn:aws-us-gov:iam::")}) {
    if (arn.starts_with(prefix) && arn.ends_with(":root")) {
      const std::string_view account = arn.substr(prefix.size(), arn.size() - prefix.size() - 5);
      if (account.size() == 12) return account;
    }
  }
  return {};
}

// "arn:aws:iam::A:role/path/NAME" names the sessions "arn:aws:sts::A:assumed-role/NAME/SESSION".
bool is_session_of(std::string_view role_arn, std::string_view session_arn) {
  const auto role = role_arn.find(":role/");
  const auto assumed = session_arn.find(":assumed-role/");
  if (role == std::string_view::npos || assumed == std::string_view::npos) return false;
  const std::string_view partition = role_arn.substr(0, role_arn.find(":iam::"));
  if (session_arn.substr(0, session_arn.find(":sts::")) != partition) return false;
  const std::string_view role_account = role_arn.substr(std::min(role_arn.size(), partition.size() + 6), 12);
  const std::string_view session_account =
      session_arn.substr(std::min(session_arn.size(), partition.size() + 6), 12);
  if (role_account != session_account || role_account.size() != 12) return false;
  const std::string_view name = role_arn.substr(role_arn.rfind('/') + 1);
  std::string_view rest = session_arn.substr(assumed + 14);
  return rest.size() > name.size() && rest.substr(0, name.size()) == name && rest[name.size()] == '/';
}

// Whether a Principal element names the requester (docs/bucket-policies.md §3.1).
bool principal_names(const principal_set& set, const requester& who) {
  if (set.everyone) return true;
  switch (who.type) {
    case requester::kind::anonymous:
      return false;
    case requester::kind::service:
      return std::any_of(set.services.begin(), set.services.end(),
                         [&](const std::string& s) { return iequals(s, who.service); });
    case requester::kind::identity:
      break;
  }
  for (const std::string& p : set.aws) {
    // An account id or its root ARN names every identity of the account.
    if (p.size() == 12 && p == who.account_id) return true;
    if (const auto account = root_account(p); !account.empty() && account == who.account_id) return true;
    if (!who.arn.empty() && p == who.arn) return true;
    if (is_session_of(p, who.arn)) return true;
  }
  if (!who.canonical_id.empty() && std::find(set.canonical_users.begin(), set.canonical_users.end(),
                                             who.canonical_id) != set.canonical_users.end())
    return true;
  return false;
}

const std::vector<std::string>* lookup(const context_keys& keys, std::string_view key) {
  const auto it = keys.find(key);
  if (it == keys.end() || it->second.empty()) return nullptr;
  return &it->second;
}

std::string join(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += values[i];
  }
  return out + "]";
}

// The positive form of one operator applied to one request value and one policy value.
class matcher {
 public:
  matcher(const condition& c, const context_keys& keys, bool variables) : c_(c) {
    using op = condition_operator;
    switch (c.op) {
      case op::string_equals:
      case op::string_not_equals:
      case op::string_equals_ignore_case:
      case op::string_not_equals_ignore_case:
      case op::binary_equals:
        // Variables expand; wildcards mean themselves.
        for (const std::string& v : c.values)
          if (auto g = detail::expand(v, keys, variables, false)) patterns_.push_back(std::move(*g));
        break;
      case op::string_like:
      case op::string_not_like:
      case op::arn_equals:
      case op::arn_like:
      case op::arn_not_equals:
      case op::arn_not_like:
        for (const std::string& v : c.values)
          if (auto g = detail::expand(v, keys, variables, true)) patterns_.push_back(std::move(*g));
        break;
      case op::ip_address:
      case op::not_ip_address:
        for (const std::string& v : c.values)
          if (auto r = detail::parse_cidr(v)) ranges_.push_back(*r);
        break;
      default:
        break;
    }
  }

  [[nodiscard]] bool any(std::string_view request_value) const {
    using op = condition_operator;
    switch (c_.op) {
      case op::string_equals:
      case op::string_not_equals:
      case op::binary_equals:
      case op::string_like:
      case op::string_not_like:
        return std::any_of(patterns_.begin(), patterns_.end(), [&](const detail::glob& g) {
          return detail::glob_matches(g, request_value, false);
        });
      case op::string_equals_ignore_case:
      case op::string_not_equals_ignore_case:
        return std::any_of(patterns_.begin(), patterns_.end(), [&](const detail::glob& g) {
          return detail::glob_matches(g, request_value, true);
        });
      case op::arn_equals:
      case op::arn_like:
      case op::arn_not_equals:
      case op::arn_not_like:
        return std::any_of(patterns_.begin(), patterns_.end(),
                           [&](const detail::glob& g) { return detail::arn_glob_matches(g, request_value); });
      case op::ip_address:
      case op::not_ip_address: {
        const auto address = detail::parse_cidr(request_value);
        if (!address) return false;
        return std::any_of(ranges_.begin(), ranges_.end(),
                           [&](const detail::cidr& r) { return detail::cidr_contains(r, *address); });
      }
      case op::boolean: {
        const auto have = detail::parse_bool(request_value);
        return have && std::any_of(c_.values.begin(), c_.values.end(), [&](const std::string& v) {
                 const auto want = detail::parse_bool(v);
                 return want && *want == *have;
               });
      }
      case op::numeric_equals:
      case op::numeric_not_equals:
      case op::numeric_less_than:
      case op::numeric_less_than_equals:
      case op::numeric_greater_than:
      case op::numeric_greater_than_equals: {
        const auto have = detail::parse_number(request_value);
        return have && std::any_of(c_.values.begin(), c_.values.end(), [&](const std::string& v) {
                 const auto want = detail::parse_number(v);
                 return want && compare(*have, *want);
               });
      }
      case op::date_equals:
      case op::date_not_equals:
      case op::date_less_than:
      case op::date_less_than_equals:
      case op::date_greater_than:
      case op::date_greater_than_equals: {
        const auto have = detail::parse_date(request_value);
        return have && std::any_of(c_.values.begin(), c_.values.end(), [&](const std::string& v) {
                 const auto want = detail::parse_date(v);
                 return want && compare(*have, *want);
               });
      }
      case op::null:
        return false;
    }
    return false;
  }

 private:
  template <class T>
  [[nodiscard]] bool compare(T have, T want) const {
    using op = condition_operator;
    switch (c_.op) {
      case op::numeric_less_than:
      case op::date_less_than:
        return have < want;
      case op::numeric_less_than_equals:
      case op::date_less_than_equals:
        return have <= want;
      case op::numeric_greater_than:
      case op::date_greater_than:
        return have > want;
      case op::numeric_greater_than_equals:
      case op::date_greater_than_equals:
        return have >= want;
      default:  // Equals and NotEquals compare for equality; the caller negates
        return have == want;
    }
  }

  const condition& c_;
  std::vector<detail::glob> patterns_;
  std::vector<detail::cidr> ranges_;
};

// IAM's rules (docs/bucket-policies.md §4): a missing key fails a positive operator and satisfies
// a negated one, ...IfExists and ForAllValues; ForAnyValue fails. Policy values OR together (NOR
// under a negated operator).
bool holds(const condition& c, const context_keys& keys, bool variables) {
  const std::vector<std::string>* have = lookup(keys, c.key);
  if (c.op == condition_operator::null) {
    return std::any_of(c.values.begin(), c.values.end(), [&](const std::string& v) {
      const auto want_absent = detail::parse_bool(v);
      return want_absent && *want_absent == (have == nullptr);
    });
  }
  const bool negated = detail::is_negated(c.op);
  if (have == nullptr) {
    if (c.if_exists) return true;
    if (c.qualifier == set_qualifier::for_all_values) return true;
    if (c.qualifier == set_qualifier::for_any_value) return false;
    return negated;
  }
  const matcher m(c, keys, variables);
  switch (c.qualifier) {
    case set_qualifier::for_any_value:
      return std::any_of(have->begin(), have->end(),
                         [&](const std::string& v) { return m.any(v) != negated; });
    case set_qualifier::for_all_values:
      return std::all_of(have->begin(), have->end(),
                         [&](const std::string& v) { return m.any(v) != negated; });
    case set_qualifier::none:
      break;
  }
  const bool some = std::any_of(have->begin(), have->end(), [&](const std::string& v) { return m.any(v); });
  return negated ? !some : some;
}

bool resource_matches(const statement& s, const request_facts& facts, bool variables) {
  const bool any = std::any_of(s.resources.begin(), s.resources.end(), [&](const std::string& r) {
    const auto g = detail::expand(r, facts.keys, variables, true);
    return g && detail::arn_glob_matches(*g, facts.resource);
  });
  return any != s.not_resource;
}

bool action_listed(const statement& s, std::string_view action) {
  const bool any = std::any_of(s.actions.begin(), s.actions.end(),
                               [&](const std::string& a) { return action_matches(a, action); });
  return any != s.not_action;
}

statement_trace judge(const statement& s, std::size_t index, const request_facts& facts, bool variables,
                      bool explain) {
  statement_trace t;
  t.index = index;
  if (explain) t.sid = s.sid;
  using verdict = statement_trace::verdict;
  if (principal_names(s.principal, facts.principal) == s.not_principal) {
    t.what = verdict::principal_mismatch;
    if (explain)
      t.detail = s.not_principal ? "the requester is excluded by NotPrincipal" : "the requester is not named";
    return t;
  }
  if (!action_listed(s, facts.action)) {
    t.what = verdict::action_mismatch;
    if (explain)
      t.detail = fmt::format("{} {} {}", facts.action, s.not_action ? "is in NotAction" : "is not in",
                             join(s.actions));
    return t;
  }
  if (!resource_matches(s, facts, variables)) {
    t.what = verdict::resource_mismatch;
    if (explain)
      t.detail = fmt::format("{} {} {}", facts.resource, s.not_resource ? "is in NotResource" : "is not in",
                             join(s.resources));
    return t;
  }
  for (const condition& c : s.conditions) {
    if (holds(c, facts.keys, variables)) continue;
    t.what = verdict::condition_failed;
    if (explain) {
      t.condition_operator = c.operator_name;
      t.condition_key = c.key;
      const std::vector<std::string>* have = lookup(facts.keys, c.key);
      t.detail = fmt::format("{} {}: request has {}, policy has {}", c.operator_name, c.key,
                             have ? join(*have) : std::string("no value"), join(c.values));
    }
    return t;
  }
  t.what = verdict::matched;
  return t;
}

}  // namespace

evaluation evaluate(const bucket_policy& policy, const request_facts& facts, bool explain) {
  evaluation out;
  const bool variables = policy.has_variables();
  std::optional<std::size_t> first_allow, first_deny;
  for (std::size_t i = 0; i < policy.statements.size(); ++i) {
    const statement& s = policy.statements[i];
    // Without an explanation, once a Deny matched nothing can change the answer.
    if (!explain && first_deny) break;
    statement_trace t = judge(s, i, facts, variables, explain);
    if (t.what == statement_trace::verdict::matched) {
      if (s.effect == effect::deny && !first_deny) first_deny = i;
      if (s.effect == effect::allow && !first_allow) first_allow = i;
    }
    if (explain) out.trace.push_back(std::move(t));
  }
  if (first_deny) {
    out.decision = decision::explicit_deny;
    out.statement = first_deny;
  } else if (first_allow) {
    out.decision = decision::allow;
    out.statement = first_allow;
  }
  if (out.statement) out.sid = policy.statements[*out.statement].sid;
  return out;
}

std::string_view to_string(decision d) noexcept {
  switch (d) {
    case decision::allow:
      return "allow";
    case decision::explicit_deny:
      return "explicit_deny";
    case decision::no_match:
      return "no_match";
  }
  return "no_match";
}

std::string_view to_string(statement_trace::verdict v) noexcept {
  using verdict = statement_trace::verdict;
  switch (v) {
    case verdict::matched:
      return "matched";
    case verdict::principal_mismatch:
      return "principal_mismatch";
    case verdict::action_mismatch:
      return "action_mismatch";
    case verdict::resource_mismatch:
      return "resource_mismatch";
    case verdict::condition_failed:
      return "condition_failed";
  }
  return "matched";
}

void add_principal_keys(request_facts& facts) {
  const requester& who = facts.principal;
  auto set = [&](std::string_view key, std::string value) {
    if (facts.keys.find(key) == facts.keys.end() && !value.empty())
      facts.keys.emplace(std::string(key), std::vector<std::string>{std::move(value)});
  };
  switch (who.type) {
    case requester::kind::anonymous:
      set("aws:PrincipalType", "Anonymous");
      set("aws:userid", "anonymous");
      break;
    case requester::kind::service:
      set("aws:PrincipalType", "AWSService");
      set("aws:PrincipalServiceName", who.service);
      break;
    case requester::kind::identity: {
      const std::string_view arn = who.arn;
      const auto resource = arn.substr(std::min(arn.size(), arn.find(':', arn.find("::") + 2) + 1));
      std::string type = "Account";
      if (resource.starts_with("user/")) {
        type = "User";
        set("aws:username", std::string(resource.substr(resource.rfind('/') + 1)));
      } else if (arn.find(":assumed-role/") != std::string_view::npos) {
        type = "AssumedRole";
      } else if (arn.find(":federated-user/") != std::string_view::npos) {
        type = "FederatedUser";
      }
      set("aws:PrincipalType", type);
      set("aws:PrincipalAccount", who.account_id);
      set("aws:PrincipalArn",
          who.arn.empty() ? fmt::format("arn:aws:iam::{}:root", who.account_id) : who.arn);
      if (type == "Account") set("aws:userid", who.account_id);
      break;
    }
  }
}

}  // namespace s3cors::policy
