// The ObjectOwnership and PublicAccessBlock operations: Put/Get/DeleteBucketOwnershipControls
// and Put/Get/DeletePublicAccessBlock. Their documents are bucket documents, and their values
// live in the service's bucket_controls_registry.
#include "content_md5.hpp"
#include "s3cors/s3/bucket_controls.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/store/object_store.hpp"

namespace s3cors::s3 {

answer service::bucket_control(const request& req, const bucket_control_op& op,
                               const request_context& ctx) const {
  using kind = bucket_control_op::kind;
  const bool is_head = req.verb == method::head;
  const bool ownership = op.what == bucket_control_op::setting::ownership_controls;
  const std::string_view document =
      ownership ? bucket_ownership_document : bucket_public_access_block_document;
  const std::string_view name = ownership ? "BucketOwnershipControls" : "PublicAccessBlock";
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, is_head);
  }
  response res;
  add_common_headers(res, ctx);
  switch (op.verb) {
    case kind::get: {
      const bool found = ownership ? controls_.ownership(op.bucket).has_value()
                                   : controls_.find_public_access_block(op.bucket).has_value();
      if (!found) {
        error_detail detail(ownership ? error::ownership_controls_not_found_error
                                      : error::no_such_public_access_block_configuration);
        detail.with("BucketName", op.bucket);
        detail.resource = "/" + op.bucket;
        return make_error_response(detail, ctx, is_head);
      }
      res.headers.add("Content-Type", "application/xml");
      res.set_text_body(ownership
                            ? render_ownership_controls(*controls_.ownership(op.bucket))
                            : render_public_access_block(*controls_.find_public_access_block(op.bucket)));
      return res;
    }
    case kind::put: {
      if (auto bad = detail::check_content_md5(req.headers, req.body))
        return make_error_response(*bad, ctx, false);
      std::string rendered;
      if (ownership) {
        auto parsed = parse_ownership_controls(req.body);
        if (!parsed) return make_error_response(parsed.error(), ctx, false);
        // S3 refuses to disable ACLs while the bucket's ACL grants anyone but its owner.
        if (*parsed == object_ownership::bucket_owner_enforced) {
          const party owner = bucket_owner(op.bucket);
          if (acl_refusal(*parsed, {}, bucket_acl(op.bucket), owner, owner, true))
            return make_error_response(error_detail(error::invalid_bucket_acl_with_object_ownership), ctx,
                                       false);
        }
        rendered = render_ownership_controls(*parsed);
        if (auto stored = store_.put_bucket_document(op.bucket, document, rendered); !stored)
          return store_failure(stored.error(), "Put" + std::string(name), op.bucket, {}, ctx);
        controls_.set_ownership(op.bucket, *parsed);
      } else {
        auto parsed = parse_public_access_block(req.body);
        if (!parsed) return make_error_response(parsed.error(), ctx, false);
        rendered = render_public_access_block(*parsed);
        if (auto stored = store_.put_bucket_document(op.bucket, document, rendered); !stored)
          return store_failure(stored.error(), "Put" + std::string(name), op.bucket, {}, ctx);
        controls_.set_public_access_block(op.bucket, *parsed);
      }
      return res;
    }
    case kind::remove: {
      if (auto removed = store_.delete_bucket_document(op.bucket, document); !removed)
        return store_failure(removed.error(), "Delete" + std::string(name), op.bucket, {}, ctx);
      if (ownership) {
        controls_.set_ownership(op.bucket, std::nullopt);
      } else {
        controls_.set_public_access_block(op.bucket, std::nullopt);
      }
      res.status = 204;
      return res;
    }
  }
  return make_error_response(error_detail(error::internal_error), ctx, is_head);
}

}  // namespace s3cors::s3
