#include "s3cors/store/object_store.hpp"

#include "s3cors/hash/digest.hpp"

namespace s3cors::store {

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
