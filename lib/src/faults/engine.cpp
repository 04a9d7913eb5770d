#include "s3cors/faults/engine.hpp"

#include "faults/json.hpp"

#include <algorithm>

namespace s3cors::faults {

namespace {

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

std::uint64_t fnv1a(std::string_view text) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

bool schedule_allows(const schedule& s, std::uint64_t n) noexcept {
  switch (s.what) {
    case schedule::kind::always:
      return true;
    case schedule::kind::first:
      return n <= s.n;
    case schedule::kind::every:
      return n % s.n == 0;
  }
  return false;
}

void merge(fault_plan& plan, const fault_rule& rule, std::optional<steady_time> timeline_origin) {
  const fault_actions& a = rule.action;
  plan.rules.push_back(rule.name);
  plan.delay += a.latency;
  if (a.throughput)
    plan.throughput = plan.throughput ? std::min(*plan.throughput, *a.throughput) : *a.throughput;
  if (a.timeline && !plan.timeline) {
    plan.timeline = a.timeline;
    plan.timeline_origin = timeline_origin;
  }
  if (a.error && !plan.error) {
    plan.error = a.error;
    plan.drop_cors = rule.drop_cors;
  }
  if (a.cut_after) plan.cut_after = plan.cut_after ? std::min(*plan.cut_after, *a.cut_after) : *a.cut_after;
  // A reset and a stall from two rules: the reset, which the client notices at once.
  plan.reset = plan.reset || a.reset;
  plan.stall = (plan.stall || a.stall) && !plan.reset;
  plan.response_header = plan.response_header || rule.response_header;
}

}  // namespace

std::string fault_plan::log_field() const {
  return rules.empty() ? std::string("-") : joined(rules);
}

std::optional<throttle> fault_plan::make_throttle(steady_time start) const {
  if (timeline) {
    bandwidth_timeline t = *timeline;
    if (throughput) {
      for (rate_step& s : t.steps) s.bytes_per_second = std::min(s.bytes_per_second, *throughput);
      // When the timeline ends, the cap still holds.
      if (!t.loop && t.steps.back().duration.count() != 0) t.steps.push_back({*throughput, {}});
    }
    const steady_time origin = std::min(timeline_origin.value_or(start), start);
    return throttle(std::move(t), origin, start);
  }
  if (throughput) return throttle(*throughput, start);
  return std::nullopt;
}

void annotate(response& res, const fault_plan& plan) {
  if (plan.response_header && !plan.rules.empty()) res.headers.set(fault_header, joined(plan.rules));
}

response make_fault_response(const fault_plan& plan, const s3::request_context& ctx, std::string_view bucket,
                             std::string_view key, bool is_head) {
  const injected_error e = plan.error.value_or(injected_error{});
  s3::error_detail detail(e.code, e.message);
  // S3 names the missing key or bucket in its 404s.
  if (e.code == s3::error::no_such_key) detail.with("Key", std::string(key));
  if (e.code == s3::error::no_such_bucket) detail.with("BucketName", std::string(bucket));
  response res = s3::make_error_response(detail, ctx, is_head);
  annotate(res, plan);
  return res;
}

void expose_fault_header(response& res) {
  if (!res.headers.find(fault_header) || !res.headers.find("Access-Control-Allow-Origin")) return;
  const auto exposed = res.headers.find("Access-Control-Expose-Headers");
  if (!exposed) {
    res.headers.add("Access-Control-Expose-Headers", std::string(fault_header));
    return;
  }
  // Already listed (a bucket rule exposing it): nothing to add.
  std::string_view rest = *exposed;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (iequals(item, fault_header) || item == "*") return;
  }
  res.headers.set("Access-Control-Expose-Headers", std::string(*exposed) + ", " + std::string(fault_header));
}

double draw(std::uint64_t seed, std::string_view rule_name, std::uint64_t n) noexcept {
  const std::uint64_t z = splitmix64(splitmix64(seed ^ fnv1a(rule_name)) + n * 0x9E3779B97F4A7C15ULL);
  return static_cast<double>(z >> 11U) * 0x1.0p-53;
}

