#include "s3cors/faults/media_kind.hpp"

#include "auth/request_target.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace s3cors::faults {

namespace {

constexpr std::array<std::pair<media_kind, std::string_view>, 9> kind_names{{
    {media_kind::unknown, "unknown"},
    {media_kind::hls_multivariant, "hls_multivariant"},
    {media_kind::hls_media_playlist, "hls_media_playlist"},
    {media_kind::hls_init_segment, "hls_init_segment"},
    {media_kind::hls_media_segment, "hls_media_segment"},
    {media_kind::hls_key, "hls_key"},
    {media_kind::dash_mpd, "dash_mpd"},
    {media_kind::dash_init_segment, "dash_init_segment"},
    {media_kind::dash_media_segment, "dash_media_segment"},
}};

// A playlist will not name more segments than this for one SegmentTimeline; a bigger @r is
// matched without an index (docs/faults.md §2).
constexpr std::uint64_t max_timeline_entries = 100000;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == lower(prefix);
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// An HLS attribute list (RFC 8216 §4.2): NAME=value pairs separated by commas; a quoted string
// may hold commas. Values come back without their quotes.
std::map<std::string, std::string> parse_attributes(std::string_view list) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && (list[i] == ',' || list[i] == ' ')) ++i;
    const std::size_t eq = list.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string name(trim(list.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < list.size() && list[i] == '"') {
      const std::size_t close = list.find('"', i + 1);
      const std::size_t end = close == std::string_view::npos ? list.size() : close;
      value.assign(list.substr(i + 1, end - i - 1));
      i = close == std::string_view::npos ? list.size() : close + 1;
    } else {
      const std::size_t comma = list.find(',', i);
      const std::size_t end = comma == std::string_view::npos ? list.size() : comma;
      value.assign(trim(list.substr(i, end - i)));
      i = end;
    }
    out.emplace(std::move(name), std::move(value));
  }
  return out;
}

void parse_resolution(std::string_view text, rendition& r) {
  const std::size_t x = text.find_first_of("xX");
  if (x == std::string_view::npos) return;
  const auto w = to_u64(text.substr(0, x));
  const auto h = to_u64(text.substr(x + 1));
  if (w && h && *w <= 1000000 && *h <= 1000000) {
    r.width = static_cast<unsigned>(*w);
    r.height = static_cast<unsigned>(*h);
  }
}

// Removes "." and ".." segments (RFC 3986 §5.2.4); false when ".." climbs above the root.
bool normalise(std::string& path) {
  std::vector<std::string_view> out;
  std::string_view rest(path);
  bool trailing_slash = !rest.empty() && rest.back() == '/';
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment == "..") {
      if (out.empty()) return false;
      out.pop_back();
      if (slash == std::string_view::npos) trailing_slash = true;
    } else if (segment == ".") {
      if (slash == std::string_view::npos) trailing_slash = true;
    } else if (!segment.empty() || slash != std::string_view::npos) {
      if (!segment.empty()) out.push_back(segment);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string joined;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i != 0) joined += '/';
    joined.append(out[i]);
  }
  if (trailing_slash && !joined.empty()) joined += '/';
  path = std::move(joined);
  return true;
}

std::string local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  return std::string(colon == std::string_view::npos ? name : name.substr(colon + 1));
}

pugi::xml_node child_named(const pugi::xml_node& parent, std::string_view name) {
  for (const pugi::xml_node c : parent.children()) {
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  }
  return {};
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

// One piece of a SegmentTemplate@media pattern: literal text, or $Number$ / $Time$.
struct template_token {
  enum class type { literal, number, time } what = type::literal;
  std::string text;
};

std::vector<template_token> tokenize_template(std::string_view pattern) {
  std::vector<template_token> out;
  std::string literal;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '$') {
      literal += pattern[i++];
      continue;
    }
    const std::size_t close = pattern.find('$', i + 1);
    if (close == std::string_view::npos) {
      literal.append(pattern.substr(i));
      break;
    }
    const std::string_view ident = pattern.substr(i + 1, close - i - 1);
    i = close + 1;
    if (ident.empty()) {
      literal += '$';  // "$$" is an escaped '$' (ISO/IEC 23009-1's template identifiers)
      continue;
    }
    const std::string_view name = ident.substr(0, ident.find('%'));
    if (name != "Number" && name != "Time") {
      literal += '$';
      literal.append(ident);
      literal += '$';
      continue;
    }
    if (!literal.empty()) out.push_back({template_token::type::literal, std::move(literal)});
    literal.clear();
    out.push_back({name == "Number" ? template_token::type::number : template_token::type::time, {}});
  }
  if (!literal.empty()) out.push_back({template_token::type::literal, std::move(literal)});
  return out;
}

