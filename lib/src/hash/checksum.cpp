#include "s3cors/hash/checksum.hpp"

#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"

namespace s3cors::hash {
namespace {

std::string base64_of(algorithm which, std::string_view data) {
  hasher h(which);
  h.update(data);
  return base64_encode(h.finish());
}

}  // namespace

std::string crc32_base64(std::string_view data) {
  return base64_of(algorithm::crc32, data);
}
std::string crc32c_base64(std::string_view data) {
  return base64_of(algorithm::crc32c, data);
}
std::string sha1_base64(std::string_view data) {
  return base64_of(algorithm::sha1, data);
}
std::string sha256_base64(std::string_view data) {
  return base64_of(algorithm::sha256, data);
}

std::optional<std::string> checksum_for_header(std::string_view header_name, std::string_view data) {
  const auto which = checksum_algorithm(header_name);
  if (!which) return std::nullopt;
  return base64_of(*which, data);
}

}  // namespace s3cors::hash
