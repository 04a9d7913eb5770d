#include "s3cors/faults/rules.hpp"

#include "detail/parse_text.hpp"
#include "faults/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <set>
#include <utility>

namespace s3cors::faults {

namespace {

using json = nlohmann::json;

struct failure {
  fault_error error;
};

[[noreturn]] void fail(std::string pointer, std::string message) {
  throw failure{{std::move(pointer), std::move(message)}};
}

std::string child(const std::string& pointer, std::string_view name) {
  return pointer + "/" + s3cors::detail::json_pointer_token(name);
}

std::string child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

// Refuses members outside `known`: a misspelt selector would otherwise select everything.
void only(const json& object, const std::string& pointer, std::initializer_list<std::string_view> known) {
  if (!object.is_object()) fail(pointer, "expected an object");
  for (const auto& [name, value] : object.items()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      fail(child(pointer, name), "unknown field \"" + name + "\"");
    }
  }
}

std::string get_string(const json& v, const std::string& pointer) {
  if (!v.is_string()) fail(pointer, "expected a string");
  return v.get<std::string>();
}

bool get_bool(const json& v, const std::string& pointer) {
  if (!v.is_boolean()) fail(pointer, "expected true or false");
  return v.get<bool>();
}

std::uint64_t get_unsigned(const json& v, const std::string& pointer) {
  if (!v.is_number_unsigned()) fail(pointer, "expected a whole number >= 0");
  return v.get<std::uint64_t>();
}

// A string or an array of strings.
std::vector<std::string> get_strings(const json& v, const std::string& pointer) {
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array()) fail(pointer, "expected a string or an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) out.push_back(get_string(v[i], child(pointer, i)));
  if (out.empty()) fail(pointer, "expected at least one value");
  return out;
}

// A number in the unit's base, or a string with a unit.
template <class Parse>
auto get_unit(const json& v, const std::string& pointer, Parse parse, std::uint64_t number_scale) {
  using value_type = std::decay_t<decltype(parse(std::string_view()).value())>;
  if (v.is_number_unsigned()) {
    const std::uint64_t n = v.get<std::uint64_t>();
    if (n > std::numeric_limits<std::uint64_t>::max() / number_scale) fail(pointer, "too large");
    if constexpr (std::is_same_v<value_type, std::chrono::nanoseconds>) {
      return value_type(static_cast<std::int64_t>(n * number_scale));
    } else {
      return value_type(n * number_scale);
    }
  }
  if (!v.is_string()) fail(pointer, "expected a number or a string with a unit");
  auto parsed = parse(v.get<std::string>());
  if (!parsed) fail(pointer, parsed.error());
  return *parsed;
}

std::uint64_t get_rate(const json& v, const std::string& pointer) {
  return get_unit(v, pointer, parse_rate, 1);
}
std::uint64_t get_size(const json& v, const std::string& pointer) {
  return get_unit(v, pointer, parse_size, 1);
}
std::chrono::nanoseconds get_duration(const json& v, const std::string& pointer) {
  // A bare number is milliseconds.
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > 1'000'000'000'000ULL) fail(pointer, "too large");
  return get_unit(v, pointer, parse_duration, 1'000'000);
}

// n, [min, max] or {"min": a, "max": b} (either bound may be left out). `value` reads one bound.
template <class Value>
u64_range get_range(const json& v, const std::string& pointer, Value value) {
  u64_range r;
  if (v.is_array()) {
    if (v.size() != 2) fail(pointer, "expected [min, max]");
    r.min = value(v[0], child(pointer, 0));
    r.max = value(v[1], child(pointer, 1));
  } else if (v.is_object()) {
    only(v, pointer, {"min", "max"});
    if (v.contains("min")) r.min = value(v["min"], child(pointer, "min"));
    if (v.contains("max")) r.max = value(v["max"], child(pointer, "max"));
  } else {
    r.min = r.max = value(v, pointer);
  }
  if (r.min > r.max) fail(pointer, "min is above max");
  return r;
}