struct template_match {
  std::optional<std::uint64_t> number;
  std::optional<std::uint64_t> time;
};

// Backtracking match: an identifier takes one or more digits (a %0Nd width only pads).
bool match_tokens(const std::vector<template_token>& tokens, std::size_t t, std::string_view key,
                  template_match& out) {
  if (t == tokens.size()) return key.empty();
  const template_token& tok = tokens[t];
  if (tok.what == template_token::type::literal) {
    if (key.substr(0, tok.text.size()) != tok.text) return false;
    return match_tokens(tokens, t + 1, key.substr(tok.text.size()), out);
  }
  std::size_t digits = 0;
  while (digits < key.size() && digits < 20 && key[digits] >= '0' && key[digits] <= '9') ++digits;
  for (std::size_t n = digits; n >= 1; --n) {
    const auto value = to_u64(key.substr(0, n));
    if (!value) continue;
    template_match attempt = out;
    (tok.what == template_token::type::number ? attempt.number : attempt.time) = value;
    if (match_tokens(tokens, t + 1, key.substr(n), attempt)) {
      out = attempt;
      return true;
    }
  }
  return false;
}

// The attributes of a SegmentTemplate, inherited from the Period and AdaptationSet levels
// (ISO/IEC 23009-1: a lower level's attributes override the higher's).
struct template_attrs {
  std::string media;
  std::string initialization;
  std::optional<std::uint64_t> start_number;
  pugi::xml_node timeline;
  bool present = false;

  void merge(const pugi::xml_node& node) {
    if (!node) return;
    present = true;
    if (const auto a = node.attribute("media")) media = a.value();
    if (const auto a = node.attribute("initialization")) initialization = a.value();
    if (const auto a = node.attribute("startNumber")) start_number = to_u64(a.value());
    if (const auto t = child_named(node, "SegmentTimeline")) timeline = t;
  }
};

}  // namespace

std::string_view to_string(media_kind k) noexcept {
  for (const auto& [kind, name] : kind_names) {
    if (kind == k) return name;
  }
  return "unknown";
}

std::optional<media_kind> media_kind_from_string(std::string_view name) noexcept {
  for (const auto& [kind, n] : kind_names) {
    if (n == name) return kind;
  }
  return std::nullopt;
}

std::optional<std::string> resolve_uri(std::string_view bucket, std::string_view base_key,
                                       std::string_view uri) {
  uri = trim(uri);
  uri = uri.substr(0, uri.find_first_of("?#"));
  if (uri.empty()) return std::nullopt;
  std::string path;
  const std::size_t scheme_end = uri.find("://");
  const bool has_scheme = scheme_end != std::string_view::npos && uri.find('/') > scheme_end;
  if (has_scheme || uri.front() == '/') {
    std::string_view rest = uri;
    if (has_scheme) {
      rest.remove_prefix(scheme_end + 3);
      const std::size_t slash = rest.find('/');
      if (slash == std::string_view::npos) return std::nullopt;
      rest.remove_prefix(slash);
    }
    // Path-style: the first segment is the bucket (virtual-hosted URLs cannot be told apart
    // from another host's, so only path-style ones resolve).
    rest.remove_prefix(1);
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || rest.substr(0, slash) != bucket) return std::nullopt;
    path = auth::percent_decode(rest.substr(slash + 1), false);
  } else {
    const std::size_t folder = base_key.rfind('/');
    path.assign(folder == std::string_view::npos ? std::string_view() : base_key.substr(0, folder + 1));
    path += auth::percent_decode(uri, false);
  }
  if (!normalise(path) || path.empty()) return std::nullopt;
  return path;
}

void media_index::forget(const bucket_key& source) {
  const auto it = named_by_.find(source);
  if (it == named_by_.end()) return;
  for (const bucket_key& k : it->second) {
    if (const auto e = entries_.find(k); e != entries_.end() && e->second.info.source == source.second) {
      entries_.erase(e);
    }
    if (const auto r = renditions_.find(k); r != renditions_.end() && r->second.source == source.second) {
      renditions_.erase(r);
    }
  }
  named_by_.erase(it);
  if (const auto t = templates_.find(source.first); t != templates_.end()) {
    std::erase_if(t->second, [&](const dash_template& d) { return d.source == source.second; });
  }
}

