#include "s3cors/edge/edge_cache.hpp"

#include "detail/parse_text.hpp"
#include "s3cors/conditional/preconditions.hpp"
#include "s3cors/http/date.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/range/range.hpp"

#include <algorithm>

namespace s3cors::edge {

std::uint64_t cached_response::age(std::chrono::sys_seconds now) const noexcept {
  return now > stored_at ? static_cast<std::uint64_t>((now - stored_at).count()) : 0;
}

std::optional<std::string> check_invalidation_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return "an invalidation path starts with '/'";
  if (path.size() > 4000) return "an invalidation path has at most 4,000 characters";
  const auto star = path.find('*');
  if (star != std::string_view::npos && star + 1 != path.size())
    return "the wildcard '*' may only be the last character of an invalidation path";
  return std::nullopt;
}

namespace {

std::size_t entry_bytes(const std::string& key, const cached_response& e) {
  std::size_t n =
      key.size() + e.path.size() + e.query.size() + e.distribution.size() + sizeof(cached_response);
  for (const auto& [name, value] : e.headers) n += name.size() + value.size();
  if (e.body) n += e.body->size();
  return n;
}

bool invalidation_matches(std::string_view pattern, const cached_response& e) {
  std::string target = e.path;
  if (!e.query.empty()) target += "?" + e.query;
  if (!pattern.empty() && pattern.back() == '*')
    return std::string_view(target).starts_with(pattern.substr(0, pattern.size() - 1));
  return target == pattern;
}

}  // namespace