// Bandwidths are bits per second, as playlists write them: a number, or a rate with a unit.
std::uint64_t get_bandwidth(const json& v, const std::string& pointer) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  const std::uint64_t bytes = get_rate(v, pointer);
  if (bytes == rate_step::unlimited || bytes > std::numeric_limits<std::uint64_t>::max() / 8) {
    fail(pointer, "expected a finite bandwidth");
  }
  return bytes * 8;
}

struct kind_group {
  std::string_view name;
  std::vector<media_kind> kinds;
};

const std::vector<kind_group>& kind_groups() {
  static const std::vector<kind_group> groups = {
      {"playlist", {media_kind::hls_multivariant, media_kind::hls_media_playlist, media_kind::dash_mpd}},
      {"manifest", {media_kind::hls_multivariant, media_kind::dash_mpd}},
      {"init", {media_kind::hls_init_segment, media_kind::dash_init_segment}},
      {"segment", {media_kind::hls_media_segment, media_kind::dash_media_segment}},
      {"media",
       {media_kind::hls_init_segment, media_kind::dash_init_segment, media_kind::hls_media_segment,
        media_kind::dash_media_segment}},
      {"key", {media_kind::hls_key}},
  };
  return groups;
}

std::vector<media_kind> get_kinds(const json& v, const std::string& pointer) {
  const std::vector<std::string> names = get_strings(v, pointer);
  std::vector<media_kind> out;
  auto add = [&](media_kind k) {
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    const std::string at = v.is_array() ? child(pointer, i) : pointer;
    if (const auto k = media_kind_from_string(name)) {
      add(*k);
      continue;
    }
    const auto& groups = kind_groups();
    const auto g =
        std::find_if(groups.begin(), groups.end(), [&](const kind_group& x) { return x.name == name; });
    if (g == groups.end()) {
      fail(at, "unknown kind \"" + name +
                   "\" (expected playlist, manifest, init, segment, media, key, or one of hls_multivariant, "
                   "hls_media_playlist, hls_init_segment, hls_media_segment, hls_key, dash_mpd, "
                   "dash_init_segment, dash_media_segment, unknown)");
    }
    for (const media_kind k : g->kinds) add(k);
  }
  return out;
}

std::optional<s3::error> error_by_code(std::string_view code) {
  for (std::size_t i = 0; i <= static_cast<std::size_t>(s3::error::x_amz_content_sha256_mismatch); ++i) {
    const auto e = static_cast<s3::error>(i);
    if (s3::info(e).code == code) return e;
  }
  return std::nullopt;
}

// The S3 error a bare status stands for: what S3 itself answers most often with it.
std::optional<s3::error> error_by_status(std::uint64_t status) {
  switch (status) {
    case 400:
      return s3::error::invalid_request;
    case 403:
      return s3::error::access_denied;
    case 404:
      return s3::error::no_such_key;
    case 405:
      return s3::error::method_not_allowed;
    case 409:
      return s3::error::conditional_request_conflict;
    case 412:
      return s3::error::precondition_failed;
    case 416:
      return s3::error::invalid_range;
    case 500:
      return s3::error::internal_error;
    case 501:
      return s3::error::not_implemented;
    case 503:
      return s3::error::slow_down;
    default:
      return std::nullopt;
  }
}

