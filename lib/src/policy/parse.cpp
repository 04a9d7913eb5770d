#include "s3cors/policy/policy.hpp"

#include "policy/detail.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <string>

namespace s3cors::policy {
namespace {

using json = nlohmann::json;

// PutBucketPolicy's messages, as S3 answers them (docs/bucket-policies.md §2).
constexpr std::string_view first_byte_message = "Policies must be valid JSON and the first byte must be '{'";
constexpr std::string_view invalid_json_message = "This policy contains invalid Json";
constexpr std::string_view syntax_message = "Invalid policy syntax.";
constexpr std::string_view too_large_message = "Policy exceeds the maximum allowed document size.";
constexpr std::string_view version_message = "The policy must contain a valid version string";
constexpr std::string_view missing_statement_message = "Missing required field Statement";
constexpr std::string_view empty_statement_message = "Could not parse the policy: Statement is empty!";
constexpr std::string_view missing_principal_message = "Missing required field Principal";
constexpr std::string_view empty_principal_message = "Missing required field Principal cannot be empty!";
constexpr std::string_view invalid_principal_message = "Invalid principal in policy";
constexpr std::string_view invalid_action_message = "Policy has invalid action";
constexpr std::string_view invalid_resource_message = "Policy has invalid resource";
constexpr std::string_view invalid_condition_key_message = "Policy has an invalid condition key";

struct refusal {
  std::string message;
};

[[noreturn]] void refuse(std::string_view message) {
  throw refusal{std::string(message)};
}

// The S3 actions a bucket policy may name (Service Authorization Reference, "Actions defined by
// Amazon S3", those on a bucket or an object, plus account-wide ones S3 accepts in a statement).
// A pattern that matches none of them is "Policy has invalid action".
constexpr std::string_view s3_actions[] = {
    "AbortMultipartUpload",
    "BypassGovernanceRetention",
    "CreateBucket",
    "CreateBucketMetadataTableConfiguration",
    "CreateSession",
    "DeleteBucket",
    "DeleteBucketMetadataTableConfiguration",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketWebsite",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjectVersion",
    "DeleteObjectVersionTagging",
    "GetAccelerateConfiguration",
    "GetAnalyticsConfiguration",
    "GetBucketAbac",
    "GetBucketAcl",
    "GetBucketCORS",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketMetadataTableConfiguration",
    "GetBucketNotification",
    "GetBucketObjectLockConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetEncryptionConfiguration",
    "GetIntelligentTieringConfiguration",
    "GetInventoryConfiguration",
    "GetLifecycleConfiguration",
    "GetMetricsConfiguration",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetObjectVersion",
    "GetObjectVersionAcl",
    "GetObjectVersionAttributes",
    "GetObjectVersionForReplication",
    "GetObjectVersionTagging",
    "GetObjectVersionTorrent",
    "GetReplicationConfiguration",
    "InitiateReplication",
    "ListAllMyBuckets",
    "ListBucket",
    "ListBucketMultipartUploads",
    "ListBucketVersions",
    "ListMultipartUploadParts",
    "ObjectOwnerOverrideToBucketOwner",
    "PutAccelerateConfiguration",
    "PutAnalyticsConfiguration",
    "PutBucketAbac",
    "PutBucketAcl",
    "PutBucketCORS",
    "PutBucketLogging",
    "PutBucketNotification",
    "PutBucketObjectLockConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketPublicAccessBlock",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutEncryptionConfiguration",
    "PutIntelligentTieringConfiguration",
    "PutInventoryConfiguration",
    "PutLifecycleConfiguration",
    "PutMetricsConfiguration",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutObjectVersionAcl",
    "PutObjectVersionTagging",
    "PutReplicationConfiguration",
    "ReplicateDelete",
    "ReplicateObject",
    "ReplicateTags",
    "RestoreObject",
    "UpdateBucketMetadataInventoryTableConfiguration",
    "UpdateBucketMetadataJournalTableConfiguration",
};

void check_action(std::string_view action) {
  if (action == "*") return;
  const auto colon = action.find(':');
  if (colon == std::string_view::npos || !detail::iequals(action.substr(0, colon), "s3"))
    refuse(invalid_action_message);
  const std::string_view name = action.substr(colon + 1);
  if (name.empty()) refuse(invalid_action_message);
  for (const char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*' || c == '?'))
      refuse(invalid_action_message);
  const detail::glob g = detail::compile(name);
  if (!std::any_of(std::begin(s3_actions), std::end(s3_actions),
                   [&](std::string_view known) { return detail::glob_matches(g, known, true); }))
    refuse(invalid_action_message);
}

// S3 keeps a bucket's policy about that bucket: every resource must be an S3 ARN whose bucket
// part can name this bucket ("*" alone and other buckets are refused).
void check_resource(std::string_view resource, std::string_view bucket) {
  constexpr std::string_view partitions[] = {"arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::"};
  std::string_view rest;
  bool found = false;
  for (const std::string_view prefix : partitions) {
    if (resource.substr(0, prefix.size()) == prefix) {
      rest = resource.substr(prefix.size());
      found = true;
      break;
    }
  }
  if (!found || rest.empty()) refuse(invalid_resource_message);
  std::string_view bucket_part = rest.substr(0, rest.find('/'));
  // A variable in the bucket part may expand to anything: judge it as a wildcard.
  std::string pattern;
  for (std::size_t i = 0; i < bucket_part.size();) {
    if (bucket_part.substr(i, 2) == "${") {
      const auto close = bucket_part.find('}', i);
      if (close == std::string_view::npos) break;
      pattern += '*';
      i = close + 1;
    } else {
      pattern += bucket_part[i++];
    }
  }
  if (pattern.empty() || !detail::glob_matches(detail::compile(pattern), bucket, false))
    refuse(invalid_resource_message);
  // A '*' may span the bucket and key ("arn:aws:s3:::buck*"): nothing more to check.
}

bool all_digits(std::string_view s, std::size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An "AWS" principal: an account id, an account's root, an IAM user or role, an STS session, or
// a CloudFront origin access identity. S3 also checks that it exists, which s3cors cannot.
void check_aws_principal(std::string_view value) {
  if (all_digits(value, 12)) return;
  if (value.find_first_of("*?") != std::string_view::npos) refuse(invalid_principal_message);
  std::string_view rest;
  bool iam = false;
  for (const std::string_view prefix :
       {std::string_view("arn:aws:iam::"), std::string_view("arn:aws-cn:iam::"),
        std::string_view("arn:aws-us-gov:iam::")}) {
    if (value.substr(0, prefix.size()) == prefix) {
      rest = value.substr(prefix.size());
      iam = true;
    }
  }
  if (!iam) {
    for (const std::string_view prefix :
         {std::string_view("arn:aws:sts::"), std::string_view("arn:aws-cn:sts::"),
          std::string_view("arn:aws-us-gov:sts::")}) {
      if (value.substr(0, prefix.size()) == prefix) {
        rest = value.substr(prefix.size());
        const auto colon = rest.find(':');
        if (colon == std::string_view::npos || !all_digits(rest.substr(0, colon), 12))
          refuse(invalid_principal_message);
        const std::string_view resource = rest.substr(colon + 1);
        if ((resource.starts_with("assumed-role/") && resource.size() > 13) ||
            (resource.starts_with("federated-user/") && resource.size() > 15))
          return;
        refuse(invalid_principal_message);
      }
    }
    refuse(invalid_principal_message);
  }
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) refuse(invalid_principal_message);
  const std::string_view account = rest.substr(0, colon);
  const std::string_view resource = rest.substr(colon + 1);
  if (account == "cloudfront") {
    // arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EXXXXXXXXXXXXX
    if (resource.starts_with("user/CloudFront Origin Access Identity ") ||
        resource.starts_with("user/CloudFront_Origin_Access_Identity_"))
      return;
    refuse(invalid_principal_message);
  }
  if (!all_digits(account, 12)) refuse(invalid_principal_message);
  if (resource == "root") return;
  for (const std::string_view kind : {std::string_view("user/"), std::string_view("role/")})
    if (resource.starts_with(kind) && resource.size() > kind.size()) return;
  refuse(invalid_principal_message);
}

std::vector<std::string> strings_of(const json& value, std::string_view empty_message) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const json& item : value) {
      if (!item.is_string()) refuse(syntax_message);
      out.push_back(item.get<std::string>());
    }
  } else {
    refuse(syntax_message);
  }
  if (out.empty()) refuse(empty_message);
  return out;
}

