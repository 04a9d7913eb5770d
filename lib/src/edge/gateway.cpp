#include "s3cors/edge/gateway.hpp"

#include "s3cors/edge/explain.hpp"
#include "s3cors/edge/response_headers.hpp"
#include "s3cors/edge/ttl.hpp"
#include "s3cors/http/control.hpp"
#include "s3cors/s3/route.hpp"
#include "s3cors/store/object_store.hpp"

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <utility>

namespace s3cors::edge {
namespace {

using json = nlohmann::json;

// A cached body as the transport sends it: a file_slice over the cached bytes, always resident,
// so a hit needs no change to how the transport writes bodies and never touches a disk. Large
// bodies have a descriptor (body_bytes): the transport sends them with sendfile() as it sends
// files; small ones it copies from bytes_in_memory().
class memory_object final : public store::readable_object {
 public:
  explicit memory_object(std::shared_ptr<const body_bytes> bytes) : bytes_(std::move(bytes)) {}
  [[nodiscard]] std::uint64_t size() const noexcept override { return bytes_->size(); }
  [[nodiscard]] int native_handle() const noexcept override { return bytes_->descriptor(); }
  [[nodiscard]] result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) const override {
    if (offset >= bytes_->size()) return std::size_t{0};
    const std::size_t n = std::min<std::size_t>(out.size(), bytes_->size() - offset);
    std::memcpy(out.data(), bytes_->view().data() + offset, n);
    return n;
  }
  [[nodiscard]] bool is_resident(std::uint64_t, std::uint64_t) const noexcept override { return true; }
  [[nodiscard]] bool read_if_resident(std::uint64_t offset, std::span<char> out) const noexcept override {
    if (offset > bytes_->size() || out.size() > bytes_->size() - offset) return false;
    std::memcpy(out.data(), bytes_->view().data() + offset, out.size());
    return true;
  }
  void prefetch(std::uint64_t, std::uint64_t) const noexcept override {}
  [[nodiscard]] std::optional<std::string_view> bytes_in_memory() const noexcept override {
    return bytes_->view();
  }

 private:
  std::shared_ptr<const body_bytes> bytes_;
};

// A whole file slice read into memory (worker threads: it may wait for the disk).
std::optional<std::string> read_slice(const file_slice& slice) {
  std::string out(slice.length, '\0');
  std::uint64_t done = 0;
  while (done < slice.length) {
    auto n =
        slice.object->read_at(slice.offset + done, std::span<char>(out.data() + done, slice.length - done));
    if (!n || *n == 0) return std::nullopt;
    done += *n;
  }
  return out;
}

started_request replied(answer a) {
  started_request out;
  out.reply = std::move(a);
  return out;
}

using control::document_collector;
using control::is_loopback;
using control::json_answer;
using control::json_error;

// Passes an uncached request's body to the origin's sink and decorates its answer.
class decorating_sink final : public body_sink {
 public:
  using decorator = std::function<void(answer&)>;
  decorating_sink(std::unique_ptr<body_sink> inner, decorator decorate)
      : inner_(std::move(inner)), decorate_(std::move(decorate)) {}
  std::optional<answer> write(std::string_view piece) override {
    auto refused = inner_->write(piece);
    if (refused) decorate_(*refused);
    return refused;
  }
  answer finish() override {
    answer out = inner_->finish();
    decorate_(out);
    return out;
  }

