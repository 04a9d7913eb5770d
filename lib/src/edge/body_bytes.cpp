#include "s3cors/edge/body_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace s3cors::edge {
namespace {

// The whole of bytes written to fd, or false.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::shared_ptr<const body_bytes> body_bytes::make(std::string bytes) {
  std::shared_ptr<body_bytes> out(new body_bytes());
  if (bytes.size() >= sealed_threshold) {
    const int fd = ::memfd_create("s3cors-edge-body", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd >= 0) {
      // Sealed against every change: the descriptor is handed to sendfile() while other hits
      // read the mapping, so nothing may ever write, grow or shrink it.
      void* mapping = MAP_FAILED;
      if (write_all(fd, bytes) &&
          ::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0) {
        mapping = ::mmap(nullptr, bytes.size(), PROT_READ, MAP_SHARED, fd, 0);
      }
      if (mapping != MAP_FAILED) {
        out->fd_ = fd;
        out->mapping_ = mapping;
        out->view_ = std::string_view(static_cast<const char*>(mapping), bytes.size());
        return out;
      }
      ::close(fd);
    }
  }
  out->heap_ = std::move(bytes);
  out->view_ = out->heap_;
  return out;
}

body_bytes::~body_bytes() {
  if (mapping_ != nullptr) ::munmap(mapping_, view_.size());
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace s3cors::edge