principal_set parse_principal(const json& value) {
  principal_set out;
  if (value.is_string()) {
    if (value.get<std::string>() == "*") {
      out.everyone = true;
      return out;
    }
    if (value.get<std::string>().empty()) refuse(empty_principal_message);
    refuse(invalid_principal_message);
  }
  if (!value.is_object()) refuse(invalid_principal_message);
  if (value.empty()) refuse(empty_principal_message);
  for (const auto& [name, entry] : value.items()) {
    const std::vector<std::string> list = strings_of(entry, empty_principal_message);
    for (const std::string& item : list) {
      if (item.empty()) refuse(invalid_principal_message);
      if (name == "AWS") {
        if (item == "*") {
          out.everyone = true;
        } else {
          check_aws_principal(item);
          out.aws.push_back(item);
        }
      } else if (name == "CanonicalUser") {
        if (!std::all_of(item.begin(), item.end(), [](char c) {
              return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            }))
          refuse(invalid_principal_message);
        out.canonical_users.push_back(item);
      } else if (name == "Service") {
        // A service principal is a DNS-like name (cloudfront.amazonaws.com); no wildcards.
        if (item.find_first_of("*? /") != std::string::npos || item.find('.') == std::string::npos)
          refuse(invalid_principal_message);
        out.services.push_back(item);
      } else if (name == "Federated") {
        if (item.find_first_of("*?") != std::string::npos) refuse(invalid_principal_message);
        out.federated.push_back(item);
      } else {
        refuse(invalid_principal_message);
      }
    }
  }
  return out;
}

