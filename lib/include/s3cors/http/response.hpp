#pragma once
// The transport-independent response the core produces.
#include "s3cors/http/request.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace s3cors {

class event_stream;  // s3cors/http/event_stream.hpp

namespace store {
class readable_object;
}

/// A byte range of an object that the transport streams from the store.
struct file_slice {
  std::shared_ptr<const store::readable_object> object;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct response {
  unsigned status = 200;
  header_list headers;
  /// none (HEAD, 304, 204), text (XML, errors), or a slice of an object.
  std::variant<std::monostate, std::string, file_slice> body;
  /// Explicit so that HEAD can announce the length of a body it does not send.
  std::uint64_t content_length = 0;
  /// The transport must close the connection after this response.
  bool close = false;
  /// Set: the body is this stream of events, sent without Content-Length until the client
  /// leaves or the server stops (the connection then closes); body and content_length unused.
  std::shared_ptr<event_stream> stream;

  void set_text_body(std::string text) {
    content_length = text.size();
    body = std::move(text);
  }
};

/// What the access log says of an answered request; never sent to the client.
struct access_note {
  /// Why the core answered as it did (refusals, failures); empty for ordinary answers.
  std::string note;
  /// For the structured (JSON) access log, filled only when the service is asked to
  /// (service_options::access_log_details), so the default path pays nothing: the bucket and
  /// key the request addressed, and the CORS decision ("allowed rule 0", "not cross-origin", ...).
  std::string bucket;
  std::string key;
  std::string cors;
  /// A distribution's answer (edge mode, docs/edge.md §9), filled like bucket and key (which then
  /// name the origin bucket and key the request maps to): the distribution's id, what its
  /// response headers policy did to the CORS headers, and for an answer from the cache the
  /// request its entry was stored for ("a request with Origin https://a.example", "... with no Origin").
  struct edge_details {
    std::string distribution;
    std::string response_headers_policy;
    std::string cache_entry;
  } edge;

  /// Appends a reason to note ("; " between reasons).
  void add(std::string_view reason) {
    if (!note.empty()) note += "; ";
    note += reason;
  }
};

/// A response and the access log's record of it, kept apart: the transport sends one and logs
/// the other.
struct answer {
  response res;
  access_note log;

  answer() = default;
  // Implicit: a handler with nothing to log returns its response as it is.
  answer(response r) : res(std::move(r)) {}  // NOLINT(google-explicit-constructor)
  answer(response r, std::string note) : res(std::move(r)) { log.note = std::move(note); }
};

}  // namespace s3cors
