// The service's authentication and authorisation: SigV4 verification when credentials are
// configured, canned ACLs for anonymous requests, and the ACL operations.
#include "s3cors/auth/post_policy.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/errc.hpp"
#include "s3cors/http/multipart_form.hpp"
#include "s3cors/s3/access.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/store/object_store.hpp"

#include <type_traits>

namespace s3cors::s3 {
namespace {

response access_denied(const request& req, const request_context& ctx) {
  response res = make_error_response(error_detail(error::access_denied), ctx, req.verb == method::head);
  res.diagnostic = "anonymous request refused by the ACLs";
  return res;
}

}  // namespace

std::string service::bucket_acl(std::string_view bucket) const {
  return acls_.find(bucket).value_or("private");
}

result<store::object_attributes, error_detail> service::upload_attributes(const header_list& headers) {
  store::object_attributes attributes = store::attributes_from_request(headers);
  if (const auto acl = headers.find("x-amz-acl")) {
    if (!is_canned_acl(*acl)) {
      return error_detail(error::invalid_argument)
          .with("ArgumentName", "x-amz-acl")
          .with("ArgumentValue", std::string(*acl));
    }
    // private is what no ACL means: keep records for objects that need them only.
    if (*acl != "private") attributes.acl = std::string(*acl);
  }
  return attributes;
}

std::optional<response> service::authorize(const request& req, const routed& r, const request_context& ctx,
                                           std::optional<auth::verified_identity>& identity) const {
  if (options_.credentials.empty()) return std::nullopt;  // local development: everything goes
  // Preflights are never authenticated; the health check answers anyone; a POST upload
  // carries its signature in the form (post_object checks it).
  if (std::holds_alternative<preflight_op>(r.op) || std::holds_alternative<health_op>(r.op) ||
      std::holds_alternative<post_object_op>(r.op)) {
    return std::nullopt;
  }
  auto verified = auth::verify_request(req, options_.credentials, ctx.now);
  if (!verified) {
    error_detail detail = verified.error();
    response res = make_error_response(detail, ctx, req.verb == method::head);
    res.diagnostic = "authentication failed";
    return res;
  }
  if (*verified) {
    // The payload hash is checked as the body arrives (upload_stream, document_sink, start).
    identity = std::move(*verified);
    return std::nullopt;
  }

  // Anonymous: only what the bucket's (or the object's) canned ACL grants everyone.
  return std::visit(
      [&](const auto& op) -> std::optional<response> {
        using op_type = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<op_type, head_bucket_op> || std::is_same_v<op_type, list_objects_op>) {
          if (anonymous_may(anonymous_access::read, bucket_acl(op.bucket), {})) return std::nullopt;
        } else if constexpr (std::is_same_v<op_type, get_object_op>) {
          if (anonymous_may(anonymous_access::read, bucket_acl(op.bucket), {})) return std::nullopt;
          // The object's own ACL, read without hashing or opening its content.
          const auto attributes = store_.attributes_of(op.bucket, op.key);
          if (attributes && *attributes &&
              anonymous_may(anonymous_access::read, "private", (*attributes)->acl)) {
            return std::nullopt;
          }
        } else if constexpr (std::is_same_v<op_type, put_object_op> ||
                             std::is_same_v<op_type, delete_object_op> ||
                             std::is_same_v<op_type, delete_objects_op> ||
                             std::is_same_v<op_type, multipart_op>) {
          if (anonymous_may(anonymous_access::write, bucket_acl(op.bucket), {})) return std::nullopt;
        } else if constexpr (std::is_same_v<op_type, copy_object_op>) {
          // Writing the copy, and reading its source.
          if (anonymous_may(anonymous_access::write, bucket_acl(op.bucket), {})) {
            if (anonymous_may(anonymous_access::read, bucket_acl(op.source_bucket), {})) return std::nullopt;
            const auto source = store_.attributes_of(op.source_bucket, op.source_key);
            if (source && *source && anonymous_may(anonymous_access::read, "private", (*source)->acl)) {
              return std::nullopt;
            }
          }
        }
        return access_denied(req, ctx);
      },
      r.op);
}

