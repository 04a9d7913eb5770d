#include "s3cors/store/object_store.hpp"

#include "s3cors/errc.hpp"
#include "s3cors/hash/digest.hpp"

namespace s3cors::store {

std::error_code check_write_condition(const write_condition& condition, const object_info* current) noexcept {
  if (!condition.active()) return {};
  if (condition.if_none_match && current != nullptr) return make_error_code(errc::precondition_failed);
  if (condition.if_match) {
    if (current == nullptr) {
      // Deleted while the request ran (S3: a conflicting operation), else simply absent.
      return make_error_code(condition.seen && condition.seen_etag ? errc::write_conflict
                                                                   : errc::no_such_key);
    }
    if (*condition.if_match != "*" && *condition.if_match != current->etag)
      return make_error_code(errc::precondition_failed);
  }
  if (condition.seen) {
    const bool same = current == nullptr ? !condition.seen_etag
                                         : condition.seen_etag && *condition.seen_etag == current->etag;
    if (!same) return make_error_code(errc::write_conflict);
  }
  return {};
}

result<object_info> object_store::put_object(std::string_view bucket, std::string_view key,
                                             std::string_view content, const object_attributes& attributes) {
  auto writer = create_object_writer(bucket);
  if (!writer) return writer.error();
  if (auto written = (*writer)->write(content); !written) return written.error();
  return commit_object(**writer, bucket, key, hash::to_hex(hash::md5(content)), attributes);
}

result<part_info> object_store::put_part(std::string_view bucket, std::string_view upload_id, int part_number,
                                         std::string_view content) {
  auto writer = create_part_writer(bucket, upload_id, part_number);
  if (!writer) return writer.error();
  if (auto written = (*writer)->write(content); !written) return written.error();
  return commit_part(**writer, hash::to_hex(hash::md5(content)));
}

}  // namespace s3cors::store
