// PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy and GetBucketPolicyStatus. The policy
// language itself is s3cors::policy (docs/bucket-policies.md); who may call these (the bucket
// owner) is decided in service::authorize like every other action.
#include "s3cors/s3/bucket_policy.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/store/object_store.hpp"
#include "s3cors/xml/xml_writer.hpp"

namespace s3cors::s3 {

answer service::bucket_policy(const request& req, const bucket_policy_op& op,
                              const request_context& ctx) const {
  const bool is_head = req.verb == method::head;
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, is_head);
  }
  response res;
  add_common_headers(res, ctx);
  switch (op.what) {
    case bucket_policy_op::kind::put: {
      auto stored = make_stored_policy(req.body, op.bucket);
      if (!stored) return {make_error_response(stored.error(), ctx, false), "PutBucketPolicy refused"};
      // Block Public Access's BlockPublicPolicy refuses a public policy (S3: 403 AccessDenied).
      if ((*stored)->is_public &&
          access_for("s3:PutBucketPolicy", op.bucket, {}, std::nullopt).public_access.block_public_policy) {
        return {make_error_response(error_detail(error::access_denied), ctx, false),
                "PutBucketPolicy refused: the policy is public and BlockPublicPolicy is set"};
      }
      if (auto written = store_.put_bucket_document(op.bucket, bucket_policy_document, (*stored)->text);
          !written) {
        return store_failure(written.error(), "PutBucketPolicy", op.bucket, {}, ctx);
      }
      policies_.set(op.bucket, std::move(*stored));
      res.status = 204;
      return res;
    }
    case bucket_policy_op::kind::remove:
      // S3 answers 204 whether or not the bucket had a policy.
      if (auto removed = store_.delete_bucket_document(op.bucket, bucket_policy_document); !removed) {
        return store_failure(removed.error(), "DeleteBucketPolicy", op.bucket, {}, ctx);
      }
      policies_.set(op.bucket, nullptr);
      res.status = 204;
      return res;
    case bucket_policy_op::kind::get:
    case bucket_policy_op::kind::status:
      break;
  }
  const auto stored = policy_in_force(op.bucket);
  if (!stored) {
    return make_error_response(error_detail(error::no_such_bucket_policy).with("BucketName", op.bucket), ctx,
                               is_head);
  }
  if (op.what == bucket_policy_op::kind::get) {
    res.headers.add("Content-Type", "application/json");
    res.set_text_body(stored->text);
    return res;
  }
  xml::xml_writer doc;
  doc.open("PolicyStatus", s3_xmlns).element("IsPublic", stored->is_public ? "true" : "false").close();
  res.headers.add("Content-Type", "application/xml");
  res.set_text_body(std::move(doc).str());
  return res;
}

}  // namespace s3cors::s3
