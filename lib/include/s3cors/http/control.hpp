#pragma once
// What the operator's control endpoints under /_s3cors/ share (the distributions' in
// edge/gateway.hpp, the media faults' in faults/fault_service.hpp): who may call them, JSON
// answers, and a body collected in memory.
#include "s3cors/http/body_sink.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace s3cors::control {

/// Control endpoints are the operator's, not the viewers': they answer loopback clients only
/// (Choice: AWS's are signed API calls; s3cors has no separate control credentials). An empty
/// address (a caller in process) counts as loopback.
[[nodiscard]] bool is_loopback(std::string_view ip) noexcept;

/// A JSON document with its status.
[[nodiscard]] answer json_answer(unsigned status, const nlohmann::json& doc);
/// {"error": code, "message": message}, the message also noted for the access log.
[[nodiscard]] answer json_error(unsigned status, std::string_view code, std::string message);

/// Collects a control request's body in memory (small documents only), then answers with
/// `done(body)`; a body above 1 MiB is refused with 413.
class document_collector final : public body_sink {
 public:
  static constexpr std::size_t limit = std::size_t{1} << 20;
  using finisher = std::function<answer(std::string_view)>;
  explicit document_collector(finisher done) : done_(std::move(done)) {}
  std::optional<answer> write(std::string_view piece) override;
  answer finish() override { return done_(body_); }

 private:
  finisher done_;
  std::string body_;
};

}  // namespace s3cors::control