injected_error get_error(const json& v, const std::string& pointer) {
  injected_error out;
  auto by_code = [&](const json& c, const std::string& at) {
    const std::string code = get_string(c, at);
    const auto e = error_by_code(code);
    if (!e) fail(at, "unknown S3 error code \"" + code + "\"");
    return *e;
  };
  auto by_status = [&](const json& s, const std::string& at) {
    const std::uint64_t status = get_unsigned(s, at);
    const auto e = error_by_status(status);
    if (!e)
      fail(at, "no S3 error for status " + std::to_string(status) +
                   " (400, 403, 404, 405, 409, 412, 416, 500, 501, 503)");
    return *e;
  };
  if (v.is_string()) {
    out.code = by_code(v, pointer);
  } else if (v.is_number()) {
    out.code = by_status(v, pointer);
  } else {
    only(v, pointer, {"code", "status", "message"});
    if (!v.contains("code") && !v.contains("status")) fail(pointer, "expected \"code\" or \"status\"");
    if (v.contains("code")) {
      out.code = by_code(v["code"], child(pointer, "code"));
      if (v.contains("status")) {
        const std::uint64_t status = get_unsigned(v["status"], child(pointer, "status"));
        if (status != s3::info(out.code).status) {
          fail(child(pointer, "status"), "S3 answers " + std::string(s3::info(out.code).code) + " with " +
                                             std::to_string(s3::info(out.code).status));
        }
      }
    } else {
      out.code = by_status(v["status"], child(pointer, "status"));
    }
    if (v.contains("message")) out.message = get_string(v["message"], child(pointer, "message"));
  }
  return out;
}

bandwidth_timeline get_timeline(const json& v, const std::string& pointer, timeline_origin& from) {
  bandwidth_timeline t;
  const json* steps = &v;
  std::string steps_at = pointer;
  if (v.is_object()) {
    only(v, pointer, {"steps", "loop", "from"});
    if (!v.contains("steps")) fail(pointer, "expected \"steps\"");
    steps = &v["steps"];
    steps_at = child(pointer, "steps");
    if (v.contains("loop")) t.loop = get_bool(v["loop"], child(pointer, "loop"));
    if (v.contains("from")) {
      const std::string f = get_string(v["from"], child(pointer, "from"));
      if (f == "rule") {
        from = timeline_origin::rule;
      } else if (f == "request") {
        from = timeline_origin::request;
      } else {
        fail(child(pointer, "from"), "expected \"rule\" or \"request\"");
      }
    }
  }
  if (!steps->is_array() || steps->empty()) fail(steps_at, "expected a non-empty array of steps");
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const json& s = (*steps)[i];
    const std::string at = child(steps_at, i);
    only(s, at, {"rate", "for"});
    if (!s.contains("rate")) fail(at, "expected \"rate\"");
    rate_step step;
    step.bytes_per_second = get_rate(s["rate"], child(at, "rate"));
    if (s.contains("for")) {
      step.duration = get_duration(s["for"], child(at, "for"));
      if (step.duration.count() <= 0) fail(child(at, "for"), "expected a duration above 0");
    } else if (i + 1 != steps->size()) {
      fail(at, "only the last step may leave out \"for\" (it then lasts for ever)");
    }
    t.steps.push_back(step);
  }
  if (t.loop && t.steps.back().duration.count() == 0)
    fail(pointer, "a looping timeline needs \"for\" on every step");
  return t;
}

