#include "s3cors/inspector/capture.hpp"

#include "s3cors/http/request.hpp"
#include "s3cors/s3/route.hpp"

#include <algorithm>
#include <cctype>

namespace s3cors::inspector {

std::optional<std::string_view> find_header(const header_fields& fields, std::string_view name) {
  for (const auto& [field, value] : fields) {
    if (iequals(field, name)) return std::string_view(value);
  }
  return std::nullopt;
}

bool is_refused(const record& r) noexcept {
  return !r.origin.empty() && !find_header(r.response_headers, "Access-Control-Allow-Origin");
}

bool is_preflight(const record& r) noexcept {
  return r.method == "OPTIONS" && !r.origin.empty() &&
         find_header(r.request_headers, "Access-Control-Request-Method").has_value();
}

namespace {

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  if (part.empty()) return true;
  const auto lower = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
  return std::search(text.begin(), text.end(), part.begin(), part.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != text.end();
}

}  // namespace

record_filter parse_filter(std::string_view query) {
  record_filter out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    const auto eq = item.find('=');
    const auto name = s3::percent_decode(item.substr(0, eq), true);
    const auto value =
        s3::percent_decode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1), true);
    if (!name || !value) continue;
    if (*name == "bucket") {
      out.bucket = *value;
    } else if (*name == "origin") {
      out.origin = *value;
    } else if (*name == "status") {
      // "4", "4xx" or "404" all name the class 4xx.
      if (!value->empty() && (*value)[0] >= '1' && (*value)[0] <= '5') {
        out.status_class = static_cast<unsigned>((*value)[0] - '0');
      }
    } else if (*name == "refused") {
      out.refused_only = *value == "1" || *value == "true" || *value == "on";
    }
  }
  return out;
}

bool matches(const record_filter& filter, const record& r) noexcept {
  if (!filter.bucket.empty() && filter.bucket != r.bucket) return false;
  if (!filter.origin.empty() && !contains_ignoring_case(r.origin, filter.origin)) return false;
  if (filter.status_class != 0 && r.status / 100 != filter.status_class) return false;
  if (filter.refused_only && !is_refused(r)) return false;
  return true;
}

bool copy_headers(header_fields& into, const std::vector<std::pair<std::string, std::string>>& from,
                  const capture_limits& limits) {
  std::size_t bytes = 0;
  into.reserve(std::min(from.size(), limits.header_fields));
  for (const auto& [name, value] : from) {
    bytes += name.size() + value.size();
    if (into.size() == limits.header_fields || bytes > limits.header_bytes) return false;
    // Credentials are never kept: the page and its HAR export may be shared.
    if (iequals(name, "Authorization") || iequals(name, "Cookie") || iequals(name, "Set-Cookie")) {
      into.emplace_back(name, "(hidden)");
    } else {
      into.emplace_back(name, value);
    }
  }
  return true;
}

std::vector<std::shared_ptr<const record>> subscription::take() {
  std::vector<std::shared_ptr<const record>> out;
  std::lock_guard lock(mutex_);
  out.swap(queue_);
  return out;
}

void subscription::push(const std::shared_ptr<const record>& r) {
  std::lock_guard lock(mutex_);
  if (queue_.size() >= limit_) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(r);
  // One wake per batch: the page takes everything queued when it runs.
  if (queue_.size() == 1 && wake_) wake_();
}

void subscription::set_wake(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
  if (wake_ && !queue_.empty()) wake_();
}

std::uint64_t capture::publish(record r) {
  auto stored = std::make_shared<record>(std::move(r));
  std::vector<std::shared_ptr<subscription>> targets;
  {
    std::lock_guard lock(mutex_);
    stored->id = next_id_++;
    if (ring_.size() < limits_.records) {
      ring_.push_back(stored);
    } else if (!ring_.empty()) {
      ring_[next_slot_] = stored;
      next_slot_ = (next_slot_ + 1) % ring_.size();
    }
    for (const auto& s : subscribers_list_) {
      if (matches(s->filter(), *stored)) targets.push_back(s);
    }
  }
  // Outside the ring's lock: a page taking its queue never waits for a publisher holding it.
  for (const auto& s : targets) s->push(stored);
  return stored->id;
}

std::shared_ptr<subscription> capture::subscribe(record_filter filter, std::size_t backlog,
                                                 std::function<void()> wake) {
  auto s = std::make_shared<subscription>(std::move(filter), limits_.subscriber_queue);
  std::lock_guard lock(mutex_);
  {
    std::lock_guard queue_lock(s->mutex_);
    // The ring oldest first: from next_slot_ once it has wrapped.
    std::vector<std::shared_ptr<const record>> earlier;
    for (std::size_t i = 0; i < ring_.size(); ++i) {
      const auto& r = ring_[(next_slot_ + i) % ring_.size()];
      if (matches(s->filter_, *r)) earlier.push_back(r);
    }
    const std::size_t keep = std::min({backlog, earlier.size(), s->limit_});
    s->queue_.assign(earlier.end() - static_cast<std::ptrdiff_t>(keep), earlier.end());
  }
  s->set_wake(std::move(wake));
  subscribers_list_.push_back(s);
  subscribers_.fetch_add(1, std::memory_order_relaxed);
  return s;
}

void capture::unsubscribe(const std::shared_ptr<subscription>& s) noexcept {
  if (!s) return;
  {
    std::lock_guard lock(mutex_);
    const auto it = std::find(subscribers_list_.begin(), subscribers_list_.end(), s);
    if (it != subscribers_list_.end()) {
      subscribers_list_.erase(it);
      subscribers_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  // A publisher that picked s before it left the list may still push: without wake it only
  // queues.
  s->set_wake({});
}

std::shared_ptr<const record> capture::find(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  for (const auto& r : ring_) {
    if (r->id == id) return r;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const record>> capture::snapshot(const record_filter& filter,
                                                             std::size_t limit) const {
  std::vector<std::shared_ptr<const record>> out;
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < ring_.size(); ++i) {
    const auto& r = ring_[(next_slot_ + i) % ring_.size()];
    if (matches(filter, *r)) out.push_back(r);
  }
  if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
  return out;
}

}  // namespace s3cors::inspector