std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  refuse(syntax_message);
}

void parse_conditions(const json& block, std::vector<condition>& out) {
  if (!block.is_object()) refuse(syntax_message);
  for (const auto& [operator_name, keys] : block.items()) {
    condition base;
    base.operator_name = operator_name;
    std::string_view name = operator_name;
    if (name.starts_with("ForAnyValue:")) {
      base.qualifier = set_qualifier::for_any_value;
      name.remove_prefix(12);
    } else if (name.starts_with("ForAllValues:")) {
      base.qualifier = set_qualifier::for_all_values;
      name.remove_prefix(13);
    }
    if (name.ends_with("IfExists")) {
      base.if_exists = true;
      name.remove_suffix(8);
    }
    const auto op = detail::operator_from_name(name);
    // IAM has no NullIfExists.
    if (!op || (*op == condition_operator::null && base.if_exists))
      refuse(fmt::format("Invalid Condition type : {}", operator_name));
    base.op = *op;
    if (!keys.is_object() || keys.empty()) refuse(syntax_message);
    for (const auto& [key, values] : keys.items()) {
      // Condition keys are global (aws:) or S3's own (s3:).
      if (!(detail::istarts_with(key, "aws:") || detail::istarts_with(key, "s3:")) ||
          key.find(':') + 1 == key.size())
        refuse(invalid_condition_key_message);
      condition c = base;
      c.key = key;
      if (values.is_array()) {
        if (values.empty()) refuse(syntax_message);
        for (const json& v : values) c.values.push_back(value_text(v));
      } else {
        c.values.push_back(value_text(values));
      }
      out.push_back(std::move(c));
    }
  }
}