bool selects(const selector& s, const fault_request& r) {
  auto any = [](const std::vector<std::string>& list, auto pred) {
    return std::any_of(list.begin(), list.end(), pred);
  };
  if (!s.buckets.empty() && !any(s.buckets, [&](const std::string& b) { return b == r.bucket; }))
    return false;
  if (!s.keys.empty() && !any(s.keys, [&](const std::string& k) { return glob_matches(k, r.key); }))
    return false;
  if (!s.methods.empty() && !any(s.methods, [&](const std::string& m) { return iequals(m, r.method); })) {
    return false;
  }
  if (r.preflight && !any(s.methods, [](const std::string& m) { return iequals(m, "OPTIONS"); }))
    return false;
  if (!s.kinds.empty() && std::find(s.kinds.begin(), s.kinds.end(), r.media.kind) == s.kinds.end())
    return false;
  if (s.rendition) {
    if (!r.media.variant) return false;
    const rendition& v = *r.media.variant;
    const rendition_selector& rs = *s.rendition;
    if (rs.bandwidth && !rs.bandwidth->contains(v.bandwidth)) return false;
    if (rs.width && *rs.width != v.width) return false;
    if (rs.height && *rs.height != v.height) return false;
    if (rs.path && !glob_matches(*rs.path, v.path)) return false;
  }
  if (s.segment && !(r.media.segment_index && s.segment->contains(*r.media.segment_index))) return false;
  if (s.sequence && !(r.media.media_sequence && s.sequence->contains(*r.media.media_sequence))) return false;
  if (!s.origins.empty()) {
    const auto origin = r.headers ? r.headers->find("Origin") : std::nullopt;
    if (!origin || !any(s.origins, [&](const std::string& o) { return glob_matches(o, *origin); }))
      return false;
  }
  if (s.client) {
    const client_tag& c = *s.client;
    if (c.from == client_tag::source::header) {
      const auto value = r.headers ? r.headers->find(c.name) : std::nullopt;
      if (!value || *value != c.value) return false;
    } else {
      if (!r.query) return false;
      const bool found = std::any_of(r.query->begin(), r.query->end(),
                                     [&](const auto& p) { return p.first == c.name && p.second == c.value; });
      if (!found) return false;
    }
  }
  return true;
}

void fault_engine::replace(std::vector<fault_rule> rules) {
  std::lock_guard lock(mutex_);
  std::vector<held> next;
  next.reserve(rules.size());
  for (fault_rule& r : rules) {
    held h;
    const auto old = std::find_if(rules_.begin(), rules_.end(), [&](const held& x) { return x.rule == r; });
    if (old != rules_.end()) h = *old;
    h.rule = std::move(r);
    if (h.rule.name.empty()) h.rule.name = "rule-" + std::to_string(next_id_++);
    next.push_back(std::move(h));
  }
  rules_ = std::move(next);
  count_.store(rules_.size(), std::memory_order_release);
}

result<std::string, fault_error> fault_engine::add(std::string_view json) {
  auto parsed = parse_rule(json);
  if (!parsed) return parsed.error();
  return add(std::move(*parsed));
}

result<std::string, fault_error> fault_engine::add(fault_rule rule) {
  std::lock_guard lock(mutex_);
  auto taken = [&](const std::string& name) {
    return std::any_of(rules_.begin(), rules_.end(), [&](const held& h) { return h.rule.name == name; });
  };
  if (rule.name.empty()) {
    do {
      rule.name = "rule-" + std::to_string(next_id_++);
    } while (taken(rule.name));
  } else if (taken(rule.name)) {
    return fault_error{"/name", "a rule named \"" + rule.name + "\" exists"};
  }
  std::string name = rule.name;
  rules_.push_back(held{std::move(rule), 0, 0, std::nullopt});
  count_.store(rules_.size(), std::memory_order_release);
  // in_place: a string would also make a fault_error (C++20 parenthesised aggregate initialisation).
  return result<std::string, fault_error>(boost::system::in_place_value, std::move(name));
}

bool fault_engine::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  const auto before = rules_.size();
  std::erase_if(rules_, [&](const held& h) { return h.rule.name == name; });
  count_.store(rules_.size(), std::memory_order_release);
  return rules_.size() != before;
}

void fault_engine::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
  count_.store(0, std::memory_order_release);
}

std::vector<fault_rule> fault_engine::rules() const {
  std::lock_guard lock(mutex_);
  std::vector<fault_rule> out;
  out.reserve(rules_.size());
  for (const held& h : rules_) out.push_back(h.rule);
  return out;
}

std::string fault_engine::list_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json list = nlohmann::json::array();
  for (const held& h : rules_) {
    nlohmann::json r = detail::rule_to_json(h.rule);
    r["matches"] = h.matches;
    r["fired"] = h.fired;
    list.push_back(std::move(r));
  }
  return nlohmann::json{{"rules", std::move(list)}}.dump();
}

fault_plan fault_engine::decide(const fault_request& request) {
  fault_plan plan;
  if (empty()) return plan;
  std::lock_guard lock(mutex_);
  for (held& h : rules_) {
    if (!h.rule.enabled || !selects(h.rule.match, request)) continue;
    const std::uint64_t n = ++h.matches;
    if (!schedule_allows(h.rule.when, n)) continue;
    const double p = h.rule.match.probability;
    if (p < 1.0 && !(draw(h.rule.match.seed, h.rule.name, n) < p)) continue;
    ++h.fired;
    if (!h.first_fired) h.first_fired = request.now;
    const std::optional<steady_time> origin =
        h.rule.action.timeline_from == timeline_origin::rule ? h.first_fired : std::nullopt;
    merge(plan, h.rule, origin);
  }
  return plan;
}

}  // namespace s3cors::faults
