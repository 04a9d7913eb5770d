#include "s3cors/errc.hpp"

#include <string>

namespace s3cors {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "s3cors"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::no_such_bucket:
        return "no such bucket";
      case errc::no_such_key:
        return "no such key";
      case errc::invalid_key:
        return "key cannot be mapped to a file";
      case errc::outside_root:
        return "path resolves outside the data root";
      case errc::invalid_bucket_name:
        return "invalid bucket name";
      case errc::io_error:
        return "i/o error";
      case errc::invalid_config:
        return "invalid configuration";
      case errc::bucket_exists:
        return "bucket already exists";
      case errc::bucket_not_empty:
        return "bucket not empty";
      case errc::access_denied:
        return "the file system refused access (permissions, or a read-only file system)";
      case errc::no_such_upload:
        return "no such multipart upload";
      case errc::precondition_failed:
        return "the write's precondition did not hold";
      case errc::write_conflict:
        return "a conflicting write or delete of the key happened during a conditional write";
    }
    return "unknown s3cors error";
  }
};

}  // namespace

const std::error_category& s3cors_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace s3cors
