#include "s3cors/app/access_command.hpp"

#include "config_loader.hpp"
#include "s3cors/policy/policy.hpp"
#include "s3cors/s3/bucket_policy.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace s3cors::app {
namespace {

constexpr std::string_view access_usage = R"(Usage:
  s3cors access explain --policy FILE --bucket NAME --action ACTION [--key KEY]
                        [--principal anonymous|ACCOUNT_ID|arn:aws:iam::ACCOUNT:user/NAME|service:NAME]
                        [--condition KEY=VALUE]...
      Evaluates a bucket policy (as PutBucketPolicy would accept it for NAME) for one request,
      as S3 does: each statement's verdict (matched, or the first of principal, action,
      resource or condition that did not), then the decision. An explicit Deny refuses
      whatever the ACLs say; an Allow grants; with no matching statement the bucket's owner
      rights and ACLs decide. ACTION is an S3 action name, e.g. s3:GetObject or s3:ListBucket.
      Exit status: 0 allowed, 1 explicitly denied, 3 no statement matched, 2 usage errors.
)";

policy::requester requester_of(std::string_view text) {
  policy::requester who;
  if (text.empty() || text == "anonymous") return who;
  if (text.starts_with("service:")) {
    who.type = policy::requester::kind::service;
    who.service = std::string(text.substr(8));
    return who;
  }
  who.type = policy::requester::kind::identity;
  if (text.starts_with("arn:aws:iam::")) {
    const auto account_end = text.find(':', 13);
    if (account_end == std::string_view::npos) throw std::invalid_argument("--principal: not an IAM ARN");
    who.account_id = std::string(text.substr(13, account_end - 13));
    who.arn = std::string(text);
  } else {
    who.account_id = std::string(text);
    who.arn = "arn:aws:iam::" + who.account_id + ":root";
  }
  return who;
}

int explain_command(int argc, char** argv) {
  std::optional<std::string> policy_file, bucket, action, principal;
  std::string key;
  policy::context_keys conditions;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--policy") {
      policy_file = value();
    } else if (arg == "--bucket") {
      bucket = value();
    } else if (arg == "--action") {
      action = value();
    } else if (arg == "--key") {
      key = value();
    } else if (arg == "--principal") {
      principal = value();
    } else if (arg == "--condition") {
      const std::string pair = value();
      const auto equals = pair.find('=');
      if (equals == std::string::npos || equals == 0)
        throw std::invalid_argument("--condition takes KEY=VALUE");
      conditions[pair.substr(0, equals)].push_back(pair.substr(equals + 1));
    } else {
      throw std::invalid_argument(fmt::format("unknown argument '{}'", arg));
    }
  }
  if (!policy_file || !bucket || !action)
    throw std::invalid_argument("--policy, --bucket and --action are required");

  auto parsed = policy::parse(read_text_file(*policy_file), *bucket);
  if (!parsed) {
    const auto& e = parsed.error();
    throw std::runtime_error(fmt::format("{}: PutBucketPolicy would refuse it: {}", *policy_file, e.message));
  }
  policy::request_facts facts;
  facts.principal = requester_of(principal.value_or("anonymous"));
  facts.action = *action;
  facts.resource = s3::resource_arn(*bucket, key);
  facts.keys = std::move(conditions);
  policy::add_principal_keys(facts);
  const auto evaluated = policy::evaluate(*parsed, facts, true);

  std::string out =
      fmt::format("Request: {} on {} by {}\n", facts.action, facts.resource, principal.value_or("anonymous"));
  for (const auto& step : evaluated.trace) {
    out +=
        fmt::format("  statement {}{}: {}{}\n", step.index + 1,
                    step.sid.empty() ? std::string() : fmt::format(" (Sid \"{}\")", step.sid),
                    policy::to_string(step.what), step.detail.empty() ? std::string() : " — " + step.detail);
  }
  switch (evaluated.decision) {
    case policy::decision::explicit_deny:
      out += fmt::format("Decision: DENIED by statement {}: an explicit Deny wins over every Allow and ACL\n",
                         *evaluated.statement + 1);
      break;
    case policy::decision::allow:
      out += fmt::format("Decision: ALLOWED by statement {}\n", *evaluated.statement + 1);
      break;
    case policy::decision::no_match:
      out += "Decision: no statement matched: the bucket owner's rights and the ACLs decide\n";
      break;
  }
  std::fputs(out.c_str(), stdout);
  return evaluated.decision == policy::decision::allow           ? 0
         : evaluated.decision == policy::decision::explicit_deny ? 1
                                                                 : 3;
}

}  // namespace

int run_access_command(int argc, char** argv) {
  try {
    if (argc < 1 || std::string_view(argv[0]) == "--help") {
      std::fputs(access_usage.data(), argc < 1 ? stderr : stdout);
      return argc < 1 ? 2 : 0;
    }
    const std::string_view command = argv[0];
    if (command == "explain") return explain_command(argc - 1, argv + 1);
    throw std::invalid_argument(fmt::format("unknown access command '{}' (explain)", command));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "s3cors access: %s\n%s", e.what(), access_usage.data());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors access: %s\n", e.what());
    return 2;
  }
}

}  // namespace s3cors::app
