#include "s3cors/s3/service.hpp"

#include "s3cors/conditional/preconditions.hpp"
#include "s3cors/errc.hpp"
#include "s3cors/http/date.hpp"
#include "s3cors/mime/mime.hpp"
#include "s3cors/range/range.hpp"
#include "s3cors/store/object_store.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <fmt/format.h>

namespace s3cors::s3 {
namespace {

constexpr std::string_view s3_xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
// A fixed owner: s3cors has one principal until credentials arrive.
constexpr std::string_view owner_id = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

std::string resource_of(std::string_view bucket, std::string_view key) {
  std::string out = "/";
  out += bucket;
  if (!key.empty()) {
    out += '/';
    out += key;
  }
  return out;
}

// Maps a store failure to the S3 error a client of S3 would expect.
error_detail store_error(const std::error_code& ec, std::string_view bucket, std::string_view key) {
  error_detail detail;
  if (ec == errc::no_such_bucket) {
    detail = error_detail(error::no_such_bucket).with("BucketName", std::string(bucket));
  } else if (ec == errc::no_such_key) {
    detail = error_detail(error::no_such_key).with("Key", std::string(key));
  } else if (ec == errc::invalid_bucket_name) {
    detail = error_detail(error::invalid_bucket_name).with("BucketName", std::string(bucket));
  } else if (ec == errc::invalid_key) {
    detail = error_detail(error::invalid_argument,
                          "Object key has a path segment that cannot name a file on this server "
                          "('.', '..', an empty segment, a backslash or a NUL byte).")
                 .with("ArgumentName", "key")
                 .with("ArgumentValue", std::string(key));
  } else if (ec == errc::outside_root) {
    detail = error_detail(error::access_denied);
  } else {
    detail = error_detail(error::internal_error);
  }
  detail.resource = resource_of(bucket, key);
  return detail;
}

std::string quoted(std::string_view etag) {
  return fmt::format("\"{}\"", etag);
}

void add_validators(response& res, const store::object_info& info) {
  res.headers.add("Last-Modified", format_http_date(info.last_modified));
  res.headers.add("ETag", quoted(info.etag));
}

}  // namespace

service::service(const store::object_store& store, service_options options)
    : store_(store), options_(std::move(options)) {}

response service::handle(const request& req, const request_context& ctx) const {
  auto routed_request = route(req, options_.routing);
  if (!routed_request) {
    error_detail detail = routed_request.error();
    if (detail.resource.empty()) detail.resource = req.target.substr(0, req.target.find('?'));
    return make_error_response(detail, ctx, req.verb == method::head);
  }
  response res = dispatch(req, *routed_request, ctx);
  if (req.verb == method::head && std::holds_alternative<std::string>(res.body)) {
    // HEAD announces the length of the body GET would send, and sends none.
    res.body = std::monostate{};
  }
  return res;
}

response service::dispatch(const request& req, const routed& r, const request_context& ctx) const {
  return std::visit(
      [&](const auto& op) -> response {
        using op_type = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<op_type, list_buckets_op>) {
          return list_buckets(ctx);
        } else if constexpr (std::is_same_v<op_type, head_bucket_op>) {
          return head_bucket(op, ctx);
        } else if constexpr (std::is_same_v<op_type, get_object_op>) {
          return get_object(req, op, ctx);
        } else {
          static_assert(std::is_same_v<op_type, preflight_op>);
          return preflight(req, op, ctx);
        }
      },
      r.op);
}

response service::list_buckets(const request_context& ctx) const {
  auto buckets = store_.list_buckets();
  if (!buckets) {
    response res = make_error_response(error_detail(error::internal_error), ctx, false);
    res.diagnostic = "list_buckets: " + buckets.error().message();
    return res;
  }
  xml::xml_writer doc;
  doc.open("ListAllMyBucketsResult", s3_xmlns);
  doc.open("Owner").element("ID", owner_id).element("DisplayName", "s3cors").close();
  doc.open("Buckets");
  for (const auto& bucket : *buckets) {
    doc.open("Bucket")
        .element("Name", bucket.name)
        .element("CreationDate", format_iso8601(bucket.creation_date));
    doc.close();
  }
  doc.close().close();
  response res;
  res.headers.add("Content-Type", "application/xml");
  add_common_headers(res, ctx);
  res.set_text_body(std::move(doc).str());
  return res;
}