selector get_selector(const json& v, const std::string& pointer) {
  only(v, pointer,
       {"bucket", "key", "method", "kind", "rendition", "segment", "sequence", "origin", "client",
        "probability", "seed"});
  selector s;
  auto at = [&](std::string_view name) { return child(pointer, name); };
  if (v.contains("bucket")) s.buckets = get_strings(v["bucket"], at("bucket"));
  if (v.contains("key")) s.keys = get_strings(v["key"], at("key"));
  if (v.contains("method")) {
    s.methods = get_strings(v["method"], at("method"));
    for (std::string& m : s.methods) {
      for (char& c : m) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
    }
  }
  if (v.contains("kind")) s.kinds = get_kinds(v["kind"], at("kind"));
  if (v.contains("rendition")) {
    const json& r = v["rendition"];
    const std::string rp = at("rendition");
    only(r, rp, {"bandwidth", "resolution", "width", "height", "path"});
    rendition_selector rs;
    if (r.contains("bandwidth"))
      rs.bandwidth = get_range(r["bandwidth"], child(rp, "bandwidth"), get_bandwidth);
    if (r.contains("resolution")) {
      const std::string text = get_string(r["resolution"], child(rp, "resolution"));
      const std::size_t x = text.find('x');
      unsigned w = 0;
      unsigned h = 0;
      const char* end = text.data() + text.size();
      const bool ok = x != std::string::npos && x > 0 &&
                      std::from_chars(text.data(), text.data() + x, w).ptr == text.data() + x &&
                      std::from_chars(text.data() + x + 1, end, h).ptr == end && x + 1 < text.size();
      if (!ok) fail(child(rp, "resolution"), "expected WIDTHxHEIGHT, e.g. \"640x360\"");
      rs.width = w;
      rs.height = h;
    }
    auto dimension = [&](std::string_view name) {
      const std::uint64_t n = get_unsigned(r[std::string(name)], child(rp, name));
      if (n > 1'000'000) fail(child(rp, name), "too large");
      return static_cast<unsigned>(n);
    };
    if (r.contains("width")) rs.width = dimension("width");
    if (r.contains("height")) rs.height = dimension("height");
    if (r.contains("path")) rs.path = get_string(r["path"], child(rp, "path"));
    s.rendition = rs;
  }
  if (v.contains("segment")) s.segment = get_range(v["segment"], at("segment"), get_unsigned);
  if (v.contains("sequence")) s.sequence = get_range(v["sequence"], at("sequence"), get_unsigned);
  if (v.contains("origin")) s.origins = get_strings(v["origin"], at("origin"));
  if (v.contains("client")) {
    const json& c = v["client"];
    const std::string cp = at("client");
    only(c, cp, {"header", "query", "value"});
    client_tag tag;
    if (c.contains("header") == c.contains("query")) fail(cp, "expected one of \"header\" or \"query\"");
    if (c.contains("header")) {
      tag.from = client_tag::source::header;
      tag.name = get_string(c["header"], child(cp, "header"));
    } else {
      tag.from = client_tag::source::query;
      tag.name = get_string(c["query"], child(cp, "query"));
    }
    if (tag.name.empty())
      fail(child(cp, tag.from == client_tag::source::header ? "header" : "query"), "empty name");
    if (!c.contains("value")) fail(cp, "expected \"value\"");
    tag.value = get_string(c["value"], child(cp, "value"));
    s.client = std::move(tag);
  }
  if (v.contains("probability")) {
    const json& p = v["probability"];
    if (!p.is_number() || p.get<double>() < 0.0 || p.get<double>() > 1.0) {
      fail(at("probability"), "expected a number from 0 to 1");
    }
    s.probability = p.get<double>();
  }
  if (v.contains("seed")) s.seed = get_unsigned(v["seed"], at("seed"));
  return s;
}

fault_actions get_actions(const json& v, const std::string& pointer) {
  only(v, pointer, {"latency", "throughput", "timeline", "error", "cut_after", "reset", "stall"});
  fault_actions a;
  auto at = [&](std::string_view name) { return child(pointer, name); };
  if (v.contains("latency")) {
    a.latency =
        std::chrono::duration_cast<std::chrono::milliseconds>(get_duration(v["latency"], at("latency")));
  }
  if (v.contains("throughput")) {
    a.throughput = get_rate(v["throughput"], at("throughput"));
    if (*a.throughput == 0) fail(at("throughput"), "a cap of 0 is a stall: use \"stall\"");
  }
  if (v.contains("timeline")) a.timeline = get_timeline(v["timeline"], at("timeline"), a.timeline_from);
  if (v.contains("error")) a.error = get_error(v["error"], at("error"));
  if (v.contains("cut_after")) a.cut_after = get_size(v["cut_after"], at("cut_after"));
  if (v.contains("reset")) a.reset = get_bool(v["reset"], at("reset"));
  if (v.contains("stall")) a.stall = get_bool(v["stall"], at("stall"));
  if (a.reset && a.stall) fail(pointer, "\"reset\" and \"stall\" exclude each other");
  if (a.error && (a.reset || a.stall) && !a.cut_after) {
    fail(pointer, "an error response is never sent when the connection is reset or stalled before its head");
  }
  return a;
}

