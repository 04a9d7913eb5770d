#pragma once
// The bytes of one cached body, shared by the edge cache and every response served from it.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace s3cors::edge {

/// An immutable body. From sealed_threshold bytes on it lives in a sealed memfd mapped read-only:
/// the same pages are read as bytes (ranges, conditional answers, explain) and handed to the
/// transport as a descriptor, which sends them with sendfile() as it sends files, without a
/// copy through user space on every hit (docs/edge.md §9). Smaller bodies, and any body when
/// the kernel refuses a memfd (no memfd_create, no descriptors left), stay on the heap: the
/// transport copies those into its send buffer anyway.
class body_bytes {
 public:
  static constexpr std::size_t sealed_threshold = 64 * 1024;

  [[nodiscard]] static std::shared_ptr<const body_bytes> make(std::string bytes);

  body_bytes(const body_bytes&) = delete;
  body_bytes& operator=(const body_bytes&) = delete;
  ~body_bytes();

  [[nodiscard]] std::string_view view() const noexcept { return view_; }
  [[nodiscard]] std::size_t size() const noexcept { return view_.size(); }
  /// A descriptor to send the bytes from (offsets as in view()), or -1 when they are on the heap.
  [[nodiscard]] int descriptor() const noexcept { return fd_; }

 private:
  body_bytes() = default;

  std::string heap_;
  int fd_ = -1;
  void* mapping_ = nullptr;
  std::string_view view_;
};

}  // namespace s3cors::edge
