#pragma once
// How many connections the server can hold open with the descriptors the process may open.
#include <cstddef>
#include <cstdint>

namespace s3cors::net {

/// Descriptors kept free of connections whatever the thread count: stdin/out/err, the
/// listening socket, the configuration and CORS files read on reload, the resolver, and the
/// sockets over the cap that are accepted only to be answered SlowDown.
inline constexpr std::uint64_t reserved_descriptors = 32;

/// Descriptors each server thread's io_context holds (epoll, eventfd, timerfd).
inline constexpr std::uint64_t descriptors_per_thread = 3;

/// Descriptors one connection may hold at once: its socket and the object file it sends
/// (GET) or the temp file it receives into (PUT, UploadPart).
inline constexpr std::uint64_t descriptors_per_connection = 2;

/// The connection cap that RLIMIT_NOFILE allows:
///   min(configured, (descriptor_limit - reserved - threads * per_thread) / per_connection),
/// and at least 1, so that a tiny limit still serves (and answers SlowDown beyond one).
/// descriptor_limit is the soft RLIMIT_NOFILE (UINT64_MAX for none). Never exceeds configured.
[[nodiscard]] std::size_t effective_connection_limit(std::uint64_t descriptor_limit, std::size_t configured,
                                                     unsigned threads) noexcept;

}  // namespace s3cors::net
