#include "s3cors/inspector/endpoints.hpp"

#include "s3cors/hash/digest.hpp"
#include "s3cors/http/event_stream.hpp"
#include "s3cors/inspector/render.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace s3cors::inspector {
namespace {

// The inspector shows other people's requests: nothing of it may be read by another origin
// (no Access-Control-* at all), embedded elsewhere (CORP, frame-ancestors) or cached.
void add_private_headers(response& res) {
  res.headers.add("Cache-Control", "no-store");
  res.headers.add("X-Content-Type-Options", "nosniff");
  res.headers.add("Cross-Origin-Resource-Policy", "same-origin");
  res.headers.add("X-Frame-Options", "DENY");
}

answer text_answer(unsigned status, std::string_view content_type, std::string body, bool is_head) {
  answer out;
  out.res.status = status;
  out.res.headers.add("Content-Type", std::string(content_type));
  add_private_headers(out.res);
  out.res.set_text_body(std::move(body));
  if (is_head) out.res.body = std::monostate{};
  return out;
}

answer json_error(unsigned status, std::string_view code, std::string_view message, bool is_head) {
  std::string body = R"({"error":")";
  body += code;
  body += R"(","message":")";
  for (const char c : message) {
    if (c == '"' || c == '\\') body += '\\';
    body += c;
  }
  body += "\"}";
  answer out = text_answer(status, "application/json", std::move(body), is_head);
  out.log.note = fmt::format("inspector: {}", message);
  return out;
}

// The live stream of one page: its subscription's records as server-sent events.
class event_feed final : public event_stream {
 public:
  event_feed(capture& records, record_filter filter, std::size_t backlog)
      : capture_(records), filter_(std::move(filter)), backlog_(backlog) {}
  ~event_feed() override { close(); }
  event_feed(const event_feed&) = delete;
  event_feed& operator=(const event_feed&) = delete;

  void open(std::function<void()> wake) override {
    subscription_ = capture_.subscribe(filter_, backlog_, std::move(wake));
  }

  void take(std::string& out) override {
    if (!subscription_) return;
    if (!greeted_) {
      // The reconnection delay for EventSource, and a first line the client sees at once.
      out += "retry: 2000\n: s3cors inspector\n\n";
      greeted_ = true;
    }
    for (const auto& r : subscription_->take()) out += request_event(*r);
    if (const auto dropped = subscription_->dropped(); dropped != reported_dropped_) {
      reported_dropped_ = dropped;
      out += dropped_event(dropped);
    }
  }

  void close() noexcept override { capture_.unsubscribe(subscription_); }

 private:
  capture& capture_;
  const record_filter filter_;
  const std::size_t backlog_;
  std::shared_ptr<subscription> subscription_;
  bool greeted_ = false;
  std::uint64_t reported_dropped_ = 0;
};

std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return id;
}

// "ids=3,5,9" from a query: the rows a page shows, for its HAR export.
std::optional<std::vector<std::uint64_t>> parse_ids(std::string_view query) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (!item.starts_with("ids=")) continue;
    item.remove_prefix(4);
    std::vector<std::uint64_t> ids;
    while (!item.empty()) {
      // A comma may come percent-encoded.
      std::size_t cut = item.find(',');
      std::size_t skip = 1;
      if (const auto enc = item.find("%2C"); enc < cut) cut = enc, skip = 3;
      if (const auto enc = item.find("%2c"); enc < cut) cut = enc, skip = 3;
      if (const auto id = parse_id(item.substr(0, cut))) ids.push_back(*id);
      item.remove_prefix(cut == std::string_view::npos ? item.size() : cut + skip);
    }
    return ids;
  }
  return std::nullopt;
}

}  // namespace

bool is_inspector_path(std::string_view path) noexcept {
  if (!path.starts_with(path_prefix)) return false;
  const std::string_view rest = path.substr(path_prefix.size());
  return rest.empty() || rest.front() == '/';
}

