#include "s3cors/doctor/model.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

namespace s3cors::doctor {
namespace {

// ---------------------------------------------------------------------------------------------
// Player facts (docs/doctor.md lists them with the same sources).

/// Where each player makes its requests and sets Range.
struct player_facts {
  std::string_view request;  ///< the code that sends every GET
  std::string_view range;    ///< the code that sets Range for a byte range
  std::string_view credentials;
};

constexpr std::array<player_facts, 4> facts = {{
    // hls.js 1.x: every load is xhr.open('GET', …); a fragment or init segment with a byte range
    // gets Range: bytes=start-(end-1); credentials only through the page's xhrSetup.
    {"hls.js src/utils/xhr-loader.ts XhrLoader.openAndSendXhr (xhr.open('GET'))",
     "hls.js src/utils/xhr-loader.ts XhrLoader.openAndSendXhr (Range: bytes=rangeStart-(rangeEnd-1))",
     "hls.js src/config.ts xhrSetup (the page sets xhr.withCredentials)"},
    // video.js (VHS): videojs.xhr GETs; segmentXhrHeaders/byterangeStr build bytes=offset-(offset+length-1).
    {"@videojs/http-streaming src/xhr.js xhrFactory (videojs.xhr GET)",
     "@videojs/http-streaming src/xhr.js segmentXhrHeaders / byterangeStr (Range: "
     "bytes=offset-(offset+length-1))",
     "@videojs/http-streaming option withCredentials (passed to videojs.xhr)"},
    // shaka: NetworkingEngine requests; createSegmentRequest sets bytes=start-end or bytes=start-.
    {"shaka-player lib/net/networking_engine.js NetworkingEngine.makeRequest (method GET)",
     "shaka-player lib/util/networking.js Networking.createSegmentRequest (Range: bytes=start-end or "
     "bytes=start-)",
     "shaka-player request.allowCrossSiteCredentials (set in a request filter)"},
    // dash.js: HTTPLoader/XHRLoader GETs; Range: bytes=<request.range> for index and init ranges.
    {"dash.js src/streaming/net/HTTPLoader.js HTTPLoader.load (XHRLoader, GET)",
     "dash.js src/streaming/net/XHRLoader.js XHRLoader.load (setRequestHeader('Range', 'bytes=' + range))",
     "dash.js MediaPlayer.setXHRWithCredentialsForType"},
}};

const player_facts& facts_of(player p) {
  return facts[static_cast<std::size_t>(p)];
}

// ---------------------------------------------------------------------------------------------
// Text helpers.

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out.push_back(trim(text.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

/// The value of attribute `name` in an HLS attribute list (quotes removed), or nullopt.
std::optional<std::string> attribute(std::string_view list, std::string_view name) {
  std::size_t i = 0;
  while (i < list.size()) {
    const auto eq = list.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view key = trim(list.substr(i, eq - i));
    std::size_t end;
    std::string value;
    if (eq + 1 < list.size() && list[eq + 1] == '"') {
      const auto close = list.find('"', eq + 2);
      end = close == std::string_view::npos ? list.size() : close + 1;
      value =
          std::string(list.substr(eq + 2, (close == std::string_view::npos ? list.size() : close) - eq - 2));
    } else {
      const auto comma = list.find(',', eq + 1);
      end = comma == std::string_view::npos ? list.size() : comma;
      value = std::string(trim(list.substr(eq + 1, end - eq - 1)));
    }
    if (key == name) return value;
    i = list.find(',', end);
    if (i == std::string_view::npos) return std::nullopt;
    ++i;
  }
  return std::nullopt;
}

/// "n[@o]" (EXT-X-BYTERANGE, EXT-X-MAP BYTERANGE): length and optional offset.
std::optional<std::pair<std::uint64_t, std::optional<std::uint64_t>>> parse_byterange(std::string_view v) {
  const auto at = v.find('@');
  try {
    const std::uint64_t length = std::stoull(std::string(v.substr(0, at)));
    if (at == std::string_view::npos) return std::pair{length, std::optional<std::uint64_t>{}};
    return std::pair{length, std::optional<std::uint64_t>{std::stoull(std::string(v.substr(at + 1)))}};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string range_value(std::uint64_t first, std::uint64_t last) {
  return fmt::format("bytes={}-{}", first, last);
}

std::string_view without_query(std::string_view url) {
  return url.substr(0, std::min(url.find('?'), url.find('#')));
}

/// The path's last segment's extension, lowercase, without the dot ("" when none).
std::string extension_of(std::string_view url) {
  const std::string_view path = without_query(url);
  const auto slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext(name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return ext;
}

// ---------------------------------------------------------------------------------------------
// Building requests.

struct builder {
  player p;
  const player_options& options;
  std::vector<player_request> out;
  std::set<std::string> seen;  ///< kind|method|url|range, so one request is listed once

  void add(request_kind kind, std::string url, std::string_view rendition,
           std::optional<std::string> range = {}, std::string method = "GET", std::string source = {},
           std::vector<header_read> reads = {}) {
    const std::string key =
        fmt::format("{}|{}|{}|{}", static_cast<int>(kind), method, url, range ? *range : std::string());
    if (!seen.insert(key).second) return;
    player_request r;
    r.kind = kind;
    r.url = std::move(url);
    r.method = std::move(method);
    r.range = std::move(range);
    r.headers = options.headers;
    r.credentials = options.credentials;
    r.rendition = std::string(rendition);
    r.source =
        source.empty() ? std::string(r.range ? facts_of(p).range : facts_of(p).request) : std::move(source);
    if (r.range && p == player::hls_js) {
      // hls.js's fetch loader (progressive mode) sizes a ranged response from Content-Range.
      r.reads.push_back({"Content-Range", false, "hls.js src/utils/fetch-loader.ts getContentLength"});
    }
    for (auto& h : reads) r.reads.push_back(std::move(h));
    out.push_back(std::move(r));
  }
};

/// One HLS media playlist: its keys, init segments, first segment and first byte-range segment.
void enumerate_media_playlist(builder& b, const fetched_text& playlist, std::string_view rendition,
                              bool is_manifest) {
  bool live = true;
  bool plain_segment = false;
  bool ranged_segment = false;
  // The EXT-X-BYTERANGE the next URI takes, in plain fields: GCC 12 at -O2 reports the nested
  // optional parse_byterange() returns as maybe-uninitialized when it is kept across lines.
  struct {
    bool set = false;
    std::uint64_t length = 0;
    std::optional<std::uint64_t> offset;
  } pending_range;
  std::map<std::string, std::uint64_t> next_offset;  // per URL: where an offset-less range starts
  for (const std::string_view line : lines_of(playlist.text)) {
    if (line == "#EXT-X-ENDLIST" || line.starts_with("#EXT-X-PLAYLIST-TYPE:VOD")) live = false;
  }
  std::vector<header_read> playlist_reads;
  if (live && b.p == player::hls_js) {
    // hls.js reads Age from a live playlist's response to judge how stale the CDN copy is.
    playlist_reads.push_back(
        {"Age", false,
         "hls.js src/utils/xhr-loader.ts XhrLoader.getCacheAge (base-playlist-controller tune-in)"});
  }
  if (is_manifest) {
    for (auto& r : playlist_reads) b.out.back().reads.push_back(std::move(r));
  } else {
    b.add(request_kind::media_playlist, playlist.url, rendition, {}, "GET", {}, playlist_reads);
  }
  for (const std::string_view line : lines_of(playlist.text)) {
    if (line.starts_with("#EXT-X-KEY:") || line.starts_with("#EXT-X-SESSION-KEY:")) {
      const std::string_view list = line.substr(line.find(':') + 1);
      const auto method = attribute(list, "METHOD");
      const auto uri = attribute(list, "URI");
      if (!uri || (method && *method == "NONE")) continue;
      const std::string url = resolve_url(playlist.url, *uri);
      // skd:// (FairPlay) and data: keys are not fetched over HTTP.
      if (!url.starts_with("http://") && !url.starts_with("https://")) continue;
      b.add(request_kind::key, url, rendition);
    } else if (line.starts_with("#EXT-X-MAP:")) {
      const std::string_view list = line.substr(11);
      const auto uri = attribute(list, "URI");
      if (!uri) continue;
      std::optional<std::string> range;
      if (const auto br = attribute(list, "BYTERANGE")) {
        if (const auto parsed = parse_byterange(*br)) {
          const std::uint64_t first = parsed->second.value_or(0);
          range = range_value(first, first + parsed->first - 1);
        }
      }
      b.add(request_kind::init_segment, resolve_url(playlist.url, *uri), rendition, range);
    } else if (line.starts_with("#EXT-X-BYTERANGE:")) {
      const auto parsed = parse_byterange(line.substr(17));
      pending_range.set = parsed.has_value();
      pending_range.length = parsed ? parsed->first : 0;
      pending_range.offset = parsed ? parsed->second : std::nullopt;
    } else if (!line.empty() && line[0] != '#') {
      const std::string url = resolve_url(playlist.url, line);
      if (pending_range.set) {
        const std::uint64_t first = pending_range.offset.value_or(next_offset[url]);
        next_offset[url] = first + pending_range.length;
        if (!ranged_segment) {
          b.add(request_kind::byte_range_segment, url, rendition,
                range_value(first, first + pending_range.length - 1));
          ranged_segment = true;
        }
        pending_range.set = false;
      } else if (!plain_segment) {
        b.add(request_kind::segment, url, rendition);
        plain_segment = true;
      }
    }
  }
}

// --- DASH ------------------------------------------------------------------------------------

/// The nearest of node, its parents (AdaptationSet, Period), and the MPD that has child `name`.
pugi::xml_node inherited(pugi::xml_node node, const char* name) {
  for (; node && std::string_view(node.name()) != "MPD"; node = node.parent()) {
    if (auto child = node.child(name)) return child;
  }
  return {};
}

/// The BaseURL chain from the MPD down to `node`, resolved against the manifest URL.
std::string base_url_of(pugi::xml_node node, const std::string& manifest_url) {
  std::vector<pugi::xml_node> chain;
  for (; node; node = node.parent()) chain.push_back(node);
  std::string base = manifest_url;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if (auto b = it->child("BaseURL")) base = resolve_url(base, trim(b.text().get()));
  }
  return base;
}

/// $RepresentationID$, $Bandwidth$, $Number$ and $Time$ (with %0Nd widths) substituted.
std::string fill_template(std::string_view pattern, pugi::xml_node rep, std::uint64_t number,
                          std::uint64_t time) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    const auto open = pattern.find('$', i);
    if (open == std::string_view::npos) break;
    const auto close = pattern.find('$', open + 1);
    if (close == std::string_view::npos) break;
    out.append(pattern.substr(i, open - i));
    const std::string_view tag = pattern.substr(open + 1, close - open - 1);
    const auto pct = tag.find('%');
    const std::string_view id = tag.substr(0, pct);
    int width = 0;
    if (pct != std::string_view::npos && tag.size() > pct + 2)
      width = std::atoi(std::string(tag.substr(pct + 2)).c_str());
    std::string value;
    if (tag.empty())
      value = "$";
    else if (id == "RepresentationID")
      value = rep.attribute("id").value();
    else if (id == "Bandwidth")
      value = rep.attribute("bandwidth").value();
    else if (id == "Number")
      value = std::to_string(number);
    else if (id == "Time")
      value = std::to_string(time);
    else
      value = fmt::format("${}$", tag);
    if (static_cast<int>(value.size()) < width)
      value.insert(0, static_cast<std::size_t>(width) - value.size(), '0');
    out += value;
    i = close + 1;
  }
  out.append(pattern.substr(std::min(i, pattern.size())));
  return out;
}

/// "a-b" (indexRange, @range, @mediaRange) as a Range value.
std::optional<std::string> dash_range(std::string_view v) {
  const auto dash = v.find('-');
  if (v.empty() || dash == std::string_view::npos) return std::nullopt;
  return fmt::format("bytes={}", trim(v));
}

void enumerate_mpd(builder& b, const fetched_text& manifest, const pugi::xml_node mpd) {
  const bool dynamic = std::string_view(mpd.attribute("type").value()) == "dynamic";
  // Clock sync (live only): the UTCTiming the players can use, or the MPD's own Date header.
  bool head_timing = false;
  for (auto timing : mpd.children("UTCTiming")) {
    const std::string_view scheme = timing.attribute("schemeIdUri").value();
    const std::string url = resolve_url(manifest.url, timing.attribute("value").value());
    if (scheme.starts_with("urn:mpeg:dash:utc:http-head:")) {
      head_timing = true;
      if (b.p == player::dash_js) {
        b.add(request_kind::clock_sync, url, "", {}, "HEAD",
              "dash.js src/streaming/controllers/TimeSyncController.js _httpHeadHandler (HEAD)",
              {{"Date", true, "dash.js src/streaming/controllers/TimeSyncController.js _httpHeadHandler"}});
      } else if (b.p == player::shaka) {
        b.add(request_kind::clock_sync, url, "", {}, "HEAD",
              "shaka-player lib/dash/dash_parser.js DashParser.requestForTiming_ (HEAD)",
              {{"Date", true,
                "shaka-player lib/dash/dash_parser.js DashParser.requestForTiming_ (date header)"}});
      } else if (b.p == player::video_js) {
        b.add(request_kind::clock_sync, url, "", {}, "HEAD",
              "@videojs/http-streaming src/dash-playlist-loader.js syncClientServerClock_ (HEAD)",
              {{"Date", true, "@videojs/http-streaming src/dash-playlist-loader.js syncClientServerClock_"}});
      }
    } else if (scheme.starts_with("urn:mpeg:dash:utc:http-xsdate:") ||
               scheme.starts_with("urn:mpeg:dash:utc:http-iso:")) {
      b.add(request_kind::clock_sync, url, "");
    }
  }
  const auto manifest_request = std::find_if(
      b.out.begin(), b.out.end(), [](const player_request& r) { return r.kind == request_kind::manifest; });
  if (manifest_request != b.out.end() && dynamic && !head_timing) {
    auto& reads = manifest_request->reads;
    if (b.p == player::dash_js) {
      // Without a usable UTCTiming, dash.js falls back to the MPD response's Date header
      // (streaming.utcSynchronization.useManifestDateHeaderTimeSource, on by default).
      reads.push_back(
          {"Date", false, "dash.js src/streaming/controllers/TimeSyncController.js _checkForDateHeader"});
    } else if (b.p == player::video_js && !mpd.child("UTCTiming")) {
      // "No UTCTiming element found in the mpd. Use Date header from mpd request as the server clock".
      reads.push_back(
          {"Date", false, "@videojs/http-streaming src/dash-playlist-loader.js syncClientServerClock_"});
    }
  }

  for (auto period : mpd.children("Period")) {
    for (auto set : period.children("AdaptationSet")) {
      for (auto rep : set.children("Representation")) {
        const std::string rendition =
            fmt::format("{}", rep.attribute("id").empty() ? "representation" : rep.attribute("id").value());
        const std::string base = base_url_of(rep, manifest.url);
        if (auto tmpl = inherited(rep, "SegmentTemplate")) {
          const std::uint64_t start = tmpl.attribute("startNumber").as_ullong(1);
          std::uint64_t time = 0;
          if (auto s = tmpl.child("SegmentTimeline").child("S")) time = s.attribute("t").as_ullong(0);
          if (auto init = tmpl.attribute("initialization")) {
            b.add(request_kind::init_segment,
                  resolve_url(base, fill_template(init.value(), rep, start, time)), rendition);
          }
          if (auto media = tmpl.attribute("media")) {
            b.add(request_kind::segment, resolve_url(base, fill_template(media.value(), rep, start, time)),
                  rendition);
          }
        } else if (auto list = inherited(rep, "SegmentList")) {
          if (auto init = list.child("Initialization")) {
            const std::string url =
                init.attribute("sourceURL") ? resolve_url(base, init.attribute("sourceURL").value()) : base;
            b.add(request_kind::init_segment, url, rendition, dash_range(init.attribute("range").value()));
          }
          if (auto seg = list.child("SegmentURL")) {
            const std::string url =
                seg.attribute("media") ? resolve_url(base, seg.attribute("media").value()) : base;
            const auto range = dash_range(seg.attribute("mediaRange").value());
            b.add(range ? request_kind::byte_range_segment : request_kind::segment, url, rendition, range);
          }
        } else if (auto sb = inherited(rep, "SegmentBase")) {
          // On-demand profile: the players fetch the init range and the sidx (indexRange) first.
          if (auto init = sb.child("Initialization")) {
            const std::string url =
                init.attribute("sourceURL") ? resolve_url(base, init.attribute("sourceURL").value()) : base;
            b.add(request_kind::init_segment, url, rendition, dash_range(init.attribute("range").value()));
          }
          if (const auto index = dash_range(sb.attribute("indexRange").value())) {
            b.add(request_kind::byte_range_segment, base, rendition, index);
          }
        } else {
          b.add(request_kind::segment, base, rendition);
        }
      }
    }
  }
}

}  // namespace

std::optional<player> parse_player(std::string_view name) noexcept {
  if (name == "hls.js" || name == "hlsjs") return player::hls_js;
  if (name == "video.js" || name == "videojs" || name == "vhs") return player::video_js;
  if (name == "shaka" || name == "shaka-player") return player::shaka;
  if (name == "dash.js" || name == "dashjs") return player::dash_js;
  return std::nullopt;
}

std::string_view to_string(player p) noexcept {
  switch (p) {
    case player::hls_js:
      return "hls.js";
    case player::video_js:
      return "video.js";
    case player::shaka:
      return "shaka";
    case player::dash_js:
      return "dash.js";
  }
  return "unknown";
}

std::string_view to_string(request_kind k) noexcept {
  switch (k) {
    case request_kind::manifest:
      return "manifest";
    case request_kind::media_playlist:
      return "media playlist";
    case request_kind::key:
      return "key";
    case request_kind::init_segment:
      return "init segment";
    case request_kind::segment:
      return "segment";
    case request_kind::byte_range_segment:
      return "byte-range segment";
    case request_kind::clock_sync:
      return "clock sync";
    case request_kind::probe:
      return "type probe";
  }
  return "unknown";
}

bool is_mpd(std::string_view text) noexcept {
  std::size_t i = 0;
  while (true) {
    i = text.find('<', i);
    if (i == std::string_view::npos) return false;
    const std::string_view rest = text.substr(i + 1);
    if (rest.starts_with("?") || rest.starts_with("!")) {
      ++i;
      continue;
    }
    // The first element, with or without a namespace prefix.
    const auto end = rest.find_first_of(" \t\r\n>/");
    std::string_view name = rest.substr(0, end);
    if (const auto colon = name.find(':'); colon != std::string_view::npos) name = name.substr(colon + 1);
    return name == "MPD";
  }
}

std::vector<std::string> variant_playlists(const fetched_text& manifest) {
  std::vector<std::string> out;
  auto push = [&](std::string url) {
    if (std::find(out.begin(), out.end(), url) == out.end()) out.push_back(std::move(url));
  };
  bool expect_uri = false;
  for (const std::string_view line : lines_of(manifest.text)) {
    if (line.starts_with("#EXT-X-STREAM-INF:")) {
      expect_uri = true;
    } else if (line.starts_with("#EXT-X-MEDIA:") || line.starts_with("#EXT-X-I-FRAME-STREAM-INF:")) {
      if (const auto uri = attribute(line.substr(line.find(':') + 1), "URI"))
        push(resolve_url(manifest.url, *uri));
    } else if (expect_uri && !line.empty() && line[0] != '#') {
      push(resolve_url(manifest.url, line));
      expect_uri = false;
    }
  }
  return out;
}

std::string resolve_url(std::string_view base, std::string_view reference) {
  reference = trim(reference);
  // RFC 3986 §4.3: a reference with a scheme (letters, digits, "+-." before the first ':', no
  // '/', '?' or '#' before it) is absolute: another host (https://cdn/...), data:, skd://.
  // "a.ts?u=http://x" is relative: its first ':' follows a '?'.
  if (const auto colon = reference.find(':');
      colon != std::string_view::npos && colon > 0 &&
      std::isalpha(static_cast<unsigned char>(reference[0])) &&
      std::all_of(reference.begin(), reference.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      })) {
    return std::string(reference);
  }
  const auto base_scheme = base.find("://");
  const std::string_view scheme =
      base_scheme == std::string_view::npos ? "http" : base.substr(0, base_scheme);
  const std::size_t authority_start = base_scheme == std::string_view::npos ? 0 : base_scheme + 3;
  const std::size_t path_start = std::min(base.find('/', authority_start), base.size());
  const std::string_view authority = base.substr(authority_start, path_start - authority_start);
  if (reference.starts_with("//")) return fmt::format("{}:{}", scheme, reference);
  std::string path;
  std::string_view suffix;  // query and fragment of the reference
  std::string_view ref_path = reference;
  if (const auto q = reference.find_first_of("?#"); q != std::string_view::npos) {
    suffix = reference.substr(q);
    ref_path = reference.substr(0, q);
  }
  if (ref_path.starts_with("/")) {
    path = std::string(ref_path);
  } else {
    const std::string_view base_path = without_query(base.substr(path_start));
    if (ref_path.empty()) {
      return fmt::format("{}://{}{}{}", scheme, authority, base_path,
                         suffix.empty() ? base.substr(path_start + base_path.size()) : suffix);
    }
    path = std::string(base_path.substr(0, base_path.rfind('/') + 1));
    if (path.empty()) path = "/";
    path += ref_path;
  }
  // Remove dot segments.
  std::vector<std::string> segments;
  std::size_t i = 1;
  while (i <= path.size()) {
    const auto slash = std::min(path.find('/', i), path.size());
    const std::string seg = path.substr(i, slash - i);
    const bool last = slash == path.size();
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      if (last) segments.emplace_back();
    } else if (seg == ".") {
      if (last) segments.emplace_back();
    } else {
      segments.push_back(seg);
    }
    i = slash + 1;
  }
  std::string normalized;
  for (const auto& s : segments) normalized += "/" + s;
  if (normalized.empty()) normalized = "/";
  return fmt::format("{}://{}{}{}", scheme, authority, normalized, suffix);
}

result<std::vector<player_request>, std::string> enumerate_requests(player p, const player_options& options,
                                                                    const fetched_text& manifest,
                                                                    const std::vector<fetched_text>& media) {
  builder b{p, options, {}, {}};
  const std::string ext = extension_of(manifest.url);
  if (p == player::shaka && ext != "m3u8" && ext != "m3u" && ext != "mpd") {
    // shaka guesses the manifest type from the extension, else asks with HEAD (then GET on an
    // HTTP error): a refused HEAD costs a request, not playback.
    b.add(request_kind::probe, manifest.url, "", {}, "HEAD",
          "shaka-player lib/net/networking_utils.js NetworkingUtils.getMimeType (HEAD)");
  }
  b.add(request_kind::manifest, manifest.url, "");
  if (is_mpd(manifest.text)) {
    if (p == player::hls_js) return std::string("hls.js plays HLS only: this manifest is an MPD (DASH)");
    pugi::xml_document doc;
    if (!doc.load_buffer(manifest.text.data(), manifest.text.size())) {
      return std::string("the MPD is not well-formed XML");
    }
    pugi::xml_node mpd = doc.first_child();
    while (mpd && mpd.type() != pugi::node_element) mpd = mpd.next_sibling();
    enumerate_mpd(b, manifest, mpd);
    return std::move(b.out);
  }
  if (!trim(manifest.text).starts_with("#EXTM3U")) {
    return std::string("neither an HLS playlist (#EXTM3U) nor an MPD");
  }
  if (p == player::dash_js) return std::string("dash.js plays DASH only: this manifest is an HLS playlist");
  const auto variants = variant_playlists(manifest);
  if (variants.empty()) {
    enumerate_media_playlist(b, manifest, manifest.url, true);
  } else {
    for (const std::string& url : variants) {
      const auto it =
          std::find_if(media.begin(), media.end(), [&](const fetched_text& m) { return m.url == url; });
      if (it == media.end()) {
        b.add(request_kind::media_playlist, url, url);
      } else {
        enumerate_media_playlist(b, *it, url, false);
      }
    }
  }
  return std::move(b.out);
}

}  // namespace s3cors::doctor
