#include "s3cors/s3/service.hpp"

#include "content_md5.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/conditional/preconditions.hpp"
#include "s3cors/cors/evaluate.hpp"
#include "s3cors/cors/explain.hpp"
#include "s3cors/cors/parse.hpp"
#include "s3cors/cors/preflight.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/cors/render.hpp"
#include "s3cors/errc.hpp"
#include "s3cors/hash/checksum.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"
#include "s3cors/http/date.hpp"
#include "s3cors/mime/mime.hpp"
#include "s3cors/range/range.hpp"
#include "s3cors/s3/aws_chunked.hpp"
#include "s3cors/s3/conditional_write.hpp"
#include "s3cors/s3/delete_objects.hpp"
#include "s3cors/s3/get_object_attributes.hpp"
#include "s3cors/s3/list_objects.hpp"
#include "s3cors/s3/multipart.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/s3/tagging.hpp"
#include "s3cors/s3/upload_stream.hpp"
#include "s3cors/store/names.hpp"
#include "s3cors/store/object_store.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <span>
#include <vector>

namespace s3cors::s3 {
namespace {

// Where PutBucketCors keeps its document, beside the bucket's objects but never one of them.
constexpr std::string_view cors_document = "cors.xml";

using detail::check_content_md5;

std::string quoted(std::string_view etag) {
  return fmt::format("\"{}\"", etag);
}

void add_validators(response& res, const store::object_info& info) {
  res.headers.add("Last-Modified", format_http_date(info.last_modified));
  res.headers.add("ETag", quoted(info.etag));
}

// Content-Type (stored, else from the key's extension) and the metadata set at upload; the
// checksums only when asked for with x-amz-checksum-mode and for the whole object, as S3.
void add_stored_attributes(const request& req, const store::object_info& info, std::string_view key,
                           bool whole_object, response& res) {
  const store::object_attributes* attributes = info.attributes.get();
  const auto stored_type = attributes ? attributes->header("Content-Type") : std::nullopt;
  res.headers.add("Content-Type", std::string(stored_type.value_or(mime::content_type_for_key(key))));
  if (!attributes) return;
  for (const auto& [name, value] : attributes->headers) {
    if (iequals(name, "Content-Type")) continue;
    // Non-ASCII user metadata goes out RFC 2047-encoded, as S3 sends it.
    res.headers.add(name,
                    name.starts_with("x-amz-meta-") ? store::metadata_value_for_response(value) : value);
  }
  if (!attributes->tags.empty())
    res.headers.add("x-amz-tagging-count", std::to_string(attributes->tags.size()));
  if (whole_object && iequals(req.headers.find("x-amz-checksum-mode").value_or(""), "ENABLED")) {
    for (const auto& [name, value] : attributes->checksums) res.headers.add(name, value);
    if (!attributes->checksums.empty()) {
      res.headers.add("x-amz-checksum-type",
                      attributes->checksum_type.empty() ? "FULL_OBJECT" : attributes->checksum_type);
    }
  }
}

// The largest source one CopyObject or UploadPartCopy may copy (S3: 5 GiB).
constexpr std::uint64_t max_copy_size = std::uint64_t{5} << 30;

// GET/HEAD /_s3cors/health: the server is up and answering. Never cached.
response health_response(const request_context& ctx) {
  response res;
  res.headers.add("Content-Type", "application/json");
  res.headers.add("Cache-Control", "no-store");
  add_common_headers(res, ctx);
  res.set_text_body(R"({"status":"ok"})");
  return res;
}

// The access log's CORS field for requests apply_cors and preflight did not judge.
void finish_log_details(const request& req, access_note& log) {
  if (!log.cors.empty()) return;
  log.cors = req.headers.contains("Origin") && !req.headers.find("Origin")->empty()
                 ? "no CORS headers (not a bucket request)"
                 : "not cross-origin";
}

}  // namespace

service::service(store::object_store& store, cors::cors_registry& cors, service_options options)
    : store_(store),
      cors_(cors),
      options_(std::move(options)),
      credentials_(std::make_shared<const auth::credential_set>(options_.credentials)) {
  // ACLs set through the API in an earlier run; later changes go through this service.
  if (auto buckets = store_.list_buckets()) {
    for (const auto& bucket : *buckets) {
      if (auto acl = store_.get_bucket_document(bucket.name, bucket_acl_document); acl && *acl)
        acls_.set_api_acl(bucket.name, std::move(**acl));
      if (auto owner = store_.get_bucket_document(bucket.name, bucket_owner_document); owner && *owner)
        acls_.set_owner(bucket.name, parse_owner(**owner));
      // A stored policy was valid when PutBucketPolicy took it; one that no longer parses
      // (edited by hand) is left out rather than guessed at.
      if (auto text = store_.get_bucket_document(bucket.name, bucket_policy_document); text && *text) {
        if (auto stored = make_stored_policy(std::move(**text), bucket.name))
          policies_.set(bucket.name, *stored);
      }
      if (auto doc = store_.get_bucket_document(bucket.name, bucket_ownership_document); doc && *doc) {
        if (auto o = parse_ownership_controls(**doc)) controls_.set_ownership(bucket.name, *o);
      }
      if (auto doc = store_.get_bucket_document(bucket.name, bucket_public_access_block_document);
          doc && *doc) {
        if (auto block = parse_public_access_block(**doc))
          controls_.set_public_access_block(bucket.name, *block);
      }
    }
  }
}

// A request whose answer waits for its body: what finalize() and the handlers need then.
struct service::held_request {
  request req;  ///< the header; the body, for documents, once it arrived
  routed r;
  std::optional<auth::verified_identity> identity;
  request_context ctx;
};

// PutObject and UploadPart: the body streams through upload_stream into a store writer.
class service::upload_sink final : public body_sink {
 public:
  upload_sink(const service& owner, held_request held, std::unique_ptr<store::object_writer> writer,
              store::object_attributes attributes, store::write_condition condition = {})
      : owner_(owner),
        held_(std::move(held)),
        writer_(std::move(writer)),
        attributes_(std::move(attributes)),
        condition_(std::move(condition)) {}

  /// Header-level checks of the body (Content-MD5, x-amz-decoded-content-length); the refusal, if any.
  std::optional<error_detail> open() {
    auto started =
        upload_stream::start(held_.req.headers, held_.identity ? &*held_.identity : nullptr, *writer_);
    if (!started) return started.error();
    stream_.emplace(std::move(*started));
    return std::nullopt;
  }

  void compute_by_default(hash::algorithm which) { stream_->compute_by_default(which); }
  /// A part's upload was created with this x-amz-checksum-algorithm (empty: none).
  void set_part_algorithm(std::string algorithm) { part_algorithm_ = std::move(algorithm); }

