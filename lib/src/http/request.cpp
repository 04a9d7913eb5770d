#include "s3cors/http/request.hpp"

#include <algorithm>

namespace s3cors {

method method_from_string(std::string_view name) noexcept {
  if (name == "GET") return method::get;
  if (name == "HEAD") return method::head;
  if (name == "PUT") return method::put;
  if (name == "POST") return method::post;
  if (name == "DELETE") return method::delete_;
  if (name == "OPTIONS") return method::options;
  return method::other;
}

std::string_view to_string(method m) noexcept {
  switch (m) {
    case method::get:
      return "GET";
    case method::head:
      return "HEAD";
    case method::put:
      return "PUT";
    case method::post:
      return "POST";
    case method::delete_:
      return "DELETE";
    case method::options:
      return "OPTIONS";
    case method::other:
      break;
  }
  return "OTHER";
}

void header_list::set(std::string_view name, std::string value) {
  remove(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void header_list::remove(std::string_view name) {
  std::erase_if(fields_, [&](const auto& field) { return iequals(field.first, name); });
}

std::optional<std::string_view> header_list::find(std::string_view name) const noexcept {
  for (const auto& [field_name, value] : fields_) {
    if (iequals(field_name, name)) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace s3cors
