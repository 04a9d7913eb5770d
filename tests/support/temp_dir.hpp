#pragma once
// A fresh directory under the system temp directory, removed with everything in it on
// destruction. Header-only so that any test target can use it.
#include <stdlib.h>  // mkdtemp (POSIX, not in <cstdlib>)

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace s3cors::test {

class temp_dir {
 public:
  temp_dir() {
    const std::string pattern = (std::filesystem::temp_directory_path() / "s3cors-test-XXXXXX").string();
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = buffer.data();
  }
  ~temp_dir() {
    // remove_all does not follow symlinks, so links to elsewhere are removed, not their targets.
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// Writes content to relative (creating parent directories) and returns the full path.
  std::filesystem::path write(const std::filesystem::path& relative, std::string_view content) const {
    const std::filesystem::path full = path_ / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) throw std::system_error(std::make_error_code(std::errc::io_error), "write " + full.string());
    return full;
  }

  /// Creates relative and its parents; returns the full path.
  std::filesystem::path make_dir(const std::filesystem::path& relative) const {
    const std::filesystem::path full = path_ / relative;
    std::filesystem::create_directories(full);
    return full;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace s3cors::test