response service::acl(const request& req, const acl_op& op, const request_context& ctx) const {
  const bool is_head = req.verb == method::head;
  // The resource must exist either way; an object's ACL lives in its record.
  std::shared_ptr<const store::object_attributes> attributes;
  if (op.key.empty()) {
    if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
      return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, is_head);
    }
  } else {
    auto info = store_.stat(op.bucket, op.key);
    if (!info) return make_error_response(store_error(info.error(), op.bucket, op.key), ctx, is_head);
    attributes = std::move(info->attributes);
  }
  if (!op.put) {
    std::string canned = op.key.empty() ? bucket_acl(op.bucket)
                         : attributes   ? attributes->acl
                                        : std::string();
    response res;
    res.headers.add("Content-Type", "application/xml");
    add_common_headers(res, ctx);
    res.set_text_body(render_access_control_policy(canned.empty() ? "private" : canned));
    return res;
  }
  // PutBucketAcl/PutObjectAcl: a canned ACL in x-amz-acl, or an AccessControlPolicy body.
  std::string canned;
  if (const auto header = req.headers.find("x-amz-acl")) {
    if (!is_canned_acl(*header)) {
      return make_error_response(error_detail(error::invalid_argument)
                                     .with("ArgumentName", "x-amz-acl")
                                     .with("ArgumentValue", std::string(*header)),
                                 ctx, false);
    }
    canned = std::string(*header);
  } else if (!req.body.empty()) {
    auto parsed = canned_acl_from_policy(req.body);
    if (!parsed) return make_error_response(parsed.error(), ctx, false);
    canned = std::move(*parsed);
  } else {
    return make_error_response(
        error_detail(error::missing_security_header).with("MissingHeaderName", "x-amz-acl"), ctx, false);
  }
  if (op.key.empty()) {
    if (auto stored = store_.put_bucket_document(op.bucket, bucket_acl_document, canned); !stored) {
      return store_failure(stored.error(), "PutBucketAcl", op.bucket, {}, ctx);
    }
    acls_.set_api_acl(op.bucket, canned);
  } else {
    store::object_attributes updated = attributes ? *attributes : store::object_attributes{};
    updated.acl = canned == "private" ? std::string() : canned;
    if (auto stored = store_.set_attributes(op.bucket, op.key, updated); !stored) {
      return store_failure(stored.error(), "PutObjectAcl", op.bucket, op.key, ctx);
    }
  }
  response res;
  add_common_headers(res, ctx);
  return res;
}

response service::post_object(const request& req, const post_object_op& op,
                              const request_context& ctx) const {
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, false);
  }
  auto form = http::parse_multipart_form(req.headers.find("Content-Type").value_or(""), req.body);
  if (!form) return make_error_response(form.error(), ctx, false);
  auto upload = auth::evaluate_post_form(*form, op.bucket, options_.credentials, ctx.now);
  if (!upload) {
    response res = make_error_response(upload.error(), ctx, false);
    res.diagnostic = "POST upload refused";
    return res;
  }
  if (!options_.credentials.empty() && upload->auth == auth::post_auth::anonymous &&
      !anonymous_may(anonymous_access::write, bucket_acl(op.bucket), {})) {
    return access_denied(req, ctx);
  }
  store::object_attributes attributes;
  attributes.headers = upload->headers;
  // S3 stores binary/octet-stream when the form names no Content-Type, whatever the file part says.
  if (!attributes.header("Content-Type"))
    attributes.headers.emplace_back("Content-Type", "binary/octet-stream");
  if (!upload->acl.empty()) {
    if (!is_canned_acl(upload->acl)) {
      return make_error_response(error_detail(error::invalid_argument)
                                     .with("ArgumentName", "acl")
                                     .with("ArgumentValue", upload->acl),
                                 ctx, false);
    }
    if (upload->acl != "private") attributes.acl = upload->acl;
  }
  auto stored = store_.put_object(op.bucket, upload->key, upload->data, attributes);
  if (!stored) return store_failure(stored.error(), "PostObject", op.bucket, upload->key, ctx);

  // Location names the object as this request reached the bucket (path or virtual-hosted style).
  const std::string host(req.headers.find("Host").value_or("localhost"));
  const bool virtual_hosted = host.starts_with(op.bucket + ".");
  const std::string bucket_url = "http://" + host + (virtual_hosted ? "" : "/" + op.bucket);
  response res;
  add_common_headers(res, ctx);
  if (!upload->redirect.empty()) {
    res.status = 303;
    res.headers.add("Location",
                    auth::post_redirect_location(upload->redirect, op.bucket, upload->key, stored->etag));
    return res;
  }
  res.headers.add("ETag", "\"" + stored->etag + "\"");
  res.headers.add("Location", auth::post_object_location(bucket_url, upload->key));
  res.status = upload->success_action_status;
  if (res.status == 201) {
    res.headers.add("Content-Type", "application/xml");
    res.set_text_body(auth::render_post_response(bucket_url, op.bucket, upload->key, stored->etag));
  }
  return res;
}

}  // namespace s3cors::s3