  std::optional<answer> write(std::string_view piece) override {
    auto refused = stream_->write(piece);
    if (!refused && writer_->size() > owner_.options_.max_object_size) refused = too_large(owner_.options_);
    if (!refused) return std::nullopt;
    return refuse(*refused, true);
  }

  /// The answer to a refused upload; close: the rest of its body will not be read.
  answer refuse(const error_detail& why, bool close) {
    answer out = make_error_response(why, held_.ctx, false);
    out.res.close = close;
    owner_.finalize(held_.req, held_.r, out);
    return out;
  }

  answer finish() override {
    answer out = commit();
    owner_.finalize(held_.req, held_.r, out);
    return out;
  }

  static error_detail too_large(const service_options& options) {
    return error_detail(error::entity_too_large)
        .with("ProposedSize", "more")
        .with("MaxSizeAllowed", std::to_string(options.max_object_size));
  }

 private:
  answer commit() {
    auto verified = stream_->finish();
    if (!verified) return make_error_response(verified.error(), held_.ctx, false);
    store::object_store& store = owner_.store_;
    if (const auto* part = std::get_if<multipart_op>(&held_.r.op)) {
      // A part of an upload created with a checksum algorithm carries that algorithm's checksum.
      if (const auto which = hash::algorithm_named(part_algorithm_)) {
        const std::string_view expected = hash::checksum_header(*which);
        for (const auto& [name, value] : verified->checksums) {
          if (name != expected) {
            return make_error_response(
                error_detail(
                    error::invalid_request,
                    fmt::format("Checksum Type mismatch occurred, expected checksum Type: {}, actual "
                                "checksum Type: {}",
                                expected.substr(15), std::string_view(name).substr(15))),
                held_.ctx, false);
          }
        }
      }
      answer out = commit_part(store, *writer_, verified->md5_hex, part->bucket, part->key, part->upload_id,
                               held_.ctx, verified->checksums);
      if (out.res.status == 200 && (!verified->by_default || !part_algorithm_.empty())) {
        for (const auto& [name, value] : verified->checksums) out.res.headers.add(name, value);
      }
      return out;
    }
    const auto& op = std::get<put_object_op>(held_.r.op);
    attributes_.checksums = verified->checksums;
    auto stored =
        store.commit_object(*writer_, op.bucket, op.key, verified->md5_hex, attributes_, condition_);
    if (!stored) {
      return {make_error_response(write_condition_error(stored.error(), condition_, op.bucket, op.key),
                                  held_.ctx, false),
              "PutObject: " + stored.error().message()};
    }
    response res;
    add_common_headers(res, held_.ctx);
    res.headers.add("ETag", quoted(stored->etag));
    for (const auto& [name, value] : verified->checksums) res.headers.add(name, value);
    if (!verified->checksums.empty()) res.headers.add("x-amz-checksum-type", "FULL_OBJECT");
    return res;
  }

  const service& owner_;
  held_request held_;
  std::unique_ptr<store::object_writer> writer_;
  store::object_attributes attributes_;
  store::write_condition condition_;
  std::string part_algorithm_;
  std::optional<upload_stream> stream_;
};

// Requests whose body is a document (XML, a form): held in memory up to a bound, then
// handled whole.
class service::document_sink final : public body_sink {
 public:
  document_sink(const service& owner, held_request held, std::size_t limit, error over_limit)
      : owner_(owner), held_(std::move(held)), limit_(limit), over_limit_(over_limit) {}

  std::optional<answer> write(std::string_view piece) override {
    if (piece.size() <= limit_ - held_.req.body.size()) {
      held_.req.body.append(piece);
      return std::nullopt;
    }
    answer out = make_error_response(error_detail(over_limit_), held_.ctx, false);
    out.res.close = true;
    owner_.finalize(held_.req, held_.r, out);
    return out;
  }

  answer finish() override {
    answer out;
    const auth::verified_identity* identity = held_.identity ? &*held_.identity : nullptr;
    if (auto mismatch = identity ? auth::check_payload_sha256(*identity, held_.req.body) : std::nullopt) {
      out = make_error_response(*mismatch, held_.ctx, held_.req.verb == method::head);
    } else {
      out = owner_.dispatch(held_.req, held_.r, held_.ctx);
    }
    owner_.finalize(held_.req, held_.r, out);
    return out;
  }

