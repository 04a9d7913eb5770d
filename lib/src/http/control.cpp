#include "s3cors/http/control.hpp"

#include <nlohmann/json.hpp>

namespace s3cors::control {

bool is_loopback(std::string_view ip) noexcept {
  return ip.empty() || ip.starts_with("127.") || ip == "::1";
}

answer json_answer(unsigned status, const nlohmann::json& doc) {
  response res;
  res.status = status;
  res.headers.add("Content-Type", "application/json");
  res.set_text_body(doc.dump() + "\n");
  return res;
}

answer json_error(unsigned status, std::string_view code, std::string message) {
  answer out = json_answer(status, nlohmann::json{{"error", code}, {"message", message}});
  out.log.note = std::move(message);
  return out;
}

std::optional<answer> document_collector::write(std::string_view piece) {
  if (body_.size() + piece.size() > limit)
    return json_error(413, "TooLarge", "the document is larger than 1 MiB");
  body_.append(piece);
  return std::nullopt;
}

}  // namespace s3cors::control