bool has_basic_credentials(const request& req, const auth::credential_set& keys) {
  const std::string_view header = req.headers.find("Authorization").value_or("");
  if (header.size() < 6 || !iequals(header.substr(0, 6), "Basic ")) return false;
  std::string_view encoded = header.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  const auto decoded = hash::base64_decode(encoded);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const auto* key = keys.find(std::string_view(*decoded).substr(0, colon));
  if (key == nullptr) return false;
  // Compared in time independent of where they differ.
  const std::string_view given = std::string_view(*decoded).substr(colon + 1);
  const std::string_view secret = key->secret_access_key;
  unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ secret[i % std::max<std::size_t>(secret.size(), 1)]);
  }
  return diff == 0;
}

answer endpoints::handle(const request& req, const s3::request_context& ctx) const {
  (void)ctx;
  const bool is_head = req.verb == method::head;
  const std::string_view target = req.target;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  if (!options_.enabled) {
    return json_error(404, "InspectorDisabled",
                      "the inspector is off: it is on by default only when every listener is on loopback; "
                      "set \"inspector\": true in the configuration file or pass --inspector",
                      is_head);
  }
  if (const auto keys = options_.credentials ? options_.credentials() : nullptr; keys && !keys->empty()) {
    if (!has_basic_credentials(req, *keys)) {
      answer out =
          json_error(401, "Unauthorized",
                     "the inspector needs HTTP Basic credentials: an access key id and its secret", is_head);
      out.res.headers.add("WWW-Authenticate", R"(Basic realm="s3cors inspector", charset="UTF-8")");
      return out;
    }
  }
  if (req.verb != method::get && !is_head) {
    answer out = json_error(405, "MethodNotAllowed", "the inspector answers GET and HEAD only", is_head);
    out.res.headers.add("Allow", "GET, HEAD");
    return out;
  }
  std::string_view rest = path.substr(path_prefix.size());
  const std::string_view file_name =
      rest.empty() || rest == "/" ? std::string_view("index.html") : rest.substr(1);
  for (const auto& f : options_.files) {
    if (f.name != file_name) continue;
    const std::string_view type = file_name.ends_with(".html")  ? "text/html; charset=utf-8"
                                  : file_name.ends_with(".js")  ? "text/javascript; charset=utf-8"
                                  : file_name.ends_with(".css") ? "text/css; charset=utf-8"
                                                                : "application/octet-stream";
    answer out = text_answer(200, type, std::string(f.bytes), is_head);
    out.res.headers.add("Content-Security-Policy",
                        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                        "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    out.res.headers.add("Referrer-Policy", "no-referrer");
    return out;
  }
  if (rest == "/events") {
    answer out;
    out.res.status = 200;
    out.res.headers.add("Content-Type", "text/event-stream");
    add_private_headers(out.res);
    if (!is_head)
      out.res.stream = std::make_shared<event_feed>(capture_, parse_filter(query), options_.backlog);
    return out;
  }
  if (rest == "/har") {
    std::vector<std::shared_ptr<const record>> records;
    if (const auto ids = parse_ids(query)) {
      for (const auto id : *ids) {
        if (auto r = capture_.find(id)) records.push_back(std::move(r));
      }
    } else {
      records = capture_.snapshot(parse_filter(query), capture_.limits().records);
    }
    answer out = text_answer(200, "application/json", har_json(records, options_.version), is_head);
    out.res.headers.add("Content-Disposition", R"(attachment; filename="s3cors-inspector.har")");
    return out;
  }
  if (rest.starts_with("/requests/")) {
    const auto id = parse_id(rest.substr(10));
    const auto found = id ? capture_.find(*id) : nullptr;
    if (!found) {
      return json_error(404, "NoSuchRecord",
                        "no such record: it was never captured or has left the ring of recent requests",
                        is_head);
    }
    const edge::distribution_config* distribution =
        !found->listener.empty() && options_.distribution ? options_.distribution(found->listener) : nullptr;
    if (distribution) {
      const auto analysis = analyse_edge(*found, found->listener, *distribution,
                                         [this](std::string_view bucket) { return cors_.find(bucket); });
      return text_answer(200, "application/json", detail_json(*found, analysis), is_head);
    }
    const cors::config_ptr config = found->bucket.empty() ? nullptr : cors_.find(found->bucket);
    return text_answer(200, "application/json", detail_json(*found, analyse(*found, config.get())), is_head);
  }
  return json_error(404, "NotFound", "no such inspector resource (the page, events, requests/ID or har)",
                    is_head);
}

}  // namespace s3cors::inspector