 private:
  const service& owner_;
  held_request held_;
  std::size_t limit_;
  error over_limit_;
};

void service::set_credentials(auth::credential_set keys) {
  credentials_.store(std::make_shared<const auth::credential_set>(std::move(keys)));
}

std::shared_ptr<const auth::credential_set> service::credentials() const {
  return credentials_.load();
}

answer service::handle(const request& req, const request_context& ctx) const {
  request header = req;
  header.has_body = header.has_body || !req.body.empty();
  if (!header.content_length) header.content_length = req.body.size();
  header.body.clear();
  started_request started = start(header, ctx);
  if (!started.body) return std::move(started.reply);
  if (!req.body.empty()) {
    if (auto refused = started.body->write(req.body)) return std::move(*refused);
  }
  return started.body->finish();
}

started_request service::start(const request& req, const request_context& ctx) const {
  auto routed_request = route(req, options_.routing);
  if (!routed_request) {
    error_detail detail = routed_request.error();
    if (detail.resource.empty()) detail.resource = req.target.substr(0, req.target.find('?'));
    answer out = make_error_response(detail, ctx, req.verb == method::head);
    if (req.verb != method::options) apply_cors(req, target_bucket(req, options_.routing), out);
    if (options_.access_log_details || req.log_details) {
      out.log.bucket = target_bucket(req, options_.routing);
      finish_log_details(req, out.log);
    }
    return {std::move(out), nullptr};
  }
  std::optional<auth::verified_identity> identity;
  if (auto refusal = authorize(req, *routed_request, ctx, identity)) {
    finalize(req, *routed_request, *refusal);
    return {std::move(*refusal), nullptr};
  }
  if (auto refusal = check_expected_owner(req, *routed_request, ctx)) {
    finalize(req, *routed_request, *refusal);
    return {std::move(*refusal), nullptr};
  }
  // From here on the context names who signed (owners of what CreateBucket and uploads make).
  std::optional<request_context> signed_ctx;
  if (auto requester = requester_of(identity)) {
    signed_ctx = ctx;
    signed_ctx->requester = std::move(requester);
  }
  return start_authorized(req, std::move(*routed_request), std::move(identity),
                          signed_ctx ? *signed_ctx : ctx);
}

started_request service::start_authorized(const request& req, routed&& authorized,
                                          std::optional<auth::verified_identity>&& identity,
                                          const request_context& ctx) const {
  std::optional<routed> routed_request{std::move(authorized)};
  const bool streams = std::holds_alternative<put_object_op>(routed_request->op) ||
                       (std::holds_alternative<multipart_op>(routed_request->op) &&
                        std::get<multipart_op>(routed_request->op).what == multipart_op::kind::upload_part);
  if (streams) return start_upload(req, std::move(*routed_request), std::move(identity), ctx);
  if (const auto* post = std::get_if<post_object_op>(&routed_request->op))
    return start_post_object(req, *post, ctx);
  if (req.has_body) {
    request header = req;
    header.body.clear();
    auto sink = std::make_unique<document_sink>(
        *this, held_request{std::move(header), std::move(*routed_request), std::move(identity), ctx},
        options_.max_document_size, error::max_message_length_exceeded);
    return {answer{}, std::move(sink)};
  }
  answer out;
  if (auto mismatch = identity ? auth::check_payload_sha256(*identity, {}) : std::nullopt) {
    out = make_error_response(*mismatch, ctx, req.verb == method::head);
  } else {
    out = dispatch(req, *routed_request, ctx);
  }
  finalize(req, *routed_request, out);
  return {std::move(out), nullptr};
}

started_request service::start_upload(const request& req, routed&& r,
                                      std::optional<auth::verified_identity>&& identity,
                                      const request_context& ctx) const {
  const auto refuse = [&](answer out) {
    // The body is not read: the connection closes after the answer.
    out.res.close = req.has_body;
    finalize(req, r, out);
    return started_request{std::move(out), nullptr};
  };
  // The announced size decides before any byte arrives (aws-chunked announces the decoded one).
  std::optional<std::uint64_t> announced = req.content_length;
  if (const auto decoded = req.headers.find("x-amz-decoded-content-length")) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(decoded->data(), decoded->data() + decoded->size(), value);
    if (ec == std::errc{} && end == decoded->data() + decoded->size()) announced = value;
  }
  if (announced && *announced > options_.max_object_size) {
    return refuse(make_error_response(error_detail(error::entity_too_large)
                                          .with("ProposedSize", std::to_string(*announced))
                                          .with("MaxSizeAllowed", std::to_string(options_.max_object_size)),
                                      ctx, false));
  }
  std::unique_ptr<store::object_writer> writer;
  store::object_attributes attributes;
  store::write_condition condition;
  std::string part_algorithm;
  if (const auto* part = std::get_if<multipart_op>(&r.op)) {
    auto started = begin_part(store_, part->bucket, part->key, part->upload_id, part->part_number, ctx);
    if (!started.writer) return refuse(std::move(started.refusal));
    writer = std::move(started.writer);
    part_algorithm = std::move(started.checksum_algorithm);
  } else {
    const auto& op = std::get<put_object_op>(r.op);
    auto requested = bucket_upload_attributes(op.bucket, req.headers, ctx);
    if (!requested) return refuse(make_error_response(requested.error(), ctx, false));
    attributes = std::move(*requested);
    auto tags = tags_from_headers(req.headers);
    if (!tags) return refuse(make_error_response(tags.error(), ctx, false));
    attributes.tags = std::move(*tags);
    if (!store::is_valid_key(op.key)) {
      return refuse(store_failure(make_error_code(errc::invalid_key), "PutObject", op.bucket, op.key, ctx));
    }
    auto parsed_condition = parse_write_condition(req.headers);
    if (!parsed_condition) return refuse(make_error_response(parsed_condition.error(), ctx, false));
    condition = std::move(*parsed_condition);
    // A condition that fails already is refused before the body is read.
    if (auto failed = observe_write_condition(store_, op.bucket, op.key, condition)) {
      failed->resource = resource_of(op.bucket, op.key);
      return refuse(make_error_response(*failed, ctx, false));
    }
    auto created = store_.create_object_writer(op.bucket);
    if (!created) return refuse(store_failure(created.error(), "PutObject", op.bucket, op.key, ctx));
    writer = std::move(*created);
  }
  request header = req;
  header.body.clear();
  auto sink = std::make_unique<upload_sink>(
      *this, held_request{std::move(header), std::move(r), std::move(identity), ctx}, std::move(writer),
      std::move(attributes), std::move(condition));
  if (auto refused = sink->open()) return {sink->refuse(*refused, req.has_body), nullptr};
  // S3 gives every new object a CRC64NVME checksum when the client sends none.
  // A part gets its upload's algorithm (or CRC64NVME, for the whole object's) when it sends none.
  const auto default_algorithm = part_algorithm.empty() ? std::optional(hash::algorithm::crc64nvme)
                                                        : hash::algorithm_named(part_algorithm);
  if (default_algorithm) sink->compute_by_default(*default_algorithm);
  sink->set_part_algorithm(std::move(part_algorithm));
  if (!req.has_body) {
    // An empty upload: nothing to wait for.
    return {sink->finish(), nullptr};
  }
  return {answer{}, std::move(sink)};
}

void service::finalize(const request& req, const routed& r, answer& out) const {
  if (req.verb == method::head && std::holds_alternative<std::string>(out.res.body)) {
    // HEAD announces the length of the body GET would send, and sends none.
    out.res.body = std::monostate{};
  }
  if (!std::holds_alternative<preflight_op>(r.op)) {
    // Every actual response is decorated after the handler ran, so 403/404/416/304 carry
    // the headers too (docs/cors.md §10).
    std::visit(
        [&](const auto& op) {
          if constexpr (requires { op.bucket; }) apply_cors(req, op.bucket, out);
        },
        r.op);
  }
  if (options_.access_log_details || req.log_details) {
    std::visit(
        [&](const auto& op) {
          if constexpr (requires { op.bucket; }) out.log.bucket = op.bucket;
          if constexpr (requires { op.key; }) out.log.key = op.key;
        },
        r.op);
    finish_log_details(req, out.log);
  }
}