lookup_result edge_cache::lookup(const std::string& key, std::chrono::sys_seconds now) {
  const std::lock_guard lock(mutex_);
  const auto it = slots_.find(key);
  if (it == slots_.end()) {
    ++stats_.misses;
    return {};
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  if (it->second.entry->is_fresh(now)) {
    ++stats_.hits;
    return {lookup_kind::hit, it->second.entry};
  }
  return {lookup_kind::stale, it->second.entry};
}

std::shared_ptr<const cached_response> edge_cache::peek(const std::string& key) const {
  const std::lock_guard lock(mutex_);
  const auto it = slots_.find(key);
  return it == slots_.end() ? nullptr : it->second.entry;
}

std::shared_ptr<const cached_response> edge_cache::find_fresh(const std::string& key,
                                                              std::chrono::sys_seconds now) {
  const std::lock_guard lock(mutex_);
  const auto it = slots_.find(key);
  if (it == slots_.end() || !it->second.entry->is_fresh(now)) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  ++stats_.hits;
  return it->second.entry;
}

std::shared_ptr<const cached_response> edge_cache::store(const cache_key& key, int status,
                                                         std::vector<header_field> headers,
                                                         std::shared_ptr<const body_bytes> body,
                                                         std::uint64_t ttl, std::chrono::sys_seconds now,
                                                         std::optional<std::string> viewer_origin) {
  auto entry = std::make_shared<cached_response>();
  entry->stored_for_origin = std::move(viewer_origin);
  entry->status = status;
  entry->headers = std::move(headers);
  entry->body = body ? std::move(body) : body_bytes::make({});
  entry->stored_at = now;
  entry->expires_at = now + std::chrono::seconds(static_cast<std::chrono::seconds::rep>(ttl));
  entry->distribution = key.distribution;
  entry->path = key.path;
  entry->query = key.query;
  const std::size_t bytes = entry_bytes(key.text, *entry);

  const std::lock_guard lock(mutex_);
  if (const auto it = slots_.find(key.text); it != slots_.end()) {
    if (!it->second.entry->is_fresh(now)) ++stats_.misses;  // the stale lookup resolved as a miss
    erase_locked(it);
  }
  if (bytes > max_bytes_) return nullptr;
  lru_.push_front(key.text);
  slots_.emplace(key.text, slot{entry, lru_.begin(), bytes});
  stats_.bytes += bytes;
  ++stats_.entries;
  evict_locked();
  return entry;
}

std::shared_ptr<const cached_response> edge_cache::refresh(const std::string& key, std::uint64_t ttl,
                                                           const std::vector<header_field>& updated,
                                                           std::chrono::sys_seconds now) {
  const std::lock_guard lock(mutex_);
  const auto it = slots_.find(key);
  if (it == slots_.end()) return nullptr;
  auto entry = std::make_shared<cached_response>(*it->second.entry);  // shares the body
  // No lambda captures a structured binding: clang 14 refuses it.
  for (const header_field& field : updated) {
    std::erase_if(entry->headers, [&field](const header_field& f) { return iequals(f.first, field.first); });
  }
  for (const auto& field : updated) entry->headers.push_back(field);
  entry->stored_at = now;
  entry->expires_at = now + std::chrono::seconds(static_cast<std::chrono::seconds::rep>(ttl));
  const std::size_t bytes = entry_bytes(key, *entry);
  stats_.bytes = stats_.bytes - it->second.bytes + bytes;
  it->second.bytes = bytes;
  it->second.entry = entry;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  ++stats_.refresh_hits;
  evict_locked();
  return entry;
}

void edge_cache::remove(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto it = slots_.find(key);
  if (it == slots_.end()) return;
  ++stats_.misses;
  erase_locked(it);
}

std::size_t edge_cache::invalidate(std::string_view distribution, std::string_view path) {
  const std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (auto it = slots_.begin(); it != slots_.end();) {
    const auto next = std::next(it);
    const cached_response& e = *it->second.entry;
    if (e.distribution == distribution && invalidation_matches(path, e)) {
      erase_locked(it);
      ++removed;
    }
    it = next;
  }
  stats_.invalidations += removed;
  return removed;
}

std::size_t edge_cache::flush(std::string_view distribution) {
  const std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (auto it = slots_.begin(); it != slots_.end();) {
    const auto next = std::next(it);
    if (distribution.empty() || it->second.entry->distribution == distribution) {
      erase_locked(it);
      ++removed;
    }
    it = next;
  }
  stats_.invalidations += removed;
  return removed;
}

cache_stats edge_cache::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

void edge_cache::erase_locked(std::unordered_map<std::string, slot>::iterator it) {
  stats_.bytes -= it->second.bytes;
  --stats_.entries;
  lru_.erase(it->second.lru);
  slots_.erase(it);
}

void edge_cache::evict_locked() {
  while (stats_.bytes > max_bytes_ && !lru_.empty()) {
    const auto it = slots_.find(lru_.back());
    erase_locked(it);
    ++stats_.evictions;
  }
}

namespace {

std::optional<std::string_view> find_field(const std::vector<header_field>& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return etag.substr(1, etag.size() - 2);
  return etag;
}

// A 304 carries the validators and caching headers of the 200 it stands for (RFC 9110 §15.4.5).
bool kept_in_304(std::string_view name) {
  for (const std::string_view keep :
       {"etag", "last-modified", "cache-control", "expires", "vary", "content-location", "date", "age"}) {
    if (iequals(name, keep)) return true;
  }
  return false;
}

}  // namespace

edge_response respond_from_cache(const cached_response& entry, std::optional<std::string_view> range,
                                 const viewer_conditions& conditions) {
  edge_response out;
  out.status = entry.status;
  out.headers = entry.headers;
  out.body = entry.body;
  out.length = entry.body ? entry.body->size() : 0;
  if (entry.status != 200) return out;

  const auto etag = find_field(entry.headers, "etag");
  const auto last_modified_text = find_field(entry.headers, "last-modified");
  const auto last_modified = last_modified_text ? parse_http_date(*last_modified_text) : std::nullopt;
  // Without a validator a condition on it cannot be judged: it is ignored (Choice).
  conditional::precondition_headers pre;
  if (etag) {
    pre.if_match = conditions.if_match;
    pre.if_none_match = conditions.if_none_match;
  }
  if (last_modified) {
    pre.if_modified_since = conditions.if_modified_since;
    pre.if_unmodified_since = conditions.if_unmodified_since;
  }
  const auto decided = conditional::evaluate_preconditions(
      pre, {etag ? unquote(*etag) : std::string_view(), last_modified.value_or(std::chrono::sys_seconds{})});
  if (decided.result != conditional::outcome::proceed) {
    out.status = decided.result == conditional::outcome::not_modified ? 304 : 412;
    out.length = 0;
    if (out.status == 304) {
      std::erase_if(out.headers, [](const header_field& f) { return !kept_in_304(f.first); });
    } else {
      out.headers.clear();
      out.headers.emplace_back("Content-Length", "0");
    }
    return out;
  }

  if (range && conditions.if_range) {
    const std::string_view if_range = s3cors::detail::trim_ows(*conditions.if_range);
    const bool matches = (etag && !if_range.starts_with("W/") && unquote(if_range) == unquote(*etag)) ||
                         (last_modified_text && if_range == *last_modified_text);
    if (!matches) range.reset();
  }
  if (!range) return out;

  const std::uint64_t size = out.length;
  const auto decision = range::parse_range(range, size);
  const auto set_length = [&](std::uint64_t n) {
    std::erase_if(out.headers, [](const header_field& f) { return iequals(f.first, "content-length"); });
    out.headers.emplace_back("Content-Length", std::to_string(n));
  };
  switch (decision.kind) {
    case range::range_kind::absent:
    case range::range_kind::ignore:
      return out;
    case range::range_kind::satisfiable: {
      out.status = 206;
      out.offset = static_cast<std::size_t>(decision.range.first);
      out.length = static_cast<std::size_t>(decision.range.last - decision.range.first + 1);
      set_length(out.length);
      out.headers.emplace_back("Content-Range", range::content_range(decision.range, size));
      return out;
    }
    case range::range_kind::unsatisfiable: {
      out.status = 416;
      out.offset = 0;
      out.length = 0;
      std::erase_if(out.headers, [](const header_field& f) {
        return iequals(f.first, "etag") || iequals(f.first, "last-modified") ||
               iequals(f.first, "content-type");
      });
      set_length(0);
      out.headers.emplace_back("Content-Range", range::unsatisfied_content_range(size));
      return out;
    }
  }
  return out;
}

std::string_view x_cache_value(cache_outcome outcome) noexcept {
  switch (outcome) {
    case cache_outcome::hit:
      return "Hit from cloudfront";
    case cache_outcome::miss:
      return "Miss from cloudfront";
    case cache_outcome::refresh_hit:
      return "RefreshHit from cloudfront";
    case cache_outcome::error:
      return "Error from cloudfront";
    case cache_outcome::function_generated:
      return "FunctionGeneratedResponse from cloudfront";
  }
  return "Miss from cloudfront";
}

void add_edge_headers(std::vector<header_field>& headers, cache_outcome outcome,
                      std::optional<std::uint64_t> age, std::string_view via_host, std::string_view pop,
                      std::string_view request_id) {
  const auto set = [&](std::string_view name, std::string value) {
    std::erase_if(headers, [&](const header_field& f) { return iequals(f.first, name); });
    headers.emplace_back(std::string(name), std::move(value));
  };
  set("X-Cache", std::string(x_cache_value(outcome)));
  set("Via", "1.1 " + std::string(via_host) + " (CloudFront)");
  set("X-Amz-Cf-Pop", std::string(pop));
  set("X-Amz-Cf-Id", std::string(request_id));
  if (age) set("Age", std::to_string(*age));
}

}  // namespace s3cors::edge