schedule get_schedule(const json& v, const std::string& pointer) {
  schedule s;
  if (v.is_string()) {
    if (v.get<std::string>() != "always")
      fail(pointer, "expected \"always\", {\"first\": n} or {\"every\": n}");
    return s;
  }
  only(v, pointer, {"first", "every"});
  if (v.size() != 1) fail(pointer, "expected one of \"first\" or \"every\"");
  const bool first = v.contains("first");
  s.what = first ? schedule::kind::first : schedule::kind::every;
  const std::string at = child(pointer, first ? "first" : "every");
  s.n = get_unsigned(first ? v["first"] : v["every"], at);
  if (s.n == 0) fail(at, "expected a number above 0");
  return s;
}

fault_rule get_rule(const json& v, const std::string& pointer) {
  only(v, pointer, {"name", "enabled", "match", "action", "when", "drop_cors", "response_header"});
  fault_rule r;
  auto at = [&](std::string_view name) { return child(pointer, name); };
  if (v.contains("name")) {
    r.name = get_string(v["name"], at("name"));
    if (r.name.empty() || r.name.size() > 128 || !std::all_of(r.name.begin(), r.name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || c == '.';
        })) {
      // Names go into a response header, the access log and the API's paths.
      fail(at("name"), "expected 1 to 128 letters, digits, '-', '_' or '.'");
    }
  }
  if (v.contains("enabled")) r.enabled = get_bool(v["enabled"], at("enabled"));
  if (v.contains("match")) r.match = get_selector(v["match"], at("match"));
  if (v.contains("action")) r.action = get_actions(v["action"], at("action"));
  if (v.contains("when")) r.when = get_schedule(v["when"], at("when"));
  if (v.contains("drop_cors")) r.drop_cors = get_bool(v["drop_cors"], at("drop_cors"));
  if (v.contains("response_header"))
    r.response_header = get_bool(v["response_header"], at("response_header"));
  return r;
}

std::optional<double> parse_number(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && ((text[n] >= '0' && text[n] <= '9') || text[n] == '.')) ++n;
  if (n == 0) return std::nullopt;
  const std::string digits(text.substr(0, n));
  if (std::count(digits.begin(), digits.end(), '.') > 1 || digits.front() == '.' || digits.back() == '.') {
    return std::nullopt;
  }
  text.remove_prefix(n);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return std::stod(digits);
}

struct unit {
  std::string_view suffix;
  double factor;
};