statement parse_statement(const json& value, std::string_view bucket) {
  if (!value.is_object()) refuse(syntax_message);
  static constexpr std::string_view known[] = {"Sid",          "Effect",      "Principal",
                                               "NotPrincipal", "Action",      "NotAction",
                                               "Resource",     "NotResource", "Condition"};
  for (const auto& [name, unused] : value.items())
    if (std::find(std::begin(known), std::end(known), name) == std::end(known))
      refuse(fmt::format("Unknown field {}", name));

  statement s;
  if (const auto it = value.find("Sid"); it != value.end()) {
    if (!it->is_string()) refuse(syntax_message);
    s.sid = it->get<std::string>();
  }
  const auto eff = value.find("Effect");
  if (eff == value.end()) refuse("Missing required field Effect");
  if (!eff->is_string()) refuse(syntax_message);
  if (*eff == "Allow")
    s.effect = effect::allow;
  else if (*eff == "Deny")
    s.effect = effect::deny;
  else
    refuse(fmt::format("Invalid effect: {}", eff->get<std::string>()));

  const auto principal = value.find("Principal");
  const auto not_principal = value.find("NotPrincipal");
  if (principal != value.end() && not_principal != value.end()) refuse(syntax_message);
  if (principal == value.end() && not_principal == value.end()) refuse(missing_principal_message);
  s.not_principal = principal == value.end();
  s.principal = parse_principal(s.not_principal ? *not_principal : *principal);

  const auto action = value.find("Action");
  const auto not_action = value.find("NotAction");
  if (action != value.end() && not_action != value.end()) refuse(syntax_message);
  if (action == value.end() && not_action == value.end()) refuse("Missing required field Action");
  s.not_action = action == value.end();
  s.actions = strings_of(s.not_action ? *not_action : *action, invalid_action_message);
  for (const std::string& a : s.actions) check_action(a);

  const auto resource = value.find("Resource");
  const auto not_resource = value.find("NotResource");
  if (resource != value.end() && not_resource != value.end()) refuse(syntax_message);
  if (resource == value.end() && not_resource == value.end()) refuse("Missing required field Resource");
  s.not_resource = resource == value.end();
  s.resources = strings_of(s.not_resource ? *not_resource : *resource, invalid_resource_message);
  for (const std::string& r : s.resources) check_resource(r, bucket);

  if (const auto it = value.find("Condition"); it != value.end()) parse_conditions(*it, s.conditions);
  return s;
}

// A policy nests five levels deep; deeper documents are refused before the JSON reader (and its
// recursive writer) sees them.
constexpr std::size_t max_depth = 64;

std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bucket_policy parse_document(std::string_view text, std::string_view bucket) {
  // S3 checks the first byte itself; JSON's leading whitespace is let through (§2).
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') refuse(first_byte_message);
  if (text.size() > 2 * max_policy_size) refuse(too_large_message);
  if (nesting_depth(text) > max_depth) refuse(invalid_json_message);
  const json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) refuse(invalid_json_message);
  // The limit applies to the document without insignificant whitespace.
  if (doc.dump().size() > max_policy_size) refuse(too_large_message);

  for (const auto& [name, unused] : doc.items())
    if (name != "Version" && name != "Id" && name != "Statement")
      refuse(fmt::format("Unknown field {}", name));

  bucket_policy out;
  if (const auto it = doc.find("Version"); it != doc.end()) {
    if (!it->is_string() || (*it != "2012-10-17" && *it != "2008-10-17")) refuse(version_message);
    out.version = it->get<std::string>();
  }
  if (const auto it = doc.find("Id"); it != doc.end()) {
    if (!it->is_string()) refuse(syntax_message);
    out.id = it->get<std::string>();
  }
  const auto statements = doc.find("Statement");
  if (statements == doc.end()) refuse(missing_statement_message);
  if (statements->is_array()) {
    if (statements->empty()) refuse(empty_statement_message);
    for (const json& s : *statements) out.statements.push_back(parse_statement(s, bucket));
  } else if (statements->is_object()) {
    out.statements.push_back(parse_statement(*statements, bucket));
  } else {
    refuse(syntax_message);
  }
  std::set<std::string> sids;
  for (const statement& s : out.statements)
    if (!s.sid.empty() && !sids.insert(s.sid).second)
      refuse("Statement IDs (SID) in a single policy must be unique.");
  return out;
}

}  // namespace

result<bucket_policy, s3::error_detail> parse(std::string_view text, std::string_view bucket) {
  try {
    return parse_document(text, bucket);
  } catch (const refusal& r) {
    return s3::error_detail(s3::error::malformed_policy, r.message);
  } catch (const json::exception&) {
    return s3::error_detail(s3::error::malformed_policy, std::string(invalid_json_message));
  }
}

}  // namespace s3cors::policy
