#include "s3cors/faults/fault_service.hpp"

#include "s3cors/http/control.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/object_store.hpp"

#include <nlohmann/json.hpp>

#include <deque>
#include <mutex>
#include <variant>

namespace s3cors::faults {
namespace {

using nlohmann::json;

bool is_playlist_kind(media_kind k) noexcept {
  return k == media_kind::hls_multivariant || k == media_kind::hls_media_playlist ||
         k == media_kind::dash_mpd;
}

std::string_view path_of(std::string_view target) noexcept {
  return target.substr(0, target.find('?'));
}

// 400 with the pointer of the refused value, in the message as the configuration's errors
// write it and on its own for programs.
answer rule_error(unsigned status, std::string_view code, const fault_error& e) {
  std::string message = e.pointer.empty() ? e.message : e.pointer + ": " + e.message;
  answer out =
      control::json_answer(status, json{{"error", code}, {"message", message}, {"pointer", e.pointer}});
  out.log.note = std::move(message);
  return out;
}

}  // namespace

bool is_control_target(std::string_view target) noexcept {
  const std::string_view path = path_of(target);
  return path == control_path || (path.starts_with(control_path) && path[control_path.size()] == '/');
}

fault_service::fault_service(const store::object_store& store, const s3::service& service,
                             s3::routing_options routing)
    : store_(store), service_(service), routing_(std::move(routing)) {}

std::optional<std::string> fault_service::read_text(std::string_view bucket, std::string_view key) const {
  auto opened = store_.open(bucket, key);
  if (!opened || !opened->body || opened->info.size > max_playlist_bytes) return std::nullopt;
  std::string text(static_cast<std::size_t>(opened->info.size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = opened->body->read_at(done, std::span<char>(text.data() + done, text.size() - done));
    if (!n || *n == 0) return std::nullopt;
    done += *n;
  }
  return text;
}

std::size_t fault_service::add_with_named(media_index& index, std::string_view bucket, std::string_view key,
                                          std::string text) const {
  std::size_t added = 1;
  std::deque<std::string> pending;
  for (auto& named : index.add(bucket, key, text)) pending.push_back(std::move(named));
  // A bound on what one text can pull in: a playlist naming thousands of renditions is not media.
  std::size_t budget = 1000;
  while (!pending.empty() && budget-- > 0) {
    const std::string next = std::move(pending.front());
    pending.pop_front();
    auto named_text = read_text(bucket, next);
    if (!named_text) continue;
    ++added;
    for (auto& more : index.add(bucket, next, *named_text)) pending.push_back(std::move(more));
  }
  return added;
}

std::size_t fault_service::rebuild_index() {
  media_index fresh;
  std::size_t texts = 0;
  auto buckets = store_.list_buckets();
  if (buckets) {
    for (const auto& bucket : *buckets) {
      store::list_page_request page;
      for (;;) {
        auto listed = store_.list_objects(bucket.name, page);
        if (!listed || listed->empty()) break;
        const bool truncated = listed->size() > page.max_keys;
        if (truncated) listed->pop_back();
        for (const auto& object : *listed) {
          if (object.size > max_playlist_bytes || !is_playlist_kind(classify(object.key).kind)) continue;
          if (auto text = read_text(bucket.name, object.key))
            texts += add_with_named(fresh, bucket.name, object.key, std::move(*text));
        }
        if (!truncated) break;
        page.start_after = listed->back().key;
      }
    }
  }
  std::unique_lock lock(index_mutex_);
  index_ = std::move(fresh);
  return texts;
}

void fault_service::refresh(std::string_view bucket, std::string_view key) {
  // Texts are read outside the lock (lookups on network threads must never wait for a disk);
  // the index is changed under it, one text at a time.
  auto text = read_text(bucket, key);
  std::deque<std::string> pending;
  {
    std::unique_lock lock(index_mutex_);
    index_.remove(bucket, key);
    if (text) {
      for (auto& named : index_.add(bucket, key, *text)) pending.push_back(std::move(named));
    }
  }
  std::size_t budget = 1000;  // as in add_with_named
  while (!pending.empty() && budget-- > 0) {
    const std::string next = std::move(pending.front());
    pending.pop_front();
    auto named_text = read_text(bucket, next);
    if (!named_text) continue;
    std::unique_lock lock(index_mutex_);
    for (auto& more : index_.add(bucket, next, *named_text)) pending.push_back(std::move(more));
  }
}

std::optional<std::pair<std::string, std::string>> fault_service::playlist_written(const request& req) const {
  if (req.verb != method::put && req.verb != method::post && req.verb != method::delete_) return std::nullopt;
  auto r = s3::route(req, routing_);
  if (!r) return std::nullopt;
  std::optional<std::pair<std::string, std::string>> out;
  std::visit(
      [&](const auto& op) {
        if constexpr (requires {
                        op.bucket;
                        op.key;
                      }) {
          if (op.key.empty()) return;
          bool playlist = is_playlist_kind(classify(op.key).kind);
          if (!playlist) {
            std::shared_lock lock(index_mutex_);
            const auto known = index_.find(op.bucket, op.key);
            playlist = known && is_playlist_kind(known->kind);
          }
          if (playlist) out.emplace(op.bucket, op.key);
        }
      },
      r->op);
  return out;
}

media_info fault_service::media_of(std::string_view bucket, std::string_view key) const {
  std::shared_lock lock(index_mutex_);
  return lookup(index_, bucket, key);
}

std::optional<directive> fault_service::decide(const request& req, const s3::request_context& ctx,
                                               steady_time now) {
  if (engine_.empty()) return std::nullopt;
  const std::string_view path = path_of(req.target);
  if (path.starts_with("/_s3cors/")) return std::nullopt;
  std::string bucket;
  std::string key;
  bool preflight = false;
  s3::query_list query;
  if (auto r = s3::route(req, routing_)) {
    std::visit(
        [&](const auto& op) {
          using op_type = std::decay_t<decltype(op)>;
          if constexpr (requires { op.bucket; }) bucket = op.bucket;
          if constexpr (requires { op.key; }) key = op.key;
          if constexpr (std::is_same_v<op_type, s3::preflight_op>) preflight = true;
        },
        r->op);
    query = std::move(r->query);
  } else {
    bucket = s3::target_bucket(req, routing_);
  }
  fault_request fr;
  fr.bucket = bucket;
  fr.key = key;
  fr.method = req.method_name;
  fr.headers = &req.headers;
  fr.query = &query;
  fr.now = now;
  fr.preflight = preflight;
  if (!key.empty()) fr.media = media_of(bucket, key);
  directive out;
  out.plan = engine_.decide(fr);
  if (out.plan.empty()) return std::nullopt;
  if (out.plan.error) {
    answer reply(make_fault_response(out.plan, ctx, bucket, key, req.verb == method::head));
    // CORS headers as S3 adds them to its own errors (docs/cors.md §10), unless the rule
    // reproduces a CDN's error page.
    if (!out.plan.drop_cors) service_.apply_cors(req, bucket, reply);
    expose_fault_header(reply.res);
    out.reply = std::move(reply);
  }
  return out;
}

answer fault_service::control(const request& req, std::string_view body, const s3::request_context& ctx) {
  if (!control::is_loopback(ctx.source_ip))
    return control::json_error(403, "AccessDenied", "fault control is only served to loopback clients");
  std::string_view path = path_of(req.target);
  path.remove_prefix(control_path.size());
  if (path.empty() || path == "/") {
    switch (req.verb) {
      case method::get:
      case method::head: {
        response res;
        res.headers.add("Content-Type", "application/json");
        res.set_text_body(engine_.list_json() + "\n");
        if (req.verb == method::head) res.body = std::monostate{};
        return res;
      }
      case method::post: {
        auto rule = parse_rule(body);
        if (!rule) return rule_error(400, "InvalidRule", rule.error());
        auto added = engine_.add(std::move(*rule));
        if (!added) return rule_error(409, "RuleExists", added.error());
        return control::json_answer(201, json{{"name", *added}});
      }
      case method::delete_: {
        const std::size_t removed = engine_.rules().size();
        engine_.clear();
        return control::json_answer(200, json{{"removed", removed}});
      }
      default:
        return control::json_error(405, "MethodNotAllowed", "use GET to list, POST to add, DELETE to clear");
    }
  }
  const std::string name(path.substr(1));
  if (req.verb != method::delete_)
    return control::json_error(405, "MethodNotAllowed", "use DELETE to remove a rule");
  if (!engine_.remove(name)) return control::json_error(404, "NoSuchRule", "no rule named \"" + name + "\"");
  return control::json_answer(200, json{{"removed", name}});
}

}  // namespace s3cors::faults