// The number with one of `units` after it (the empty suffix is a bare number).
std::optional<double> with_unit(std::string_view text, std::initializer_list<unit> units) {
  text = s3cors::detail::trim_ows(text);
  const auto n = parse_number(text);
  if (!n) return std::nullopt;
  for (const unit& u : units) {
    if (text == u.suffix) return *n * u.factor;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> to_u64(double v) {
  if (!std::isfinite(v) || v < 0 || v >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(v));
}

}  // namespace

result<std::uint64_t, std::string> parse_rate(std::string_view text) {
  const std::string_view t = s3cors::detail::trim_ows(text);
  if (t == "unlimited") return rate_step::unlimited;
  // Bits use SI prefixes, as network rates do; bytes take SI (kB) or binary (KiB) ones. 'm' is
  // taken for mega: a millibit rate means nothing.
  const auto v = with_unit(t, {{"", 1},
                               {"B/s", 1},
                               {"Bps", 1},
                               {"B", 1},
                               {"kB/s", 1e3},
                               {"kB", 1e3},
                               {"KB/s", 1e3},
                               {"KB", 1e3},
                               {"MB/s", 1e6},
                               {"MB", 1e6},
                               {"GB/s", 1e9},
                               {"GB", 1e9},
                               {"KiB/s", 1024},
                               {"KiB", 1024},
                               {"MiB/s", 1048576},
                               {"MiB", 1048576},
                               {"GiB/s", 1073741824},
                               {"GiB", 1073741824},
                               {"bit", 1.0 / 8},
                               {"bit/s", 1.0 / 8},
                               {"bps", 1.0 / 8},
                               {"kbit", 1e3 / 8},
                               {"kbit/s", 1e3 / 8},
                               {"kbps", 1e3 / 8},
                               {"Kbit", 1e3 / 8},
                               {"Kbps", 1e3 / 8},
                               {"Mbit", 1e6 / 8},
                               {"Mbit/s", 1e6 / 8},
                               {"Mbps", 1e6 / 8},
                               {"mbit", 1e6 / 8},
                               {"mbps", 1e6 / 8},
                               {"Gbit", 1e9 / 8},
                               {"Gbit/s", 1e9 / 8},
                               {"Gbps", 1e9 / 8}});
  const auto n = v ? to_u64(*v) : std::nullopt;
  if (!n) {
    return std::string(
        "expected a rate: bytes per second, or a number with a unit (\"5Mbit\", \"500kbit/s\", "
        "\"64kB/s\", \"1MiB/s\") or \"unlimited\"");
  }
  return *n;
}

result<std::chrono::nanoseconds, std::string> parse_duration(std::string_view text) {
  const auto v = with_unit(text, {{"", 1e6},
                                  {"ns", 1},
                                  {"us", 1e3},
                                  {"ms", 1e6},
                                  {"s", 1e9},
                                  {"m", 60e9},
                                  {"min", 60e9},
                                  {"h", 3600e9}});
  // At most a day: a longer fault is a stall.
  if (!v || *v > 86400e9) {
    return std::string(
        "expected a duration up to a day: milliseconds, or a number with a unit (\"250ms\", "
        "\"20s\", \"1.5s\", \"2m\")");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(*v)));
}

result<std::uint64_t, std::string> parse_size(std::string_view text) {
  const auto v = with_unit(text, {{"", 1},
                                  {"B", 1},
                                  {"kB", 1e3},
                                  {"KB", 1e3},
                                  {"MB", 1e6},
                                  {"GB", 1e9},
                                  {"KiB", 1024},
                                  {"MiB", 1048576},
                                  {"GiB", 1073741824}});
  const auto n = v ? to_u64(*v) : std::nullopt;
  if (!n) return std::string("expected a size: bytes, or a number with a unit (\"16KiB\", \"1MB\")");
  return *n;
}

