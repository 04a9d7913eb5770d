// Versioning as a bucket that never had it enabled shows it: ListObjectVersions lists each
// current object as its one version ("null"), GetBucketVersioning answers no status.
#include "s3cors/s3/list_objects.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/store/object_store.hpp"

#include <fmt/format.h>

namespace s3cors::s3 {

answer service::list_object_versions(const query_list& query, const list_object_versions_op& op,
                                     const request_context& ctx) const {
  auto params = parse_list_versions_params(query);
  if (!params) return make_error_response(params.error(), ctx, false);
  const fetch_page fetch =
      [&](const store::list_page_request& page) -> result<std::vector<store::listed_object>, error_detail> {
    auto listed = store_.list_objects(op.bucket, page);
    if (!listed) return store_error(listed.error(), op.bucket, {});
    return std::move(*listed);
  };
  auto xml = list_object_versions_xml(op.bucket, *params, fetch);
  if (!xml) return make_error_response(xml.error(), ctx, false);
  return xml_response(std::move(*xml), ctx);
}

answer service::get_bucket_versioning(const get_bucket_versioning_op& op, const request_context& ctx) const {
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, false);
  }
  // A bucket whose versioning was never enabled has no Status element at all.
  return xml_response(
      fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration xmlns=\"{}\"/>",
                  s3_xmlns),
      ctx);
}

}  // namespace s3cors::s3
