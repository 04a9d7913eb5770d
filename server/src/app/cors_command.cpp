#include "s3cors/app/cors_command.hpp"

#include "config_loader.hpp"
#include "s3cors/cors/evaluate.hpp"
#include "s3cors/cors/explain.hpp"
#include "s3cors/cors/lint.hpp"
#include "s3cors/cors/parse.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace s3cors::app {
namespace {

constexpr std::string_view cors_usage = R"(Usage:
  s3cors cors explain (--bucket-config FILE | --config FILE [--bucket NAME])
                      --origin ORIGIN --method METHOD [--header NAME]... [--preflight | --actual]
      Shows what S3 would answer: the decision, the headers it would send, and for each rule
      the first thing that failed (origin, method or which header) or that it matched.
      Without --preflight/--actual both the preflight (OPTIONS) and the actual request are shown.
  s3cors cors lint FILE
      Validates a CORS document (S3 XML, console JSON array or aws CLI {"CORSRules": ...})
      as PutBucketCors would, and warns about rules that are probably not what you meant.
      Exit status: 0 clean, 1 warnings only, 2 errors.
)";

struct explain_args {
  std::optional<std::string> bucket_config, config, bucket, origin, method;
  std::vector<std::string> headers;
  bool preflight = true;
  bool actual = true;
};

cors::config_ptr load_for_explain(const explain_args& args) {
  if (args.bucket_config) {
    auto parsed = cors::parse_any(read_text_file(*args.bucket_config));
    if (!parsed) {
      throw std::runtime_error(fmt::format("{}: {}: {} {}", *args.bucket_config, parsed.error().code,
                                           parsed.error().message, parsed.error().detail));
    }
    return std::make_shared<const cors::cors_configuration>(std::move(*parsed));
  }
  const std::filesystem::path config_path = *args.config;
  const auto config = load_config_file(config_path);
  const auto loaded = load_file_cors(config, config_path.parent_path());
  if (args.bucket) {
    if (auto it = loaded.buckets.find(*args.bucket); it != loaded.buckets.end()) return it->second;
    if (loaded.default_config) return loaded.default_config;
    throw std::runtime_error(
        fmt::format("bucket {} has no CORS configuration in {}", *args.bucket, *args.config));
  }
  if (loaded.buckets.size() == 1) return loaded.buckets.begin()->second;
  if (loaded.buckets.empty() && loaded.default_config) return loaded.default_config;
  throw std::runtime_error("the config file names several buckets: choose one with --bucket NAME");
}

int explain_command(int argc, char** argv) {
  explain_args args;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", arg));
      return argv[++i];
    };
    if (arg == "--bucket-config")
      args.bucket_config = value();
    else if (arg == "--config")
      args.config = value();
    else if (arg == "--bucket")
      args.bucket = value();
    else if (arg == "--origin")
      args.origin = value();
    else if (arg == "--method")
      args.method = value();
    else if (arg == "--header")
      args.headers.push_back(value());
    else if (arg == "--preflight")
      args.actual = false;
    else if (arg == "--actual")
      args.preflight = false;
    else
      throw std::invalid_argument(fmt::format("unknown argument '{}'", arg));
  }
  if (!args.bucket_config == !args.config)
    throw std::invalid_argument("give one of --bucket-config or --config");
  if (!args.origin || !args.method) throw std::invalid_argument("--origin and --method are required");

  const cors::config_ptr config = load_for_explain(args);
  std::string header_list;
  for (const auto& h : args.headers) header_list += (header_list.empty() ? "" : ", ") + h;
  std::optional<std::string_view> requested_headers;
  if (!header_list.empty()) requested_headers = header_list;

  bool allowed = true;
  if (args.preflight) {
    // What the browser's preflight carries: the method and headers it intends to send.
    const cors::cors_request preflight{*args.origin, "OPTIONS", std::string_view(*args.method),
                                       requested_headers};
    std::fputs(
        fmt::format("== Preflight: OPTIONS with Access-Control-Request-Method: {}\n", *args.method).c_str(),
        stdout);
    std::fputs(cors::explain(*config, preflight, true).c_str(), stdout);
    allowed = allowed && cors::evaluate(*config, preflight, true).matched_rule.has_value();
  }
  if (args.actual) {
    const cors::cors_request actual{*args.origin, *args.method, std::nullopt, std::nullopt};
    std::fputs(fmt::format("{}== Actual request: {}\n", args.preflight ? "\n" : "", *args.method).c_str(),
               stdout);
    std::fputs(cors::explain(*config, actual, false).c_str(), stdout);
    allowed = allowed && cors::evaluate(*config, actual, false).matched_rule.has_value();
  }
  return allowed ? 0 : 1;
}

int lint_command(int argc, char** argv) {
  if (argc != 1) throw std::invalid_argument("lint takes exactly one FILE");
  const std::string file = argv[0];
  auto parsed = cors::parse_any(read_text_file(file));
  if (!parsed) {
    const auto& e = parsed.error();
    std::fputs(fmt::format("{}: error: {}: {}{}{}\n", file, e.code, e.message, e.detail.empty() ? "" : " — ",
                           e.detail)
                   .c_str(),
               stdout);
    return 2;
  }
  const auto findings = cors::lint(*parsed);
  int status = 0;
  for (const auto& finding : findings) {
    const bool error = finding.level == cors::lint_finding::severity::error;
    status = std::max(status, error ? 2 : 1);
    std::fputs(
        fmt::format("{}: {}: {}{}\n", file, error ? "error" : "warning",
                    finding.rule ? fmt::format("rule {}: ", *finding.rule) : std::string{}, finding.message)
            .c_str(),
        stdout);
  }
  if (findings.empty()) {
    std::fputs(
        fmt::format("{}: ok: {} rule(s), valid for PutBucketCors\n", file, parsed->rules.size()).c_str(),
        stdout);
  }
  return status;
}

}  // namespace

int run_cors_command(int argc, char** argv) {
  try {
    if (argc < 1 || std::string_view(argv[0]) == "--help") {
      std::fputs(cors_usage.data(), argc < 1 ? stderr : stdout);
      return argc < 1 ? 2 : 0;
    }
    const std::string_view command = argv[0];
    if (command == "explain") return explain_command(argc - 1, argv + 1);
    if (command == "lint") return lint_command(argc - 1, argv + 1);
    throw std::invalid_argument(fmt::format("unknown cors command '{}' (explain or lint)", command));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "s3cors cors: %s\n%s", e.what(), cors_usage.data());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors cors: %s\n", e.what());
    return 2;
  }
}

}  // namespace s3cors::app