void media_index::remove(std::string_view bucket, std::string_view key) {
  forget({std::string(bucket), std::string(key)});
}

void media_index::clear() noexcept {
  entries_.clear();
  renditions_.clear();
  named_by_.clear();
  templates_.clear();
}

std::size_t media_index::size() const noexcept {
  std::size_t n = entries_.size();
  for (const auto& [bucket, list] : templates_) n += list.size();
  return n;
}

std::vector<std::string> media_index::add_hls(std::string_view bucket_name, std::string_view key_name,
                                              std::string_view text) {
  const std::string bucket(bucket_name);
  const std::string key(key_name);
  const bucket_key self{bucket, key};
  forget(self);
  std::vector<bucket_key>& named = named_by_[self];
  std::vector<std::string> to_read;

  const bool multivariant = text.find("#EXT-X-STREAM-INF") != std::string_view::npos;
  auto put = [&](const std::string& k, media_info info, std::string rendition_path, bool override_existing) {
    info.source = key;
    const bucket_key bk{bucket, k};
    if (!override_existing && entries_.count(bk) != 0) return;
    entries_[bk] = entry{std::move(info), std::move(rendition_path)};
    named.push_back(bk);
  };
  auto put_rendition = [&](const std::string& playlist, rendition r) {
    r.path = playlist;
    const bucket_key bk{bucket, playlist};
    renditions_[bk] = rendition_entry{std::move(r), key};
    named.push_back(bk);
    media_info info;
    info.kind = media_kind::hls_media_playlist;
    put(playlist, info, playlist, true);
    if (named_by_.count(bk) == 0 && std::find(to_read.begin(), to_read.end(), playlist) == to_read.end()) {
      to_read.push_back(playlist);
    }
  };

  {
    media_info own;
    own.kind = multivariant ? media_kind::hls_multivariant : media_kind::hls_media_playlist;
    // A media playlist's own entry, when its multivariant playlist has one already, stays that one.
    put(key, own, key, multivariant);
  }

  std::optional<rendition> pending_variant;
  std::uint64_t media_sequence = 0;
  std::uint64_t index = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line =
        trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (line.empty()) continue;
    if (line.front() == '#') {
      const std::size_t colon = line.find(':');
      const std::string_view tag = line.substr(0, colon);
      const std::string_view value =
          colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
      auto uri_of = [&](const std::map<std::string, std::string>& attrs) -> std::optional<std::string> {
        const auto u = attrs.find("URI");
        if (u == attrs.end()) return std::nullopt;
        return resolve_uri(bucket, key, u->second);
      };
      if (tag == "#EXT-X-STREAM-INF" || tag == "#EXT-X-I-FRAME-STREAM-INF") {
        const auto attrs = parse_attributes(value);
        rendition r;
        if (const auto b = attrs.find("BANDWIDTH"); b != attrs.end())
          r.bandwidth = to_u64(b->second).value_or(0);
        if (const auto res = attrs.find("RESOLUTION"); res != attrs.end()) parse_resolution(res->second, r);
        if (tag == "#EXT-X-STREAM-INF") {
          pending_variant = r;
        } else if (const auto u = uri_of(attrs)) {
          put_rendition(*u, r);
        }
      } else if (tag == "#EXT-X-MEDIA") {
        if (const auto u = uri_of(parse_attributes(value))) put_rendition(*u, rendition{});
      } else if (tag == "#EXT-X-KEY" || tag == "#EXT-X-SESSION-KEY") {
        if (const auto u = uri_of(parse_attributes(value))) {
          media_info info;
          info.kind = media_kind::hls_key;
          put(*u, info, key, true);
        }
      } else if (tag == "#EXT-X-MAP") {
        if (const auto u = uri_of(parse_attributes(value))) {
          media_info info;
          info.kind = media_kind::hls_init_segment;
          put(*u, info, key, true);
        }
      } else if (tag == "#EXT-X-RENDITION-REPORT") {
        // Low-latency HLS: another rendition's media playlist, which the player may load next.
        if (const auto u = uri_of(parse_attributes(value))) {
          media_info info;
          info.kind = media_kind::hls_media_playlist;
          put(*u, info, *u, false);
        }
      } else if (tag == "#EXT-X-MEDIA-SEQUENCE") {
        media_sequence = to_u64(trim(value)).value_or(0);
      } else if (tag == "#EXT-X-PART" || tag == "#EXT-X-PRELOAD-HINT") {
        // Low-latency HLS: a partial segment belongs to the segment being built (the next EXTINF).
        const auto attrs = parse_attributes(value);
        const auto type = attrs.find("TYPE");
        const bool is_map = type != attrs.end() && type->second == "MAP";
        if (const auto u = uri_of(attrs)) {
          media_info info;
          info.kind = is_map ? media_kind::hls_init_segment : media_kind::hls_media_segment;
          if (!is_map) {
            info.segment_index = index;
            info.media_sequence = media_sequence + index;
          }
          put(*u, info, key, false);
        }
      }
      continue;
    }
    // A URI line: a variant after EXT-X-STREAM-INF, else a media segment.
    const auto resolved = resolve_uri(bucket, key, line);
    if (pending_variant) {
      if (resolved) put_rendition(*resolved, *pending_variant);
      pending_variant.reset();
      continue;
    }
    if (multivariant) continue;
    if (resolved) {
      media_info info;
      info.kind = media_kind::hls_media_segment;
      info.segment_index = index;
      info.media_sequence = media_sequence + index;
      // With EXT-X-BYTERANGE several segments share one URI: the first one names it.
      const auto existing = entries_.find({bucket, *resolved});
      put(*resolved, info, key, existing == entries_.end() || existing->second.info.source != key);
    }
    ++index;
  }
  return to_read;
}

