#pragma once
// The object_writer of fs_store: a temp file under ROOT/.s3cors/tmp (never inside a bucket,
// so never listed or served) that commit_object/commit_part rename into place.
#include "s3cors/store/object_store.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace s3cors::store::detail {

class fs_writer final : public object_writer {
 public:
  /// Creates the temp file in temp_dir; header_size bytes are reserved at its start (a
  /// part's ETag line, written at commit). Throws std::system_error when it cannot.
  fs_writer(const std::filesystem::path& temp_dir, std::string bucket, std::size_t header_size);
  ~fs_writer() override;
  fs_writer(const fs_writer&) = delete;
  fs_writer& operator=(const fs_writer&) = delete;

  [[nodiscard]] result<void> write(std::string_view piece) override;
  [[nodiscard]] result<void> copy_from(const readable_object& source, std::uint64_t offset,
                                       std::uint64_t length) override;
  [[nodiscard]] std::uint64_t size() const noexcept override { return size_; }

  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] const std::filesystem::path& temp_path() const noexcept { return temp_; }
  [[nodiscard]] const std::string& bucket() const noexcept { return bucket_; }
  /// The temp file was renamed away (or is to be kept): the destructor leaves it alone.
  void release() noexcept { owned_ = false; }
  /// Closes the descriptor early (before a rename on file systems that want that).
  void close() noexcept;

  // Where a part writer's part goes (create_part_writer fills these).
  std::string upload_id;
  int part_number = 0;

 private:
  std::filesystem::path temp_;
  std::string bucket_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool owned_ = true;
};

}  // namespace s3cors::store::detail