answer service::dispatch(const request& req, const routed& r, const request_context& ctx) const {
  return std::visit(
      [&](const auto& op) -> answer {
        using op_type = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<op_type, list_buckets_op>) {
          return list_buckets(r.query, ctx);
        } else if constexpr (std::is_same_v<op_type, head_bucket_op>) {
          return head_bucket(op, ctx);
        } else if constexpr (std::is_same_v<op_type, get_object_op>) {
          return get_object(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, get_bucket_cors_op>) {
          return get_bucket_cors(op, ctx);
        } else if constexpr (std::is_same_v<op_type, put_bucket_cors_op>) {
          return put_bucket_cors(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, delete_bucket_cors_op>) {
          return delete_bucket_cors(op, ctx);
        } else if constexpr (std::is_same_v<op_type, create_bucket_op>) {
          return create_bucket(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, delete_bucket_op>) {
          return delete_bucket(op, ctx);
        } else if constexpr (std::is_same_v<op_type, get_bucket_location_op>) {
          return get_bucket_location(op, ctx);
        } else if constexpr (std::is_same_v<op_type, put_object_op>) {
          // Uploads stream through upload_sink (start_upload) and never come here.
          (void)op;
          return make_error_response(error_detail(error::internal_error), ctx, false);
        } else if constexpr (std::is_same_v<op_type, delete_object_op>) {
          return delete_object(op, ctx);
        } else if constexpr (std::is_same_v<op_type, copy_object_op>) {
          return copy_object(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, delete_objects_op>) {
          return delete_objects(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, multipart_op>) {
          return multipart(req, r, op, ctx);
        } else if constexpr (std::is_same_v<op_type, acl_op>) {
          return acl(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, post_object_op>) {
          // POST forms stream through post_sink (start_post_object) and never come here.
          (void)op;
          return make_error_response(error_detail(error::internal_error), ctx, false);
        } else if constexpr (std::is_same_v<op_type, list_objects_op>) {
          return list_objects(r.query, op, ctx);
        } else if constexpr (std::is_same_v<op_type, health_op>) {
          return health_response(ctx);
        } else if constexpr (std::is_same_v<op_type, bucket_policy_op>) {
          return bucket_policy(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, tagging_op>) {
          return tagging(req, op, ctx);
        } else if constexpr (std::is_same_v<op_type, list_object_versions_op>) {
          return list_object_versions(r.query, op, ctx);
        } else if constexpr (std::is_same_v<op_type, get_bucket_versioning_op>) {
          return get_bucket_versioning(op, ctx);
        } else if constexpr (std::is_same_v<op_type, get_object_attributes_op>) {
          return get_object_attributes(store_, req, op.bucket, op.key, ctx);
        } else if constexpr (std::is_same_v<op_type, bucket_control_op>) {
          return bucket_control(req, op, ctx);
        } else {
          static_assert(std::is_same_v<op_type, preflight_op>);
          return preflight(req, op, ctx);
        }
      },
      r.op);
}

answer service::list_buckets(const query_list& query, const request_context& ctx) const {
  // ListBuckets' pagination (max-buckets, continuation-token) and filters (prefix,
  // bucket-region). Every bucket lives in us-east-1, the one region s3cors answers for.
  std::optional<std::size_t> max_buckets;
  std::string prefix;
  bool has_prefix = false;
  std::string start_after;
  std::optional<std::string> region;
  for (const auto& [name, value] : query) {
    if (name == "max-buckets") {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || n < 1 || n > 10000) {
        return make_error_response(
            error_detail(error::invalid_argument,
                         "Argument max-buckets must be an integer between 1 and 10000.")
                .with("ArgumentName", "max-buckets")
                .with("ArgumentValue", value),
            ctx, false);
      }
      max_buckets = n;
    } else if (name == "continuation-token") {
      const auto resume = decode_continuation_token(value);
      if (!resume) {
        return make_error_response(
            error_detail(error::invalid_argument, "The continuation token provided is incorrect")
                .with("ArgumentName", "continuation-token")
                .with("ArgumentValue", value),
            ctx, false);
      }
      start_after = *resume;
    } else if (name == "prefix") {
      prefix = value;
      has_prefix = true;
    } else if (name == "bucket-region") {
      region = value;
    }
  }
  auto buckets = store_.list_buckets();
  if (!buckets) {
    return {make_error_response(error_detail(error::internal_error), ctx, false),
            "list_buckets: " + buckets.error().message()};
  }
  const bool paginated = max_buckets || !start_after.empty() || region;
  // The requester's account's buckets, as S3 lists them.
  const party requester = requester_or_owner(ctx);
  xml::xml_writer doc;
  doc.open("ListAllMyBucketsResult", s3_xmlns);
  doc.open("Owner")
      .element("ID", requester.canonical_id)
      .element("DisplayName", requester.display_name)
      .close();
  doc.open("Buckets");
  std::size_t listed = 0;
  std::string_view last_listed;
  std::string next_token;
  for (const auto& bucket : *buckets) {
    if (!credentials()->empty() && !bucket_owner(bucket.name).same_owner(requester)) continue;
    if (bucket.name <= start_after || !bucket.name.starts_with(prefix)) continue;
    if (region && *region != "us-east-1") break;
    if (max_buckets && listed == *max_buckets) {
      // Another bucket follows the page: the token resumes after the page's last one.
      next_token = make_continuation_token(last_listed);
      break;
    }
    last_listed = bucket.name;
    doc.open("Bucket")
        .element("Name", bucket.name)
        .element("CreationDate", format_iso8601(bucket.creation_date));
    if (paginated) doc.element("BucketRegion", "us-east-1");
    doc.close();
    ++listed;
  }
  doc.close();
  if (!next_token.empty()) doc.element("ContinuationToken", next_token);
  if (has_prefix) doc.element("Prefix", prefix);
  doc.close();
  return xml_response(std::move(doc).str(), ctx);
}

answer service::head_bucket(const head_bucket_op& op, const request_context& ctx) const {
  auto bucket = store_.stat_bucket(op.bucket);
  if (!bucket) return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, true);
  response res;
  add_common_headers(res, ctx);
  res.headers.add("x-amz-bucket-region", "us-east-1");
  return res;
}

answer service::get_object(const request& req, const get_object_op& op, const request_context& ctx) const {
  // Opened for HEAD too: the ETag describes the bytes a GET would send, and a file the server
  // may not read is 403 for both (the open costs what the fast path's stat costs).
  auto opened = store_.open(op.bucket, op.key);
  if (!opened) {
    return {make_error_response(store_error(opened.error(), op.bucket, op.key), ctx, op.is_head),
            opened.error().message()};
  }
  store::opened_object object = std::move(*opened);
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

  if (op.part_number) return get_object_part(req, op, std::move(object), ctx);

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
  add_stored_attributes(req, info, op.key, range.kind != range::range_kind::satisfiable, res);
  for (const auto& [name, value] : op.overrides.headers) res.headers.set(name, value);
  res.content_length = length;
  if (!op.is_head && length > 0) res.body = file_slice{std::move(object.body), offset, length};
  return res;
}

answer service::get_object_part(const request& req, const get_object_op& op, store::opened_object object,
                                const request_context& ctx) const {
  const store::object_info& info = object.info;
  const std::string& text = *op.part_number;
  int number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end != text.data() + text.size() || number < 1 || number > 10000) {
    return make_error_response(
        error_detail(error::invalid_argument, "Part number must be an integer between 1 and 10000, inclusive")
            .with("ArgumentName", "partNumber")
            .with("ArgumentValue", text),
        ctx, op.is_head);
  }
  if (req.headers.contains("Range")) {
    return make_error_response(
        error_detail(error::invalid_request,
                     "Cannot specify both Range header and partNumber query parameter"),
        ctx, op.is_head);
  }
  // A multipart object's parts are recorded at completion; any other object is one part.
  const auto* parts = info.attributes && !info.attributes->parts.empty() ? &info.attributes->parts : nullptr;
  if (!parts && info.etag.find('-') != std::string::npos) {
    return make_error_response(error_detail(error::not_implemented)
                                   .with("Detail", "the part sizes of this object were not recorded"),
                               ctx, op.is_head);
  }
  const std::size_t count = parts ? parts->size() : 1;
  if (static_cast<std::size_t>(number) > count) {
    error_detail detail(error::invalid_part_number);
    detail.with("PartNumberRequested", text).with("ActualPartCount", std::to_string(count));
    detail.resource = resource_of(op.bucket, op.key);
    return make_error_response(detail, ctx, op.is_head);
  }
  std::uint64_t offset = 0;
  std::uint64_t length = info.size;
  if (parts) {
    for (int i = 0; i + 1 < number; ++i) offset += (*parts)[static_cast<std::size_t>(i)].size;
    length = (*parts)[static_cast<std::size_t>(number - 1)].size;
  }
  if (offset + length > info.size)
    return make_error_response(error_detail(error::internal_error), ctx, op.is_head);
  // S3 answers a part read with 206 and its Content-Range, whether or not the object is multipart.
  response res;
  res.status = 206;
  add_common_headers(res, ctx);
  add_validators(res, info);
  res.headers.add("Accept-Ranges", "bytes");
  if (length > 0)
    res.headers.add("Content-Range", range::content_range({offset, offset + length - 1}, info.size));
  else
    res.headers.add("Content-Range", fmt::format("bytes */{}", info.size));
  if (parts) res.headers.add("x-amz-mp-parts-count", std::to_string(count));
  add_stored_attributes(req, info, op.key, false, res);
  if (parts && iequals(req.headers.find("x-amz-checksum-mode").value_or(""), "ENABLED") &&
      !info.attributes->checksums.empty() && info.attributes->checksum_type == "COMPOSITE") {
    // A composite checksum's part reads carry that part's checksum.
    const std::string& checksum = (*parts)[static_cast<std::size_t>(number - 1)].checksum;
    if (!checksum.empty()) {
      res.headers.add(info.attributes->checksums.front().first, checksum);
      res.headers.add("x-amz-checksum-type", "COMPOSITE");
    }
  }
  for (const auto& [name, value] : op.overrides.headers) res.headers.set(name, value);
  res.content_length = length;
  if (!op.is_head && length > 0) res.body = file_slice{std::move(object.body), offset, length};
  return res;
}

answer service::preflight(const request& req, const preflight_op& op, const request_context& ctx) const {
  // docs/cors.md §8, answered from the configuration alone: never authenticated, never
  // touching the object. The disk is consulted only to tell "no such bucket" from "no
  // configuration" when there is no configuration.
  const std::string_view origin = req.headers.find("Origin").value_or("");
  const cors::config_ptr config = op.bucket.empty() ? nullptr : cors_.find(op.bucket);
  const bool bucket_exists =
      config != nullptr || (!origin.empty() && !op.bucket.empty() && store::is_valid_bucket_name(op.bucket) &&
                            store_.stat_bucket(op.bucket).has_value());
  // The per-rule trace is formatted only when an explanation is needed: for the debug header,
  // or for a refusal (logged), which is then evaluated again with it.
  const auto judge = [&](bool explain) {
    return cors::evaluate_preflight(config.get(), bucket_exists, !op.key.empty(), origin,
                                    req.headers.find("Access-Control-Request-Method"),
                                    req.headers.find("Access-Control-Request-Headers"), explain);
  };
  auto outcome = judge(options_.cors_debug_header);
  const bool refused = outcome.refusal != cors::preflight_refusal::none;
  if (refused && !options_.cors_debug_header) outcome = judge(true);
  // Explanations cost allocations: only refusals (logged) and the debug header need one.
  std::string explanation;
  if (refused || options_.cors_debug_header) {
    explanation = !refused || !outcome.cors.trace.empty() ? cors::one_line_explanation(outcome.cors)
                                                          : outcome.code + ": " + outcome.message;
  }
  answer out;
  response& res = out.res;
  if (refused) {
    error_detail detail(outcome.code == "BadRequest" ? error::bad_request : error::access_forbidden,
                        outcome.message);
    if (outcome.method_element) detail.with("Method", *outcome.method_element);
    if (outcome.resource_type) detail.with("ResourceType", *outcome.resource_type);
    res = make_error_response(detail, ctx, false);
    res.status = outcome.status;
    out.log.note = "CORS preflight refused: " + explanation;
  } else {
    // §9: 200, empty body, Content-Length 0 and no Content-Type.
    add_common_headers(res, ctx);
    for (const auto& [name, value] : outcome.cors.headers) res.headers.add(name, value);
    res.content_length = 0;
  }
  if (options_.access_log_details || req.log_details) {
    out.log.cors = refused ? "preflight refused: " + explanation
                           : fmt::format("preflight allowed rule {}", outcome.cors.matched_rule.value_or(0));
  }
  if (options_.cors_debug_header) res.headers.add("x-s3cors-cors", explanation);
  return out;
}

void service::apply_cors(const request& req, std::string_view bucket, answer& out) const {
  const std::string_view origin = req.headers.find("Origin").value_or("");
  if (origin.empty()) return;  // §6: only Origin makes a request cross-origin
  const cors::config_ptr config = bucket.empty() ? nullptr : cors_.find(bucket);
  if (!config) {
    std::string why = bucket.empty() ? "no CORS: the request names no bucket"
                                     : fmt::format("no CORS: bucket {} has no CORS configuration", bucket);
    out.log.add(why);
    if (options_.access_log_details || req.log_details) out.log.cors = why;
    if (options_.cors_debug_header) out.res.headers.add("x-s3cors-cors", std::move(why));
    return;
  }
  const cors::cors_request cors_req{origin, req.method_name,
                                    req.headers.find("Access-Control-Request-Method"),
                                    req.headers.find("Access-Control-Request-Headers")};
  cors::decision decision = cors::evaluate(*config, cors_req, false, options_.cors_debug_header);
  for (const auto& [name, value] : decision.headers) out.res.headers.add(name, value);
  // Explanations cost allocations: only unmatched requests (logged) and the debug header need one.
  if (!decision.matched_rule || options_.cors_debug_header) {
    if (!options_.cors_debug_header) decision = cors::evaluate(*config, cors_req, false, true);
    std::string why = cors::one_line_explanation(decision);
    if (!decision.matched_rule) out.log.add(why);
    if (!decision.matched_rule && (options_.access_log_details || req.log_details)) out.log.cors = why;
    if (options_.cors_debug_header) out.res.headers.add("x-s3cors-cors", std::move(why));
  }
  if (decision.matched_rule && (options_.access_log_details || req.log_details))
    out.log.cors = fmt::format("allowed rule {}", *decision.matched_rule);
}

answer service::get_bucket_cors(const get_bucket_cors_op& op, const request_context& ctx) const {
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, false);
  }
  const cors::config_ptr config = cors_.find(op.bucket);
  if (!config) {
    error_detail detail(error::no_such_cors_configuration);
    detail.with("BucketName", op.bucket);
    detail.resource = resource_of(op.bucket, {});
    return make_error_response(detail, ctx, false);
  }
  return xml_response(cors::to_xml(*config), ctx);
}

answer service::put_bucket_cors(const request& req, const put_bucket_cors_op& op,
                                const request_context& ctx) const {
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, false);
  }
  if (auto bad = check_content_md5(req.headers, req.body)) return make_error_response(*bad, ctx, false);
  auto parsed = cors::parse_xml(req.body);
  if (!parsed) {
    const auto& invalid = parsed.error();
    const error code = invalid.code == "InvalidRequest"    ? error::invalid_request
                       : invalid.code == "InvalidArgument" ? error::invalid_argument
                                                           : error::malformed_xml;
    return {
        make_error_response(error_detail(code, invalid.message), ctx, false),
        "PutBucketCors refused: " + invalid.message + (invalid.detail.empty() ? "" : " " + invalid.detail)};
  }
  auto config = std::make_shared<const cors::cors_configuration>(std::move(*parsed));
  if (auto stored = store_.put_bucket_document(op.bucket, cors_document, cors::to_xml(*config)); !stored) {
    return {make_error_response(error_detail(error::internal_error), ctx, false),
            "PutBucketCors: cannot persist: " + stored.error().message()};
  }
  cors_.set_api_config(op.bucket, std::move(config));
  response res;
  add_common_headers(res, ctx);
  return res;
}

