#include "s3cors/app/faults_command.hpp"

#include "s3cors/app/healthcheck.hpp"
#include "s3cors/app/settings.hpp"
#include "s3cors/faults/fault_service.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::app {
namespace {

constexpr std::string_view faults_usage = R"(Usage:
  s3cors faults list [--endpoint URL]
      Prints the rules in force (JSON), each with its "matches" and "fired" counters.
  s3cors faults add FILE-or-JSON [--endpoint URL]
      Adds a rule: inline JSON ('{"name": "slow", "action": {"latency": "2s"}}') or a file
      holding one rule, an array of rules or {"rules": [...]} (each added in turn; "-" reads
      standard input). Prints the name of each rule added.
  s3cors faults remove NAME [--endpoint URL]
      Removes the rule NAME.
  s3cors faults clear [--endpoint URL]
      Removes every rule.
The rule language is docs/faults.md §3. URL is the server's main listener (http://HOST:PORT;
default http://127.0.0.1:PORT with PORT from S3CORS_LISTEN, else 9000). The control API
answers loopback clients only. Exit status: 0 done, 1 refused or unreachable, 2 usage errors.
)";

constexpr std::chrono::milliseconds timeout{10'000};

// The text of FILE-or-JSON: inline JSON when it starts with '{' or '[', else a file.
std::string read_rules_argument(std::string_view arg) {
  const auto first = arg.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (arg[first] == '{' || arg[first] == '[')) return std::string(arg);
  std::ostringstream text;
  if (arg == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in{std::string(arg)};
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", arg));
  text << in.rdbuf();
  return text.str();
}

// One rule per POST: an array or {"rules": [...]} is split into its rules.
std::vector<std::string> rule_documents(const std::string& text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("not valid JSON: {}", e.what()));
  }
  const nlohmann::json* list = nullptr;
  if (doc.is_array()) list = &doc;
  if (doc.is_object() && doc.size() == 1 && doc.contains("rules")) list = &doc["rules"];
  std::vector<std::string> out;
  if (list == nullptr) {
    out.push_back(doc.dump());
  } else {
    for (const auto& rule : *list) out.push_back(rule.dump());
  }
  return out;
}

// Prints the server's answer (stdout when it accepted, stderr otherwise); false when refused.
bool report(const result<http_reply, std::string>& reply, const probe_target& target) {
  if (!reply) {
    std::fprintf(stderr, "s3cors faults: %s:%u: %s\n", target.host.c_str(), target.port,
                 reply.error().c_str());
    return false;
  }
  const bool ok = reply->status / 100 == 2;
  std::FILE* to = ok ? stdout : stderr;
  std::fputs(reply->body.c_str(), to);
  if (!reply->body.ends_with('\n')) std::fputc('\n', to);
  return ok;
}

int faults_command(std::string_view command, int argc, char** argv) {
  std::optional<std::string> endpoint;
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--endpoint" || arg == "--url") {
      if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", arg));
      endpoint = argv[++i];
    } else if (arg.starts_with("--")) {
      throw std::invalid_argument(fmt::format("unknown option '{}'", arg));
    } else {
      args.emplace_back(arg);
    }
  }
  const std::size_t wanted = command == "add" || command == "remove" ? 1 : 0;
  if (args.size() != wanted) {
    throw std::invalid_argument(wanted == 0 ? fmt::format("{} takes no argument", command)
                                            : fmt::format("{} needs exactly one {}", command,
                                                          command == "add" ? "FILE-or-JSON" : "NAME"));
  }
  auto target = endpoint ? parse_probe_url(*endpoint) : default_probe_target(process_environment);
  if (!target) throw std::invalid_argument(target.error().message);
  target->path = std::string(faults::control_path);
  if (command == "list") return report(http_exchange(*target, "GET", {}, timeout), *target) ? 0 : 1;
  if (command == "clear") return report(http_exchange(*target, "DELETE", {}, timeout), *target) ? 0 : 1;
  if (command == "remove") {
    target->path += "/" + args.front();
    return report(http_exchange(*target, "DELETE", {}, timeout), *target) ? 0 : 1;
  }
  // add: each rule in turn; the first refusal stops (its pointer names the field).
  for (const std::string& rule : rule_documents(read_rules_argument(args.front()))) {
    if (!report(http_exchange(*target, "POST", rule, timeout), *target)) return 1;
  }
  return 0;
}

}  // namespace

int run_faults_command(int argc, char** argv) {
  try {
    if (argc < 1 || std::string_view(argv[0]) == "--help") {
      std::fputs(faults_usage.data(), argc < 1 ? stderr : stdout);
      return argc < 1 ? 2 : 0;
    }
    const std::string_view command = argv[0];
    if (command == "list" || command == "add" || command == "remove" || command == "clear")
      return faults_command(command, argc - 1, argv + 1);
    throw std::invalid_argument(
        fmt::format("unknown faults command '{}' (list, add, remove, clear)", command));
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "s3cors faults: %s\n%s", e.what(), faults_usage.data());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "s3cors faults: %s\n", e.what());
    return 2;
  }
}

}  // namespace s3cors::app