bool media_index::add_dash(std::string_view bucket_name, std::string_view key_name, std::string_view text) {
  const std::string bucket(bucket_name);
  const std::string key(key_name);
  const bucket_key self{bucket, key};
  forget(self);
  std::vector<bucket_key>& named = named_by_[self];
  {
    media_info own;
    own.kind = media_kind::dash_mpd;
    own.source = key;
    entries_[self] = entry{own, {}};
    named.push_back(self);
  }
  pugi::xml_document doc;
  if (!doc.load_buffer(text.data(), text.size())) return false;
  const pugi::xml_node mpd = doc.document_element();
  if (local_name(mpd) != "MPD") return false;

  auto put = [&](const std::string& k, media_kind kind, const std::string& rendition_path,
                 std::optional<std::uint64_t> index, std::optional<std::uint64_t> number) {
    media_info info;
    info.kind = kind;
    info.segment_index = index;
    info.media_sequence = number;
    info.source = key;
    const bucket_key bk{bucket, k};
    entries_[bk] = entry{std::move(info), rendition_path};
    named.push_back(bk);
  };
  // BaseURL elements nest: each resolves against the one above (the MPD's own key at the top).
  auto base_of = [&](const pugi::xml_node& node, const std::string& base) {
    const pugi::xml_node b = child_named(node, "BaseURL");
    if (!b) return base;
    return resolve_uri(bucket, base, b.text().get()).value_or(base);
  };

  const std::string mpd_base = base_of(mpd, key);
  for (const pugi::xml_node period : mpd.children()) {
    if (local_name(period) != "Period") continue;
    const std::string period_base = base_of(period, mpd_base);
    for (const pugi::xml_node set : period.children()) {
      if (local_name(set) != "AdaptationSet") continue;
      const std::string set_base = base_of(set, period_base);
      for (const pugi::xml_node rep : set.children()) {
        if (local_name(rep) != "Representation") continue;
        const std::string rep_base = base_of(rep, set_base);
        const std::string id = rep.attribute("id").value();
        rendition r;
        r.bandwidth = rep.attribute("bandwidth").as_ullong(0);
        r.width = rep.attribute("width").as_uint(set.attribute("width").as_uint(0));
        r.height = rep.attribute("height").as_uint(set.attribute("height").as_uint(0));
        r.path = key + "#" + id;
        const bucket_key rk{bucket, r.path};
        renditions_[rk] = rendition_entry{r, key};
        named.push_back(rk);

        auto substitute = [&](std::string pattern) {
          pattern = replace_all(std::move(pattern), "$RepresentationID$", id);
          return replace_all(std::move(pattern), "$Bandwidth$", std::to_string(r.bandwidth));
        };

        template_attrs tmpl;
        tmpl.merge(child_named(period, "SegmentTemplate"));
        tmpl.merge(child_named(set, "SegmentTemplate"));
        tmpl.merge(child_named(rep, "SegmentTemplate"));
        pugi::xml_node list = child_named(rep, "SegmentList");
        if (!list) list = child_named(set, "SegmentList");
        pugi::xml_node base = child_named(rep, "SegmentBase");
        if (!base) base = child_named(set, "SegmentBase");

        if (tmpl.present) {
          if (!tmpl.initialization.empty()) {
            if (const auto k = resolve_uri(bucket, rep_base, substitute(tmpl.initialization))) {
              put(*k, media_kind::dash_init_segment, r.path, std::nullopt, std::nullopt);
            }
          }
          if (!tmpl.media.empty()) {
            // $Number$ and $Time$ stay in the pattern; they are shielded from resolve_uri's
            // %XX decoding ("%05d" would read as an escape) by placeholders.
            std::string media = substitute(tmpl.media);
            std::vector<std::string> idents;
            std::string shielded;
            for (std::size_t i = 0; i < media.size();) {
              const std::size_t close = media[i] == '$' ? media.find('$', i + 1) : std::string::npos;
              if (close == std::string::npos) {
                shielded += media[i++];
                continue;
              }
              idents.push_back(media.substr(i, close - i + 1));
              shielded += "\x01" + std::to_string(idents.size() - 1) + "\x01";
              i = close + 1;
            }
            if (auto resolved = resolve_uri(bucket, rep_base, shielded)) {
              for (std::size_t i = 0; i < idents.size(); ++i) {
                *resolved = replace_all(std::move(*resolved), "\x01" + std::to_string(i) + "\x01", idents[i]);
              }
              dash_template d;
              d.pattern = std::move(*resolved);
              d.start_number = tmpl.start_number.value_or(1);
              d.source = key;
              d.representation = r.path;
              if (tmpl.timeline) {
                std::uint64_t t = 0;
                for (const pugi::xml_node s : tmpl.timeline.children()) {
                  if (local_name(s) != "S") continue;
                  if (const auto a = s.attribute("t")) t = a.as_ullong(t);
                  const std::uint64_t dur = s.attribute("d").as_ullong(0);
                  const long long repeat = s.attribute("r").as_llong(0);
                  // r = -1 repeats to the next S or the Period's end: only its first time is known.
                  const std::uint64_t count = repeat < 0 ? 1 : static_cast<std::uint64_t>(repeat) + 1;
                  for (std::uint64_t n = 0; n < count && d.times.size() < max_timeline_entries; ++n) {
                    d.times.push_back(t);
                    t += dur;
                  }
                }
              }
              templates_[bucket].push_back(std::move(d));
            }
          }
        } else if (list) {
          if (const pugi::xml_node init = child_named(list, "Initialization")) {
            if (const auto k = resolve_uri(bucket, rep_base, init.attribute("sourceURL").value())) {
              put(*k, media_kind::dash_init_segment, r.path, std::nullopt, std::nullopt);
            }
          }
          const std::uint64_t start = list.attribute("startNumber").as_ullong(1);
          std::uint64_t index = 0;
          for (const pugi::xml_node seg : list.children()) {
            if (local_name(seg) != "SegmentURL") continue;
            if (const auto k = resolve_uri(bucket, rep_base, seg.attribute("media").value())) {
              put(*k, media_kind::dash_media_segment, r.path, index, start + index);
            }
            ++index;
          }
        } else {
          // SegmentBase (or nothing): one file holds the whole Representation, addressed by byte
          // ranges; an Initialization@sourceURL may name a separate init segment.
          if (const pugi::xml_node init = child_named(base, "Initialization")) {
            if (const auto k = resolve_uri(bucket, rep_base, init.attribute("sourceURL").value())) {
              put(*k, media_kind::dash_init_segment, r.path, std::nullopt, std::nullopt);
            }
          }
          if (rep_base != key)
            put(rep_base, media_kind::dash_media_segment, r.path, std::nullopt, std::nullopt);
        }
      }
    }
  }
  return true;
}