answer service::delete_bucket_cors(const delete_bucket_cors_op& op, const request_context& ctx) const {
  if (auto removed = store_.delete_bucket_document(op.bucket, cors_document); !removed) {
    return store_failure(removed.error(), "DeleteBucketCors", op.bucket, {}, ctx);
  }
  cors_.set_api_config(op.bucket, nullptr);
  response res;
  res.status = 204;
  add_common_headers(res, ctx);
  return res;
}

answer service::create_bucket(const request& req, const create_bucket_op& op,
                              const request_context& ctx) const {
  auto from_headers = acl_from_headers(req.headers);
  if (!from_headers) return make_error_response(from_headers.error(), ctx, false);
  const std::optional<std::string>& acl = *from_headers;
  // x-amz-object-ownership, else (api_bucket_defaults "s3") S3's default for new buckets,
  // BucketOwnerEnforced; then an ACL other than the owner's full control is refused.
  std::optional<object_ownership> ownership;
  if (const auto named = req.headers.find("x-amz-object-ownership")) {
    ownership = parse_ownership_name(*named);
    if (!ownership) {
      return make_error_response(error_detail(error::invalid_argument)
                                     .with("ArgumentName", "x-amz-object-ownership")
                                     .with("ArgumentValue", std::string(*named)),
                                 ctx, false);
    }
  } else if (options_.s3_bucket_defaults) {
    ownership = object_ownership::bucket_owner_enforced;
  }
  const party owner = requester_or_owner(ctx);
  if (ownership == object_ownership::bucket_owner_enforced &&
      acl_refusal(*ownership, {}, acl, owner, owner, true)) {
    return make_error_response(error_detail(error::invalid_bucket_acl_with_object_ownership), ctx, false);
  }
  // The new bucket's public access block refuses a public ACL before it exists: S3 asks for
  // the bucket first, then the block lifted, then PutBucketAcl.
  if (options_.s3_bucket_defaults &&
      acl_refusal(object_ownership::object_writer, public_access_block{true, true, true, true}, acl, owner,
                  owner, true)) {
    return make_error_response(error_detail(error::invalid_bucket_acl_with_block_public_access), ctx, false);
  }
  if (auto created = store_.create_bucket(op.bucket); !created) {
    return store_failure(created.error(), "CreateBucket", op.bucket, {}, ctx);
  }
  if (ownership) {
    if (auto stored = store_.put_bucket_document(op.bucket, bucket_ownership_document,
                                                 render_ownership_controls(*ownership));
        !stored) {
      return store_failure(stored.error(), "CreateBucket", op.bucket, {}, ctx);
    }
    controls_.set_ownership(op.bucket, *ownership);
  }
  if (options_.s3_bucket_defaults) {
    const public_access_block all{true, true, true, true};
    if (auto stored = store_.put_bucket_document(op.bucket, bucket_public_access_block_document,
                                                 render_public_access_block(all));
        !stored) {
      return store_failure(stored.error(), "CreateBucket", op.bucket, {}, ctx);
    }
    controls_.set_public_access_block(op.bucket, all);
  }
  if (ctx.requester) {
    if (auto stored =
            store_.put_bucket_document(op.bucket, bucket_owner_document, serialize_owner(*ctx.requester));
        !stored) {
      return store_failure(stored.error(), "CreateBucket", op.bucket, {}, ctx);
    }
    acls_.set_owner(op.bucket, *ctx.requester);
  }
  if (acl) {
    if (auto stored = store_.put_bucket_document(op.bucket, bucket_acl_document, *acl); !stored) {
      return store_failure(stored.error(), "CreateBucket", op.bucket, {}, ctx);
    }
    acls_.set_api_acl(op.bucket, *acl);
  }
  response res;
  add_common_headers(res, ctx);
  res.headers.add("Location", "/" + op.bucket);
  return res;
}