namespace detail {

result<fault_rule, fault_error> parse_rule_value(const json& value, const std::string& pointer) {
  try {
    return get_rule(value, pointer);
  } catch (const failure& f) {
    return f.error;
  } catch (const json::exception& e) {
    return fault_error{pointer, e.what()};
  }
}

result<std::vector<fault_rule>, fault_error> parse_rules_value(const json& value,
                                                               const std::string& pointer) {
  try {
    const json* list = &value;
    std::string at = pointer;
    if (value.is_object()) {
      only(value, pointer, {"rules"});
      if (!value.contains("rules")) fail(pointer, "expected \"rules\"");
      list = &value["rules"];
      at = child(pointer, "rules");
    }
    if (!list->is_array()) fail(at, "expected an array of rules");
    std::vector<fault_rule> out;
    std::set<std::string> names;
    for (std::size_t i = 0; i < list->size(); ++i) {
      fault_rule r = get_rule((*list)[i], child(at, i));
      if (r.name.empty()) r.name = "rule-" + std::to_string(i + 1);
      if (!names.insert(r.name).second)
        fail(child(child(at, i), "name"), "a rule named \"" + r.name + "\" exists");
      out.push_back(std::move(r));
    }
    return out;
  } catch (const failure& f) {
    return f.error;
  } catch (const json::exception& e) {
    return fault_error{pointer, e.what()};
  }
}

json rule_to_json(const fault_rule& r) {
  json out = json::object();
  if (!r.name.empty()) out["name"] = r.name;
  out["enabled"] = r.enabled;
  json m = json::object();
  const selector& s = r.match;
  if (!s.buckets.empty()) m["bucket"] = s.buckets;
  if (!s.keys.empty()) m["key"] = s.keys;
  if (!s.methods.empty()) m["method"] = s.methods;
  if (!s.kinds.empty()) {
    json kinds = json::array();
    for (const media_kind k : s.kinds) kinds.push_back(std::string(to_string(k)));
    m["kind"] = kinds;
  }
  auto range = [](const u64_range& x) {
    json o = json::object();
    o["min"] = x.min;
    o["max"] = x.max;
    return o;
  };
  if (s.rendition) {
    json rs = json::object();
    if (s.rendition->bandwidth) rs["bandwidth"] = range(*s.rendition->bandwidth);
    if (s.rendition->width) rs["width"] = *s.rendition->width;
    if (s.rendition->height) rs["height"] = *s.rendition->height;
    if (s.rendition->path) rs["path"] = *s.rendition->path;
    m["rendition"] = rs;
  }
  if (s.segment) m["segment"] = range(*s.segment);
  if (s.sequence) m["sequence"] = range(*s.sequence);
  if (!s.origins.empty()) m["origin"] = s.origins;
  if (s.client) {
    json c = json::object();
    c[s.client->from == client_tag::source::header ? "header" : "query"] = s.client->name;
    c["value"] = s.client->value;
    m["client"] = c;
  }
  if (s.probability != 1.0) m["probability"] = s.probability;
  if (s.seed != 0) m["seed"] = s.seed;
  out["match"] = m;

  json a = json::object();
  const fault_actions& act = r.action;
  if (act.latency.count() != 0) a["latency"] = act.latency.count();
  if (act.throughput) a["throughput"] = *act.throughput;
  if (act.timeline) {
    json steps = json::array();
    for (const rate_step& st : act.timeline->steps) {
      json step = json::object();
      if (st.bytes_per_second == rate_step::unlimited) {
        step["rate"] = "unlimited";
      } else {
        step["rate"] = st.bytes_per_second;
      }
      if (st.duration.count() != 0) {
        step["for"] =
            std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(st.duration).count()) + "us";
      }
      steps.push_back(step);
    }
    a["timeline"] = {{"steps", steps},
                     {"loop", act.timeline->loop},
                     {"from", act.timeline_from == timeline_origin::rule ? "rule" : "request"}};
  }
  if (act.error) {
    json e = json::object();
    e["code"] = std::string(s3::info(act.error->code).code);
    e["status"] = s3::info(act.error->code).status;
    if (!act.error->message.empty()) e["message"] = act.error->message;
    a["error"] = e;
  }
  if (act.cut_after) a["cut_after"] = *act.cut_after;
  if (act.reset) a["reset"] = true;
  if (act.stall) a["stall"] = true;
  out["action"] = a;
  switch (r.when.what) {
    case schedule::kind::always:
      out["when"] = "always";
      break;
    case schedule::kind::first:
      out["when"] = {{"first", r.when.n}};
      break;
    case schedule::kind::every:
      out["when"] = {{"every", r.when.n}};
      break;
  }
  out["drop_cors"] = r.drop_cors;
  out["response_header"] = r.response_header;
  return out;
}

}  // namespace detail

result<fault_rule, fault_error> parse_rule(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return fault_error{"", std::string("not valid JSON: ") + e.what()};
  }
  return detail::parse_rule_value(doc, "");
}

result<std::vector<fault_rule>, fault_error> parse_rules(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return fault_error{"", std::string("not valid JSON: ") + e.what()};
  }
  return detail::parse_rules_value(doc, "");
}

std::string to_json(const fault_rule& rule) {
  return detail::rule_to_json(rule).dump();
}

}  // namespace s3cors::faults