std::vector<std::string> media_index::add(std::string_view bucket, std::string_view key,
                                          std::string_view text) {
  std::string_view start = text.substr(0, 512);
  if (start.substr(0, 3) == "\xEF\xBB\xBF") start.remove_prefix(3);
  if (start.find("#EXTM3U") != std::string_view::npos) return add_hls(bucket, key, text);
  if (start.find("<MPD") != std::string_view::npos || start.find(":MPD") != std::string_view::npos) {
    add_dash(bucket, key, text);
  }
  return {};
}

std::optional<media_info> media_index::find(std::string_view bucket_name, std::string_view key_name) const {
  const std::string bucket(bucket_name);
  const std::string key(key_name);
  auto with_rendition = [&](media_info info, const std::string& path) {
    if (!path.empty()) {
      if (const auto r = renditions_.find({bucket, path}); r != renditions_.end())
        info.variant = r->second.value;
    }
    return info;
  };
  if (const auto e = entries_.find({bucket, key}); e != entries_.end()) {
    return with_rendition(e->second.info, e->second.rendition_path);
  }
  if (const auto t = templates_.find(bucket); t != templates_.end()) {
    for (const dash_template& d : t->second) {
      template_match m;
      if (!match_tokens(tokenize_template(d.pattern), 0, key, m)) continue;
      media_info info;
      info.kind = media_kind::dash_media_segment;
      info.source = d.source;
      if (m.number) {
        info.media_sequence = m.number;
        if (*m.number >= d.start_number) info.segment_index = *m.number - d.start_number;
      } else if (m.time) {
        if (const auto it = std::find(d.times.begin(), d.times.end(), *m.time); it != d.times.end()) {
          const auto index = static_cast<std::uint64_t>(it - d.times.begin());
          info.segment_index = index;
          info.media_sequence = d.start_number + index;
        }
      }
      return with_rendition(std::move(info), d.representation);
    }
  }
  return std::nullopt;
}

