// The tagging operations: PutObjectTagging, GetObjectTagging, DeleteObjectTagging and their
// bucket counterparts. Object tags live in the object's record; bucket tags in a bucket
// document.
#include "content_md5.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/s3/tagging.hpp"
#include "s3cors/store/object_store.hpp"

namespace s3cors::s3 {
namespace {

response empty_response(unsigned status, const request_context& ctx) {
  response res;
  res.status = status;
  add_common_headers(res, ctx);
  return res;
}

}  // namespace

answer service::tagging(const request& req, const tagging_op& op, const request_context& ctx) const {
  using kind = tagging_op::kind;
  const bool is_head = req.verb == method::head;
  if (op.what == kind::put) {
    if (auto bad = detail::check_content_md5(req.headers, req.body))
      return make_error_response(*bad, ctx, false);
  }
  if (op.key.empty()) {
    if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
      return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, is_head);
    }
    switch (op.what) {
      case kind::get: {
        auto stored = store_.get_bucket_document(op.bucket, bucket_tagging_document);
        if (!stored) return store_failure(stored.error(), "GetBucketTagging", op.bucket, {}, ctx);
        if (!*stored) {
          error_detail detail(error::no_such_tag_set);
          detail.with("BucketName", op.bucket);
          detail.resource = "/" + op.bucket;
          return make_error_response(detail, ctx, is_head);
        }
        return xml_response(std::move(**stored), ctx);
      }
      case kind::put: {
        auto tags = parse_tagging(req.body, tag_owner::bucket);
        if (!tags) return make_error_response(tags.error(), ctx, false);
        // An empty set leaves the bucket without tags, as DeleteBucketTagging does.
        auto stored = tags->empty() ? store_.delete_bucket_document(op.bucket, bucket_tagging_document)
                                    : store_.put_bucket_document(op.bucket, bucket_tagging_document,
                                                                 render_tagging(*tags));
        if (!stored) return store_failure(stored.error(), "PutBucketTagging", op.bucket, {}, ctx);
        return empty_response(204, ctx);
      }
      case kind::remove: {
        if (auto removed = store_.delete_bucket_document(op.bucket, bucket_tagging_document); !removed) {
          return store_failure(removed.error(), "DeleteBucketTagging", op.bucket, {}, ctx);
        }
        return empty_response(204, ctx);
      }
    }
    return make_error_response(error_detail(error::internal_error), ctx, is_head);
  }

  tag_set tags;
  if (op.what == kind::put) {
    auto parsed = parse_tagging(req.body, tag_owner::object);
    if (!parsed) return make_error_response(parsed.error(), ctx, false);
    tags = std::move(*parsed);
  }
  // The tags live in the object's record, beside its metadata and ACL.
  auto attributes = store_.attributes_of(op.bucket, op.key);
  if (!attributes)
    return make_error_response(store_error(attributes.error(), op.bucket, op.key), ctx, is_head);
  if (op.what == kind::get) {
    return xml_response(render_tagging(*attributes ? (*attributes)->tags : tag_set{}), ctx);
  }
  store::object_attributes updated = *attributes ? **attributes : store::object_attributes{};
  updated.tags = std::move(tags);
  if (auto stored = store_.set_attributes(op.bucket, op.key, updated); !stored) {
    return store_failure(stored.error(), op.what == kind::put ? "PutObjectTagging" : "DeleteObjectTagging",
                         op.bucket, op.key, ctx);
  }
  return empty_response(op.what == kind::put ? 200 : 204, ctx);
}

}  // namespace s3cors::s3