answer service::delete_bucket(const delete_bucket_op& op, const request_context& ctx) const {
  if (auto deleted = store_.delete_bucket(op.bucket); !deleted) {
    return store_failure(deleted.error(), "DeleteBucket", op.bucket, {}, ctx);
  }
  cors_.set_api_config(op.bucket, nullptr);
  acls_.set_api_acl(op.bucket, std::nullopt);
  policies_.set(op.bucket, nullptr);
  acls_.set_owner(op.bucket, std::nullopt);
  controls_.set_ownership(op.bucket, std::nullopt);
  controls_.set_public_access_block(op.bucket, std::nullopt);
  response res;
  res.status = 204;
  add_common_headers(res, ctx);
  return res;
}

answer service::get_bucket_location(const get_bucket_location_op& op, const request_context& ctx) const {
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, false);
  }
  // us-east-1 is the empty LocationConstraint, as S3 answers it.
  return xml_response(
      fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"{}\"/>", s3_xmlns),
      ctx);
}

answer service::multipart(const request& req, const routed& r, const multipart_op& op,
                          const request_context& ctx) const {
  using kind = multipart_op::kind;
  switch (op.what) {
    case kind::create:
      if (auto attributes = bucket_upload_attributes(op.bucket, req.headers, ctx); !attributes) {
        return make_error_response(attributes.error(), ctx, false);
      } else if (auto tags = tags_from_headers(req.headers); !tags) {
        return make_error_response(tags.error(), ctx, false);
      } else if (auto refused = apply_checksum_settings(req.headers, *attributes)) {
        return make_error_response(*refused, ctx, false);
      } else {
        // The tags are the upload's until CompleteMultipartUpload gives them to the object.
        attributes->tags = std::move(*tags);
        return create_multipart_upload(store_, op.bucket, op.key, *attributes, ctx);
      }
    case kind::upload_part:
      // Parts stream through upload_sink (start_upload) and never come here.
      return answer(make_error_response(error_detail(error::internal_error), ctx, false));
    case kind::upload_part_copy:
      return upload_part_copy(req, op, ctx);
    case kind::complete:
      return complete_multipart_upload(store_, op.bucket, op.key, op.upload_id, req.body, ctx, req.headers);
    case kind::abort:
      return abort_multipart_upload(store_, op.bucket, op.key, op.upload_id, ctx);
    case kind::list_parts:
      return list_parts(store_, op.bucket, op.key, op.upload_id, r.query, ctx);
    case kind::list_uploads:
      return list_multipart_uploads(store_, op.bucket, r.query, ctx);
  }
  return make_error_response(error_detail(error::internal_error), ctx, false);
}

