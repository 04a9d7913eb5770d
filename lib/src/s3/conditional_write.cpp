#include "s3cors/s3/conditional_write.hpp"

#include "s3cors/errc.hpp"
#include "s3cors/s3/store_error.hpp"

namespace s3cors::s3 {
namespace {

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The header a failed condition names: If-None-Match wins when both were sent.
std::string condition_name(const store::write_condition& condition) {
  return condition.if_none_match ? "If-None-Match" : "If-Match";
}

}  // namespace

result<store::write_condition, error_detail> parse_write_condition(const header_list& headers) {
  store::write_condition out;
  if (const auto none_match = headers.find("If-None-Match")) {
    const std::string_view value = trimmed(*none_match);
    // S3 takes only "*" on a write (no object may have the key); an ETag list is a read's.
    if (value != "*" && value != "\"*\"") {
      return error_detail(error::not_implemented).with("Header", "If-None-Match");
    }
    out.if_none_match = true;
  }
  if (const auto match = headers.find("If-Match")) {
    std::string_view value = trimmed(*match);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    out.if_match = std::string(value);
  }
  return out;
}

std::optional<error_detail> observe_write_condition(const store::object_store& store, std::string_view bucket,
                                                    std::string_view key, store::write_condition& condition) {
  if (!condition.active()) return std::nullopt;
  auto current = store.stat(bucket, key);
  if (!current && current.error() != errc::no_such_key) return store_error(current.error(), bucket, key);
  condition.seen = false;
  if (const auto failed = store::check_write_condition(condition, current ? &*current : nullptr))
    return write_condition_error(failed, condition, bucket, key);
  condition.seen = true;
  condition.seen_etag = current ? std::optional<std::string>(current->etag) : std::nullopt;
  return std::nullopt;
}

error_detail write_condition_error(const std::error_code& ec, const store::write_condition& condition,
                                   std::string_view bucket, std::string_view key,
                                   std::string_view upload_id) {
  error_detail detail = store_error(ec, bucket, key, upload_id);
  if (ec == errc::precondition_failed || ec == errc::write_conflict) {
    detail.fields.clear();
    detail.with("Condition", condition_name(condition));
  }
  return detail;
}

}  // namespace s3cors::s3