response service::head_bucket(const head_bucket_op& op, const request_context& ctx) const {
  auto bucket = store_.stat_bucket(op.bucket);
  if (!bucket) return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, true);
  response res;
  add_common_headers(res, ctx);
  res.headers.add("x-amz-bucket-region", "us-east-1");
  return res;
}

response service::get_object(const request& req, const get_object_op& op, const request_context& ctx) const {
  // HEAD needs no open file; GET opens first so the ETag describes the bytes it sends.
  store::opened_object object;
  if (op.is_head) {
    auto info = store_.stat(op.bucket, op.key);
    if (!info) {
      response res = make_error_response(store_error(info.error(), op.bucket, op.key), ctx, true);
      res.diagnostic = info.error().message();
      return res;
    }
    object.info = std::move(*info);
  } else {
    auto opened = store_.open(op.bucket, op.key);
    if (!opened) {
      response res = make_error_response(store_error(opened.error(), op.bucket, op.key), ctx, false);
      res.diagnostic = opened.error().message();
      return res;
    }
    object = std::move(*opened);
  }
  const store::object_info& info = object.info;

  const conditional::precondition_headers conditions{
      req.headers.find("If-Match"), req.headers.find("If-None-Match"), req.headers.find("If-Modified-Since"),
      req.headers.find("If-Unmodified-Since")};
  const auto precondition = conditional::evaluate_preconditions(conditions, {info.etag, info.last_modified});
  if (precondition.result == conditional::outcome::precondition_failed) {
    error_detail detail(error::precondition_failed);
    detail.with("Condition", std::string(precondition.failed_condition));
    detail.resource = resource_of(op.bucket, op.key);
    return make_error_response(detail, ctx, op.is_head);
  }
  if (precondition.result == conditional::outcome::not_modified) {
    response res;
    res.status = 304;
    add_common_headers(res, ctx);
    add_validators(res, info);
    return res;
  }

  const auto range = range::parse_range(req.headers.find("Range"), info.size);
  if (range.kind == range::range_kind::unsatisfiable) {
    error_detail detail(error::invalid_range);
    detail.with("RangeRequested", std::string(req.headers.find("Range").value_or("")))
        .with("ActualObjectSize", std::to_string(info.size));
    detail.resource = resource_of(op.bucket, op.key);
    response res = make_error_response(detail, ctx, op.is_head);
    res.headers.add("Content-Range", range::unsatisfied_content_range(info.size));
    return res;
  }

  response res;
  std::uint64_t offset = 0;
  std::uint64_t length = info.size;
  if (range.kind == range::range_kind::satisfiable) {
    res.status = 206;
    offset = range.range.first;
    length = range.range.last - range.range.first + 1;
    res.headers.add("Content-Range", range::content_range(range.range, info.size));
  }
  add_common_headers(res, ctx);
  add_validators(res, info);
  res.headers.add("Accept-Ranges", "bytes");
  res.headers.add("Content-Type", info.content_type.empty() ? std::string(mime::content_type_for_key(op.key))
                                                            : info.content_type);
  for (const auto& [name, value] : op.overrides.headers) res.headers.set(name, value);
  res.content_length = length;
  if (!op.is_head && length > 0) res.body = file_slice{std::move(object.body), offset, length};
  return res;
}

response service::preflight(const request& req, const preflight_op& op, const request_context& ctx) const {
  // S3-CORS.md §8: Origin is checked before anything else, then the bucket, then its rules.
  const auto origin = req.headers.find("Origin");
  if (!origin || origin->empty()) {
    response res = make_error_response(
        error_detail(error::bad_request, "Insufficient information. Origin request header needed."), ctx,
        false);
    return res;
  }
  const std::string method_element(req.headers.find("Access-Control-Request-Method").value_or("OPTIONS"));
  const bool bucket_exists = !op.bucket.empty() && store_.stat_bucket(op.bucket).has_value();
  error_detail detail(error::access_forbidden, bucket_exists
                                                   ? "CORSResponse: CORS is not enabled for this bucket."
                                                   : "CORSResponse: Bucket not found");
  detail.with("Method", method_element).with("ResourceType", "BUCKET");
  return make_error_response(detail, ctx, false);
}

}  // namespace s3cors::s3