answer service::delete_object(const delete_object_op& op, const request_context& ctx) const {
  if (auto deleted = store_.delete_object(op.bucket, op.key); !deleted) {
    return store_failure(deleted.error(), "DeleteObject", op.bucket, op.key, ctx);
  }
  response res;
  res.status = 204;
  add_common_headers(res, ctx);
  return res;
}

answer service::list_objects(const query_list& query, const list_objects_op& op,
                             const request_context& ctx) const {
  auto params = parse_list_params(query);
  if (!params) return make_error_response(params.error(), ctx, false);
  if (!credentials()->empty()) {
    party owner = bucket_owner(op.bucket);
    params->owner_id = std::move(owner.canonical_id);
    params->owner_name = std::move(owner.display_name);
  }
  const fetch_page fetch =
      [&](const store::list_page_request& page) -> result<std::vector<store::listed_object>, error_detail> {
    auto listed = store_.list_objects(op.bucket, page);
    if (!listed) return store_error(listed.error(), op.bucket, {});
    return std::move(*listed);
  };
  auto xml = list_objects_xml(op.bucket, *params, fetch);
  if (!xml) return make_error_response(xml.error(), ctx, false);
  return xml_response(std::move(*xml), ctx);
}

result<service::copied, error_detail> service::copy_source(const request& req, std::string_view bucket,
                                                           std::string_view key, bool allow_range,
                                                           store::object_writer& writer) const {
  auto source = store_.open(bucket, key);
  if (!source) return store_error(source.error(), bucket, key);
  const conditional::precondition_headers conditions{
      req.headers.find("x-amz-copy-source-if-match"), req.headers.find("x-amz-copy-source-if-none-match"),
      req.headers.find("x-amz-copy-source-if-modified-since"),
      req.headers.find("x-amz-copy-source-if-unmodified-since")};
  const auto precondition =
      conditional::evaluate_preconditions(conditions, {source->info.etag, source->info.last_modified});
  if (precondition.result != conditional::outcome::proceed) {
    // A copy answers every failed copy-source condition with 412.
    error_detail detail(error::precondition_failed);
    detail.with("Condition", "x-amz-copy-source-" + std::string(precondition.failed_condition));
    return detail;
  }
  std::uint64_t offset = 0;
  std::uint64_t length = source->info.size;
  const auto range_text = req.headers.find("x-amz-copy-source-range");
  if (allow_range && range_text) {
    // Only "bytes=first-last" inside the object, unlike a GET's Range.
    const auto argument = [&](std::string message) {
      return error_detail(error::invalid_argument, std::move(message))
          .with("ArgumentName", "x-amz-copy-source-range")
          .with("ArgumentValue", std::string(*range_text));
    };
    std::string_view spec = *range_text;
    const auto dash = spec.find('-');
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    const auto parse = [](std::string_view digits, std::uint64_t& value) {
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      return !digits.empty() && ec == std::errc{} && end == digits.data() + digits.size();
    };
    if (!spec.starts_with("bytes=") || dash == std::string_view::npos ||
        !parse(spec.substr(6, dash - 6), first) || !parse(spec.substr(dash + 1), last) || last < first) {
      return argument(
          "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are "
          "the "
          "zero-based offsets of the first and last bytes to copy");
    }
    if (last >= source->info.size) {
      return argument(
          fmt::format("Range specified is not valid for source object of size: {}", source->info.size));
    }
    offset = first;
    length = last - first + 1;
  }
  // S3 copies at most 5 GiB in one request; larger objects are copied in parts.
  if (length > max_copy_size) {
    return error_detail(
        error::invalid_request,
        fmt::format("The specified copy source is larger than the maximum allowable size for a "
                    "copy source: {}",
                    max_copy_size));
  }
  if (auto written = writer.copy_from(*source->body, offset, length); !written) {
    return store_error(
        written.error() == errc::no_such_key ? make_error_code(errc::io_error) : written.error(), bucket,
        key);
  }
  copied out{std::move(source->info.attributes), {}, {}};
  // A whole object whose ETag is its MD5 keeps it; anything else is hashed, in bounded pieces.
  // A whole copy of an object without checksums gets its CRC64NVME, as every new object in S3.
  const std::string& etag = source->info.etag;
  const bool whole = offset == 0 && length == source->info.size && !range_text;
  const bool keeps_md5 = whole && etag.size() == 32 && etag.find('-') == std::string::npos;
  const bool needs_crc = whole && (!out.attributes || out.attributes->checksums.empty());
  if (keeps_md5) out.md5_hex = etag;
  if (keeps_md5 && !needs_crc) return out;
  hash::hasher md5(hash::algorithm::md5);
  hash::hasher crc64(hash::algorithm::crc64nvme);
  std::vector<char> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(length, std::uint64_t{1} << 20)));
  for (std::uint64_t done = 0; done < length;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(length - done, buffer.size()));
    auto n = source->body->read_at(offset + done, std::span<char>(buffer.data(), want));
    if (!n || *n == 0) return error_detail(error::internal_error);  // the source changed while read
    if (!keeps_md5) md5.update(std::string_view(buffer.data(), *n));
    if (needs_crc) crc64.update(std::string_view(buffer.data(), *n));
    done += *n;
  }
  if (!keeps_md5) out.md5_hex = hash::to_hex(md5.finish());
  if (needs_crc) out.checksums.emplace_back("x-amz-checksum-crc64nvme", hash::base64_encode(crc64.finish()));
  return out;
}