media_info classify(std::string_view key, std::string_view content_type, std::string_view head) {
  media_info info;
  const std::size_t slash = key.rfind('/');
  const std::string name = lower(slash == std::string_view::npos ? key : key.substr(slash + 1));
  const std::size_t dot = name.rfind('.');
  const std::string ext = dot == std::string::npos ? std::string() : name.substr(dot + 1);
  const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  const bool is_init_name = name.find("init") != std::string::npos;

  auto playlist = [&] {
    if (head.find("#EXT-X-STREAM-INF") != std::string_view::npos) return media_kind::hls_multivariant;
    if (!head.empty()) return media_kind::hls_media_playlist;
    // Without the text, only the conventional name tells a multivariant playlist apart.
    return name.find("master") != std::string::npos ? media_kind::hls_multivariant
                                                    : media_kind::hls_media_playlist;
  };
  static constexpr std::array<std::string_view, 6> hls_segment_ext{"ts", "aac", "ac3", "ec3", "mp3", "vtt"};
  static constexpr std::array<std::string_view, 9> fmp4_ext{"m4s",  "mp4",  "m4v",  "m4a", "cmfv",
                                                            "cmfa", "cmft", "webm", "mp4a"};
  auto in = [](const auto& list, std::string_view e) {
    return std::find(list.begin(), list.end(), e) != list.end();
  };

  if (ext == "m3u8" || ext == "m3u") {
    info.kind = playlist();
  } else if (ext == "mpd") {
    info.kind = media_kind::dash_mpd;
  } else if (ext == "key") {
    info.kind = media_kind::hls_key;
  } else if (in(hls_segment_ext, ext) || ext == "webvtt") {
    info.kind = media_kind::hls_media_segment;
  } else if (in(fmp4_ext, ext)) {
    // Unnamed fragmented MP4 is taken for DASH: HLS playlists name theirs (docs/faults.md §2).
    info.kind = is_init_name ? media_kind::dash_init_segment : media_kind::dash_media_segment;
  } else if (type == "application/vnd.apple.mpegurl" || type == "application/x-mpegurl" ||
             type == "audio/mpegurl" || type == "audio/x-mpegurl") {
    info.kind = playlist();
  } else if (type == "application/dash+xml") {
    info.kind = media_kind::dash_mpd;
  } else if (type == "video/mp2t" || type == "audio/aac") {
    info.kind = media_kind::hls_media_segment;
  } else if (type == "video/iso.segment" || type == "video/mp4" || type == "audio/mp4") {
    info.kind = is_init_name ? media_kind::dash_init_segment : media_kind::dash_media_segment;
  } else if (starts_with_ci(trim(head), "#EXTM3U")) {
    info.kind = playlist();
  }
  return info;
}

media_info lookup(const media_index& index, std::string_view bucket, std::string_view key,
                  std::string_view content_type, std::string_view head) {
  if (auto found = index.find(bucket, key)) return std::move(*found);
  return classify(key, content_type, head);
}

}  // namespace s3cors::faults