 private:
  std::unique_ptr<body_sink> inner_;
  decorator decorate_;
};

std::vector<header_field> fields_of(const header_list& headers) {
  std::vector<header_field> out = headers.fields();
  // The transport writes Content-Length from the response itself.
  std::erase_if(out, [](const header_field& f) { return iequals(f.first, "Content-Length"); });
  return out;
}

header_list list_of(std::vector<header_field>&& fields) {
  header_list out;
  out.reserve(fields.size());
  for (auto& [name, value] : fields) {
    if (iequals(name, "Content-Length")) continue;
    out.add(std::move(name), std::move(value));
  }
  return out;
}

std::optional<std::string_view> find_field(const std::vector<header_field>& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

// CloudFront's error page for requests it refuses itself.
std::string error_page(int status, std::string_view why) {
  return "<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>" +
         std::to_string(status) +
         " ERROR</H1><H2>The request could not be satisfied.</H2><HR noshade size=\"1px\">" +
         std::string(why) + "</BODY></HTML>\n";
}

}  // namespace

struct gateway::viewer {
  const request& req;
  std::string_view path;
  std::string_view query;
  request_view view;
  const cache_behavior& behavior;
  bool head = false;
};

gateway::gateway(distribution_config config, const origin& origin, gateway_options options)
    : config_(std::move(config)),
      origin_(origin),
      options_(std::move(options)),
      cache_(options_.cache_bytes) {
  if (options_.via_host.empty()) {
    options_.via_host = config_.id + ".cloudfront.net";
    std::transform(options_.via_host.begin(), options_.via_host.end(), options_.via_host.begin(),
                   [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  }
  if (options_.name.empty()) options_.name = config_.id;
  if (config_.origin_access_control) distribution_arn_ = distribution_arn(config_.id);
}

std::chrono::sys_seconds gateway::now(const s3::request_context& ctx) const {
  return options_.clock ? options_.clock() : ctx.now;
}

answer no_such_distribution() {
  return json_error(404, "NoSuchDistribution", "no distribution of that name here");
}

std::optional<std::pair<std::string_view, std::string_view>> parse_control_target(std::string_view path) {
  if (!path.starts_with(control_prefix)) return std::nullopt;
  path.remove_prefix(control_prefix.size());
  const auto slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  return std::pair{path.substr(0, slash), path.substr(slash + 1)};
}

result<std::vector<std::string>, std::string> parse_invalidation_body(std::string_view body) {
  std::vector<std::string> paths;
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '<') {
    pugi::xml_document doc;
    if (!doc.load_buffer(body.data(), body.size())) return std::string("not well-formed XML");
    const auto batch = doc.child("InvalidationBatch");
    if (!batch) return std::string("expected an InvalidationBatch document");
    for (const auto& path : batch.child("Paths").child("Items").children("Path"))
      paths.emplace_back(path.text().get());
  } else {
    json doc;
    try {
      doc = json::parse(body);
    } catch (const json::exception&) {
      return std::string("not valid JSON (expected {\"paths\": [\"/a/*\", ...]})");
    }
    if (doc.contains("InvalidationBatch")) doc = doc.at("InvalidationBatch");
    const json* list = nullptr;
    if (doc.is_object() && doc.contains("paths")) list = &doc.at("paths");
    if (doc.is_object() && doc.contains("Paths")) {
      list = &doc.at("Paths");
      if (list->is_object() && list->contains("Items")) list = &list->at("Items");
    }
    if (list == nullptr || !list->is_array()) return std::string("expected {\"paths\": [\"/a/*\", ...]}");
    for (const auto& item : *list) {
      if (!item.is_string()) return std::string("each path must be a string");
      paths.push_back(item.get<std::string>());
    }
  }
  if (paths.empty()) return std::string("no paths to invalidate");
  return paths;
}

invalidation_result gateway::invalidate(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    if (auto why = check_invalidation_path(path)) return {0, "\"" + path + "\": " + *why};
  }
  invalidation_result out;
  for (const auto& path : paths) out.removed += cache_.invalidate(config_.id, path);
  return out;
}

std::size_t gateway::flush() {
  return cache_.flush(config_.id);
}

std::string gateway::stats_json() const {
  const cache_stats s = cache_.stats();
  const json doc{{"distribution", options_.name},
                 {"id", config_.id},
                 {"hits", s.hits},
                 {"misses", s.misses},
                 {"refresh_hits", s.refresh_hits},
                 {"evictions", s.evictions},
                 {"invalidations", s.invalidations},
                 {"bytes", s.bytes},
                 {"entries", s.entries},
                 {"max_bytes", cache_.max_bytes()},
                 {"max_cached_object_bytes", options_.max_cached_object_bytes}};
  return doc.dump();
}

answer gateway::control(const request& req, std::string_view action, std::string_view body,
                        const s3::request_context& ctx) {
  // Invalidations and statistics are the operator's, not the viewers': only from this host
  // (Choice: CloudFront's are signed API calls; s3cors has no separate control credentials).
  if (!is_loopback(ctx.source_ip))
    return json_error(403, "AccessDenied", "distribution control is only served to loopback clients");
  if (action == "stats") {
    if (req.verb != method::get && req.verb != method::head)
      return json_error(405, "MethodNotAllowed", "use GET for stats");
    response res;
    res.headers.add("Content-Type", "application/json");
    res.set_text_body(stats_json() + "\n");
    if (req.verb == method::head) res.body = std::monostate{};
    return res;
  }
  if (action == "invalidation") {
    if (req.verb != method::post) return json_error(405, "MethodNotAllowed", "use POST for an invalidation");
    auto paths = parse_invalidation_body(body);
    if (!paths) return json_error(400, "InvalidArgument", paths.error());
    const auto done = invalidate(*paths);
    if (done.error) return json_error(400, "InvalidArgument", *done.error);
    // CreateInvalidation answers 201 Created; here the invalidation is complete at once.
    return json_answer(201, json{{"id", "I" + ctx.request_id},
                                 {"status", "Completed"},
                                 {"paths", *paths},
                                 {"removed", done.removed}});
  }
  if (action == "flush") {
    if (req.verb != method::post) return json_error(405, "MethodNotAllowed", "use POST to flush");
    return json_answer(200, json{{"removed", flush()}});
  }
  return json_error(404, "NotFound", "unknown control action (expected invalidation, flush or stats)");
}

std::optional<answer> gateway::refuse_target(const request& req, std::string_view path,
                                             const s3::request_context& ctx) const {
  // The path is appended to "/BUCKET": one without its leading '/' (origin-form requires it;
  // absolute-form and "*" are not served) would name another bucket.
  if (path.starts_with('/')) return std::nullopt;
  std::vector<header_field> headers{{"Content-Type", "text/html"}};
  add_edge_headers(headers, cache_outcome::error, std::nullopt, options_.via_host, options_.pop,
                   ctx.host_id.substr(0, 56));
  response res;
  res.status = 400;
  res.headers = list_of(std::move(headers));
  res.set_text_body(error_page(400, "Bad request: the request target must be a path starting with '/'."));
  if (req.verb == method::head) res.body = std::monostate{};
  res.close = req.has_body;
  return answer(std::move(res), "request target is not a path");
}

std::optional<started_request> gateway::try_start(const request& req, const s3::request_context& ctx) {
  std::string_view target = req.target;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (auto refused = refuse_target(req, path, ctx)) return replied(std::move(*refused));
  if (auto control_target = parse_control_target(path)) {
    if (control_target->first != options_.name) return replied(no_such_distribution());
    if (req.has_body) return std::nullopt;
    return replied(control(req, control_target->second, {}, ctx));
  }
  const viewer v{req,
                 path,
                 q == std::string_view::npos ? std::string_view() : target.substr(q + 1),
                 request_view{req.method_name, path,
                              q == std::string_view::npos ? std::string_view() : target.substr(q + 1),
                              req.headers.fields()},
                 match_behavior(config_, path),
                 req.verb == method::head};
  auto out = answer_locally(v, ctx, false);
  if (out && log_details(req)) note_route(v, out->reply.log);
  return out;
}

started_request gateway::start(const request& req, const s3::request_context& ctx) {
  std::string_view target = req.target;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (auto refused = refuse_target(req, path, ctx)) return replied(std::move(*refused));
  if (auto control_target = parse_control_target(path)) {
    if (control_target->first != options_.name) return replied(no_such_distribution());
    if (!req.has_body) return replied(control(req, control_target->second, {}, ctx));
    started_request out;
    out.body = std::make_unique<document_collector>(
        [this, req_copy = request{req.verb, req.method_name, req.target, req.version, {}, false, {}, {}},
         action = std::string(control_target->second),
         ctx](std::string_view body) { return control(req_copy, action, body, ctx); });
    return out;
  }
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  const viewer v{req,
                 path,
                 query,
                 request_view{req.method_name, path, query, req.headers.fields()},
                 match_behavior(config_, path),
                 req.verb == method::head};
  started_request out = [&] {
    if (auto local = answer_locally(v, ctx, true)) return std::move(*local);
    if (v.behavior.caches(req.method_name) && !req.has_body) return through_cache(v, ctx);
    return forward(v, req, ctx);
  }();
  // A forwarded body's answer comes from its sink, which notes the route itself (forward).
  if (!out.body && log_details(req)) note_route(v, out.reply.log);
  return out;
}

void gateway::note_route(const viewer& v, access_note& log) const {
  log.bucket = v.behavior.origin_bucket;
  // The key the bucket is asked for: the path without its '/', decoded as S3 decodes it.
  const std::string_view key = v.path.empty() ? v.path : v.path.substr(1);
  log.key = s3::percent_decode(key, false).value_or(std::string(key));
  log.edge.distribution = config_.id;
}

std::optional<started_request> gateway::answer_locally(const viewer& v, const s3::request_context& ctx,
                                                       bool may_wait) {
  if (auto preflight = answer_preflight_at_edge(v.behavior, v.view)) {
    std::vector<header_field> headers = std::move(preflight->headers);
    add_edge_headers(headers, cache_outcome::miss, std::nullopt, options_.via_host, options_.pop,
                     ctx.host_id.substr(0, 56));
    response res;
    res.status = static_cast<unsigned>(preflight->status);
    res.headers = list_of(std::move(headers));
    answer out(std::move(res), "preflight answered at the edge");
    if (log_details(v.req)) {
      out.log.edge.response_headers_policy =
          v.behavior.response_headers->name +
          (preflight->status == 403
               ? ": answered the preflight at the edge: 403, the Origin is not among its "
                 "AccessControlAllowOrigins"
               : ": answered the preflight at the edge (the behaviour does not allow OPTIONS)");
    }
    return replied(std::move(out));
  }
  if (!v.behavior.allows(v.req.method_name)) {
    // CloudFront refuses a method the behaviour does not allow with 403 and an HTML page.
    std::vector<header_field> headers{{"Content-Type", "text/html"}};
    add_edge_headers(headers, cache_outcome::error, std::nullopt, options_.via_host, options_.pop,
                     ctx.host_id.substr(0, 56));
    response res;
    res.status = 403;
    res.headers = list_of(std::move(headers));
    res.set_text_body(
        error_page(403,
                   "This distribution is not configured to allow the HTTP request method that was "
                   "used for this request. The distribution supports only cachable requests."));
    if (v.head) res.body = std::monostate{};
    res.close = v.req.has_body;
    return replied(answer(std::move(res), "method not allowed by the cache behaviour"));
  }
  if (may_wait || !v.behavior.caches(v.req.method_name) || v.req.has_body) return std::nullopt;
  const cache_key key = compute_cache_key(config_.id, v.behavior, v.view);
  const auto t = now(ctx);
  if (auto entry = cache_.find_fresh(key.text, t))
    return replied(from_entry(v, *entry, cache_outcome::hit, entry->age(t), ctx));
  return std::nullopt;
}

void gateway::decorate(const viewer& v, std::vector<header_field>& headers, cache_outcome outcome,
                       std::optional<std::uint64_t> age, const s3::request_context& ctx,
                       access_note* log) const {
  if (v.behavior.response_headers && log != nullptr) {
    const std::vector<header_field> before = headers;
    apply_response_headers_policy(*v.behavior.response_headers, v.view, headers);
    log->edge.response_headers_policy =
        describe_cors_outcome(*v.behavior.response_headers, v.view, before, headers);
  } else if (v.behavior.response_headers) {
    apply_response_headers_policy(*v.behavior.response_headers, v.view, headers);
  }
  // X-Amz-Cf-Id: CloudFront's is 56 characters of base64, as the transport's host id is.
  add_edge_headers(headers, outcome, age, options_.via_host, options_.pop, ctx.host_id.substr(0, 56));
}

answer gateway::finish(const viewer& v, int status, std::vector<header_field> headers,
                       std::shared_ptr<const body_bytes> body, std::size_t offset, std::size_t length,
                       cache_outcome outcome, std::optional<std::uint64_t> age,
                       const s3::request_context& ctx) const {
  answer out;
  decorate(v, headers, outcome, age, ctx, log_details(v.req) ? &out.log : nullptr);
  response& res = out.res;
  res.status = static_cast<unsigned>(status);
  res.headers = list_of(std::move(headers));
  res.content_length = length;
  if (status == 304 || status == 204) {
    res.content_length = 0;
  } else if (!v.head && length > 0 && body) {
    res.body = file_slice{std::make_shared<memory_object>(std::move(body)), offset, length};
  }
  return out;
}

answer gateway::from_entry(const viewer& v, const cached_response& entry, cache_outcome outcome,
                           std::optional<std::uint64_t> age, const s3::request_context& ctx) const {
  viewer_conditions conditions;
  conditions.if_match = v.view.header("If-Match");
  conditions.if_none_match = v.view.header("If-None-Match");
  conditions.if_modified_since = v.view.header("If-Modified-Since");
  conditions.if_unmodified_since = v.view.header("If-Unmodified-Since");
  conditions.if_range = v.view.header("If-Range");
  edge_response out = respond_from_cache(entry, v.view.header("Range"), conditions);
  answer reply = finish(v, out.status, std::move(out.headers), std::move(out.body), out.offset, out.length,
                        outcome, age, ctx);
  if ((outcome == cache_outcome::hit || outcome == cache_outcome::refresh_hit) && log_details(v.req)) {
    reply.log.edge.cache_entry = entry.stored_for_origin
                                     ? std::string(entry_with_origin) + *entry.stored_for_origin
                                     : std::string(entry_without_origin);
  }
  if (options_.warn && (outcome == cache_outcome::hit || outcome == cache_outcome::refresh_hit))
    report_refused(v, entry, reply, outcome, now(ctx));
  return reply;
}

void gateway::report_refused(const viewer& v, const cached_response& entry, const answer& out,
                             cache_outcome outcome, std::chrono::sys_seconds t) const {
  const auto origin = v.view.header("Origin");
  if (!origin || origin->empty()) return;
  // The common case, an allowed actual request, costs a header lookup and nothing more.
  if (const auto allowed = out.res.headers.find("Access-Control-Allow-Origin");
      allowed && (*allowed == "*" || *allowed == *origin) && v.req.verb != method::options)
    return;
  const browser_verdict verdict =
      judge_as_browser(v.view, static_cast<int>(out.res.status), out.res.headers.fields());
  if (verdict.outcome != browser_verdict::kind::blocked) return;
  const cache_key key = compute_cache_key(config_.id, v.behavior, v.view);
  {
    // Rate-limited per cache key: one line a minute is enough to notice.
    const std::lock_guard lock(reported_mutex_);
    auto [it, inserted] = reported_.try_emplace(key.text, t);
    if (!inserted) {
      if (t - it->second < std::chrono::seconds(60)) return;
      it->second = t;
    }
    if (reported_.size() > 10'000) reported_.clear();
  }
  std::string target = entry.path;
  if (!v.query.empty()) target += "?" + std::string(v.query);
  options_.warn(refused_from_cache_message(options_.name, v.req.method_name, target, *origin,
                                           x_cache_value(outcome), key.text, entry.stored_for_origin,
                                           verdict.reason));
}

gateway::flight_guard gateway::join_flight(const std::string& key) {
  std::unique_lock lock(flights_mutex_);
  for (;;) {
    const auto it = flights_.find(key);
    if (it == flights_.end()) {
      flights_.emplace(key);
      return flight_guard(this, key);
    }
    // Another request is fetching this key: wait for it, briefly.
    if (flights_changed_.wait_for(lock, collapse_wait) == std::cv_status::timeout)
      return flight_guard(nullptr, {});
    if (!flights_.contains(key)) return flight_guard(nullptr, {});
  }
}

void gateway::leave_flight(const std::string& key) {
  {
    const std::lock_guard lock(flights_mutex_);
    flights_.erase(key);
  }
  flights_changed_.notify_all();
}

started_request gateway::through_cache(const viewer& v, const s3::request_context& ctx) {
  const cache_key key = compute_cache_key(config_.id, v.behavior, v.view);
  // Request collapsing ("Request and response behavior for Amazon S3 origins", simultaneous
  // requests for the same object): while one request fetches a key, the others for that key wait
  // for it and are answered from what it stored; one that finds nothing stored fetches itself.
  // Not for a policy that keeps nothing (MaxTTL 0).
  std::optional<flight_guard> flight;
  if (v.behavior.cache.max_ttl > 0) {
    flight.emplace(join_flight(key.text));
    if (!flight->leads()) {
      const auto t = now(ctx);
      if (auto entry = cache_.find_fresh(key.text, t))
        return replied(from_entry(v, *entry, cache_outcome::hit, entry->age(t), ctx));
    }
  }
  const auto t = now(ctx);
  const lookup_result found = cache_.lookup(key.text, t);
  if (found.kind == lookup_kind::hit)
    return replied(from_entry(v, *found.entry, cache_outcome::hit, found.entry->age(t), ctx));

  origin_request to_origin = build_origin_request(v.behavior, v.view);
  if (found.kind == lookup_kind::stale) {
    // An expired entry is revalidated with its validators ("Manage how long content stays in
    // the cache": CloudFront sends a conditional GET; 304 refreshes what it holds).
    if (auto etag = find_field(found.entry->headers, "ETag"))
      to_origin.headers.emplace_back("If-None-Match", *etag);
    if (auto modified = find_field(found.entry->headers, "Last-Modified"))
      to_origin.headers.emplace_back("If-Modified-Since", *modified);
  }
  started_request fetched = origin_.fetch(
      {v.behavior.origin_bucket, v.path, to_origin, false, std::nullopt, distribution_arn_}, ctx);
  response& res = fetched.reply.res;
  std::vector<header_field> headers = fields_of(res.headers);
  const int status = static_cast<int>(res.status);

  if (found.kind == lookup_kind::stale && status == 304) {
    std::vector<header_field> merged = found.entry->headers;
    for (const header_field& field : headers) {  // no structured binding: clang 14 cannot capture one
      std::erase_if(merged, [&](const header_field& f) { return iequals(f.first, field.first); });
      merged.push_back(field);
    }
    const ttl_decision decision =
        compute_ttl(200, merged, v.behavior.cache, config_.error_caching_min_ttl_for(200), t);
    std::shared_ptr<const cached_response> refreshed;
    if (decision.store) refreshed = cache_.refresh(key.text, decision.ttl, headers, t);
    if (!refreshed) {
      cache_.remove(key.text);
      cached_response once = *found.entry;
      once.headers = std::move(merged);
      return replied(from_entry(v, once, cache_outcome::refresh_hit, std::nullopt, ctx));
    }
    return replied(from_entry(v, *refreshed, cache_outcome::refresh_hit, 0, ctx));
  }

  if (found.kind == lookup_kind::stale && status >= 500) {
    // "How CloudFront processes HTTP 4xx and 5xx status codes from your origin": an expired
    // object still in the cache is served when the origin answers 5xx instead of 304 or a new
    // version. The entry stays as it is (Choice: labelled Hit, with its Age).
    fetched.reply.log.add("origin error: the expired entry is served");
    return replied(from_entry(v, *found.entry, cache_outcome::hit, found.entry->age(t), ctx));
  }
  const cache_outcome outcome = status >= 400 ? cache_outcome::error : cache_outcome::miss;
  std::shared_ptr<const body_bytes> body;
  if (auto* text = std::get_if<std::string>(&res.body)) {
    body = body_bytes::make(std::move(*text));
  } else if (auto* slice = std::get_if<file_slice>(&res.body)) {
    if (slice->length > options_.max_cached_object_bytes) {
      // Too large to keep: streamed to the viewer. The origin request carried no Range or
      // validators (the edge asks for whole objects), so a viewer that sent them is answered by
      // a second request that does (the origin is in process: it only opens the file again).
      if (found.kind == lookup_kind::stale) cache_.remove(key.text);
      static constexpr std::string_view passed[] = {
          "Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"};
      bool conditional = false;
      origin_request again = build_origin_request(v.behavior, v.view);
      again.method = v.req.method_name;
      for (const auto name : passed) {
        if (auto value = v.view.header(name)) {
          again.headers.emplace_back(std::string(name), std::string(*value));
          conditional = true;
        }
      }
      if (conditional || v.head)
        fetched = origin_.fetch(
            {v.behavior.origin_bucket, v.path, again, false, std::nullopt, distribution_arn_}, ctx);
      answer& reply = fetched.reply;
      std::vector<header_field> passed_headers = fields_of(reply.res.headers);
      decorate(v, passed_headers, reply.res.status >= 400 ? cache_outcome::error : cache_outcome::miss,
               std::nullopt, ctx, log_details(v.req) ? &reply.log : nullptr);
      reply.res.headers = list_of(std::move(passed_headers));
      reply.log.add("too large for the edge cache: streamed");
      return fetched;
    }
    auto bytes = read_slice(*slice);
    if (!bytes) {
      return replied(json_error(502, "OriginReadFailed", "the origin's object could not be read"));
    }
    body = body_bytes::make(std::move(*bytes));
  } else {
    body = body_bytes::make({});
  }

  const ttl_decision decision =
      compute_ttl(status, headers, v.behavior.cache, config_.error_caching_min_ttl_for(status), t);
  if (decision.store) {
    std::optional<std::string> viewer_origin;
    if (auto origin = v.view.header("Origin")) viewer_origin = std::string(*origin);
    if (auto entry = cache_.store(key, status, headers, body, decision.ttl, t, std::move(viewer_origin)))
      return replied(from_entry(v, *entry, outcome, std::nullopt, ctx));
  } else if (found.kind == lookup_kind::stale) {
    cache_.remove(key.text);
  }
  cached_response once;
  once.status = status;
  once.headers = std::move(headers);
  once.body = std::move(body);
  return replied(from_entry(v, once, outcome, std::nullopt, ctx));
}

started_request gateway::forward(const viewer& v, const request& req, const s3::request_context& ctx) {
  const origin_request to_origin = build_origin_request(v.behavior, v.view);
  // Methods the behaviour does not cache go to the origin as they are, uncached.
  started_request fetched = origin_.fetch(
      {v.behavior.origin_bucket, v.path, to_origin, req.has_body, req.content_length, distribution_arn_},
      ctx);
  // The viewer's request does not outlive start(): the decorator keeps copies of what it reads.
  auto decorate_answer = [this, headers = req.headers.fields(), method_name = req.method_name,
                          path = std::string(v.path), query = std::string(v.query), behavior = &v.behavior,
                          head = v.head, details = log_details(req), ctx](answer& out) {
    const request_view view{method_name, path, query, headers};
    request shell;
    const viewer copy{shell, path, query, view, *behavior, head};
    std::vector<header_field> fields = fields_of(out.res.headers);
    decorate(copy, fields, out.res.status >= 400 ? cache_outcome::error : cache_outcome::miss, std::nullopt,
             ctx, details ? &out.log : nullptr);
    out.res.headers = list_of(std::move(fields));
    if (details) note_route(copy, out.log);
  };
  if (fetched.body) {
    fetched.body = std::make_unique<decorating_sink>(std::move(fetched.body), std::move(decorate_answer));
  } else {
    decorate_answer(fetched.reply);
  }
  return fetched;
}

}  // namespace s3cors::edge