answer service::upload_part_copy(const request& req, const multipart_op& op,
                                 const request_context& ctx) const {
  auto started = begin_part(store_, op.bucket, op.key, op.upload_id, op.part_number, ctx);
  if (!started.writer) return std::move(started.refusal);
  auto source = copy_source(req, op.source_bucket, op.source_key, true, *started.writer);
  if (!source) return make_error_response(source.error(), ctx, false);
  answer out = commit_part(store_, *started.writer, source->md5_hex, op.bucket, op.key, op.upload_id, ctx);
  if (out.res.status != 200) return out;
  response& res = out.res;
  // UploadPartCopy answers with a document instead of UploadPart's ETag header.
  const std::string etag(res.headers.find("ETag").value_or(""));
  res.headers.remove("ETag");
  xml::xml_writer doc;
  doc.open("CopyPartResult", s3_xmlns)
      .element("LastModified", format_iso8601(ctx.now))
      .element("ETag", etag)
      .close();
  res.headers.add("Content-Type", "application/xml");
  res.set_text_body(std::move(doc).str());
  return out;
}

answer service::copy_object(const request& req, const copy_object_op& op, const request_context& ctx) const {
  const bool replace = iequals(req.headers.find("x-amz-metadata-directive").value_or("COPY"), "REPLACE");
  if (op.source_bucket == op.bucket && op.source_key == op.key && !replace) {
    return make_error_response(
        error_detail(
            error::invalid_request,
            "This copy request is illegal because it is trying to copy an object to itself without changing "
            "the object's metadata, storage class, website redirect location or encryption attributes."),
        ctx, false);
  }
  // COPY keeps the source's metadata and checksums; REPLACE takes this request's metadata.
  // The ACL is never copied: the new object's is x-amz-acl's or x-amz-grant-*'s, as in S3.
  auto requested = bucket_upload_attributes(op.bucket, req.headers, ctx);
  if (!requested) return make_error_response(requested.error(), ctx, false);
  // x-amz-tagging-directive: COPY (the default) keeps the source's tags, REPLACE takes
  // x-amz-tagging's (none when absent).
  const auto tagging_directive = req.headers.find("x-amz-tagging-directive");
  if (tagging_directive && *tagging_directive != "COPY" && *tagging_directive != "REPLACE") {
    return make_error_response(error_detail(error::invalid_argument, "Unknown tagging directive.")
                                   .with("ArgumentName", "x-amz-tagging-directive")
                                   .with("ArgumentValue", std::string(*tagging_directive)),
                               ctx, false);
  }
  const bool replace_tags = tagging_directive && *tagging_directive == "REPLACE";
  auto requested_tags = tags_from_headers(req.headers);
  if (!requested_tags) return make_error_response(requested_tags.error(), ctx, false);
  if (!store::is_valid_key(op.key)) {
    return store_failure(make_error_code(errc::invalid_key), "CopyObject", op.bucket, op.key, ctx);
  }
  // If-None-Match / If-Match name the destination (x-amz-copy-source-if-* the source).
  auto condition = parse_write_condition(req.headers);
  if (!condition) return make_error_response(condition.error(), ctx, false);
  if (auto failed = observe_write_condition(store_, op.bucket, op.key, *condition)) {
    failed->resource = resource_of(op.bucket, op.key);
    return make_error_response(*failed, ctx, false);
  }
  auto writer = store_.create_object_writer(op.bucket);
  if (!writer) return store_failure(writer.error(), "CopyObject", op.bucket, op.key, ctx);
  auto source = copy_source(req, op.source_bucket, op.source_key, false, **writer);
  if (!source) return make_error_response(source.error(), ctx, false);
  store::object_attributes attributes;
  if (replace) {
    attributes = std::move(*requested);
  } else {
    if (source->attributes) attributes = *source->attributes;
    attributes.acl = std::move(requested->acl);
    // The copy belongs to its writer, as its ACL is its own.
    attributes.owner_id = std::move(requested->owner_id);
    attributes.owner_name = std::move(requested->owner_name);
    attributes.owner_account = std::move(requested->owner_account);
  }
  attributes.checksums =
      source->attributes ? source->attributes->checksums : decltype(attributes.checksums){};
  if (attributes.checksums.empty()) attributes.checksums = source->checksums;
  // The parts of a multipart source are not the copy's: it is one piece.
  attributes.parts.clear();
  attributes.tags = replace_tags         ? std::move(*requested_tags)
                    : source->attributes ? source->attributes->tags
                                         : tag_set{};
  attributes.etag.clear();
  auto stored = store_.commit_object(**writer, op.bucket, op.key, source->md5_hex, attributes, *condition);
  if (!stored) {
    return {
        make_error_response(write_condition_error(stored.error(), *condition, op.bucket, op.key), ctx, false),
        "CopyObject: " + stored.error().message()};
  }
  xml::xml_writer doc;
  doc.open("CopyObjectResult", s3_xmlns)
      .element("LastModified", format_iso8601(stored->last_modified))
      .element("ETag", quoted(stored->etag))
      .close();
  return xml_response(std::move(doc).str(), ctx);
}

answer service::delete_objects(const request& req, const delete_objects_op& op,
                               const request_context& ctx) const {
  if (auto bucket = store_.stat_bucket(op.bucket); !bucket) {
    return make_error_response(store_error(bucket.error(), op.bucket, {}), ctx, false);
  }
  if (auto bad = check_content_md5(req.headers, req.body)) return make_error_response(*bad, ctx, false);
  auto parsed = parse_delete_request(req.body);
  if (!parsed) return make_error_response(parsed.error(), ctx, false);
  std::vector<delete_failure> failures;
  for (const auto& key : parsed->keys) {
    if (auto deleted = store_.delete_object(op.bucket, key); !deleted) {
      const error_detail detail = store_error(deleted.error(), op.bucket, key);
      const error_info& entry = info(detail.code);
      failures.push_back({key, std::string(entry.code),
                          detail.message.empty() ? std::string(entry.message) : detail.message});
    }
  }
  return xml_response(render_delete_result(*parsed, failures), ctx);
}

}  // namespace s3cors::s3
