#include "server_state.hpp"

#include <chrono>

namespace s3cors::net {
namespace {

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void fill_context(server_state& state, s3::request_context& ctx) {
  ctx.now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  // Unique per request and unpredictable enough for logs; S3's ids are 16 hex digits and
  // a base64 blob. Written into the strings' existing storage: a connection's context is
  // refilled for each of its requests.
  const std::uint64_t n = state.next_request.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t x = splitmix64(state.request_id_seed ^ n);
  static constexpr char hex[] = "0123456789ABCDEF";
  ctx.request_id.resize(16);
  for (std::size_t i = 16; i-- > 0;) {
    ctx.request_id[i] = hex[x & 0xf];
    x >>= 4;
  }
  static constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  ctx.host_id.resize(76);
  std::uint64_t h = splitmix64(state.request_id_seed + n * 0x9e3779b97f4a7c15ull);
  for (std::size_t i = 0; i < 76; ++i) {
    if (i % 10 == 0) h = splitmix64(h);
    ctx.host_id[i] = b64[h & 63];
    h >>= 6;
  }
}

s3::request_context make_context(server_state& state) {
  s3::request_context ctx;
  fill_context(state, ctx);
  return ctx;
}

request to_core_request(const http::request_header<>& req) {
  request out;
  fill_core_request(req, out);
  return out;
}

void fill_core_request(const http::request_header<>& req, request& out) {
  out.method_name.assign(req.method_string());
  out.verb = method_from_string(out.method_name);
  out.target.assign(req.target());
  out.version = static_cast<int>(req.version());
  out.headers = header_list{};
  out.headers.reserve(16);
  for (const auto& field : req) out.headers.add(std::string(field.name_string()), std::string(field.value()));
  out.has_body = false;
  out.content_length.reset();
  if (out.body.capacity() > 0) std::string().swap(out.body);
}

}  // namespace s3cors::net
