// The service's authentication and authorisation: SigV4 verification when credentials are
// configured, ACLs (canned or grant lists) for other requesters, and the ACL operations.
#include "s3cors/auth/post_policy.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/errc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/hash/hasher.hpp"
#include "s3cors/http/multipart_form_stream.hpp"
#include "s3cors/s3/access.hpp"
#include "s3cors/s3/identity.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/s3/tagging.hpp"
#include "s3cors/store/object_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <type_traits>

namespace s3cors::s3 {
namespace {

// What a POST form may add to its file: S3's 20 KB of fields before it, and the delimiters.
constexpr std::uint64_t post_form_overhead = 64 * 1024;

answer access_denied(const request& req, const request_context& ctx, std::string_view why) {
  return {make_error_response(error_detail(error::access_denied), ctx, req.verb == method::head),
          "request refused: " + std::string(why)};
}

}  // namespace

policy_ptr service::policy_in_force(std::string_view bucket) const {
  if (auto set = policies_.find(bucket)) return set;
  if (!acls_.file_public_read(bucket)) return nullptr;
  if (auto made = file_policies_.find(bucket)) return made;
  auto made = config_public_read_policy(bucket);
  file_policies_.set(bucket, made);
  return made;
}

std::string service::bucket_acl(std::string_view bucket) const {
  return acls_.find(bucket).value_or("private");
}

result<store::object_attributes, error_detail> service::upload_attributes(const header_list& headers,
                                                                          const request_context& ctx) const {
  store::object_attributes attributes = store::attributes_from_request(headers);
  if (ctx.requester) {
    attributes.owner_id = ctx.requester->canonical_id;
    attributes.owner_name = ctx.requester->display_name;
    attributes.owner_account = ctx.requester->account_id;
  }
  auto acl = acl_from_headers(headers);
  if (!acl) return acl.error();
  // private is what no ACL means: keep records for objects that need them only.
  if (*acl && **acl != "private") attributes.acl = std::move(**acl);
  return attributes;
}

std::vector<known_user> service::known_users() const {
  std::vector<known_user> out;
  for (const auth::credential& key : credentials()->all()) {
    const user u = user_of(key);
    out.push_back({u.as_party(), u.email});
  }
  return out;
}

result<std::optional<std::string>, error_detail> service::acl_from_headers(const header_list& headers) const {
  const auto canned = headers.find("x-amz-acl");
  if (canned && !is_canned_acl(*canned)) {
    return error_detail(error::invalid_argument)
        .with("ArgumentName", "x-amz-acl")
        .with("ArgumentValue", std::string(*canned));
  }
  auto grants = grants_from_headers(headers, known_users());
  if (!grants) return grants.error();
  if (canned && *grants) {
    return error_detail(error::invalid_request,
                        "Specifying both Canned ACLs and Header Grants is not allowed");
  }
  if (*grants) return std::optional<std::string>(serialize_grants(**grants));
  if (canned) return std::optional<std::string>(*canned);
  return std::optional<std::string>();
}

result<store::object_attributes, error_detail> service::bucket_upload_attributes(
    std::string_view bucket, const header_list& headers, const request_context& ctx) const {
  auto attributes = upload_attributes(headers, ctx);
  if (!attributes) return attributes;
  // The ACL asked for: x-amz-acl's name (private included), else the x-amz-grant-* list.
  const auto canned = headers.find("x-amz-acl");
  std::optional<std::string> requested;
  if (canned) {
    requested = std::string(*canned);
  } else if (!attributes->acl.empty()) {
    requested = attributes->acl;
  }
  if (auto refused = bucket_acl_refusal(bucket, requested, requester_or_owner(ctx), false))
    return std::move(*refused);
  // BucketOwnerEnforced: the bucket owner owns every object; BucketOwnerPreferred: those
  // uploaded with bucket-owner-full-control.
  const auto ownership = controls_.ownership(bucket).value_or(object_ownership::object_writer);
  if (ctx.requester &&
      (ownership == object_ownership::bucket_owner_enforced ||
       (ownership == object_ownership::bucket_owner_preferred && canned == "bucket-owner-full-control"))) {
    const party owner = bucket_owner(bucket);
    attributes->owner_id = owner.canonical_id;
    attributes->owner_name = owner.display_name;
    attributes->owner_account = owner.account_id;
  }
  return attributes;
}

std::optional<error_detail> service::bucket_acl_refusal(std::string_view bucket,
                                                        const std::optional<std::string>& acl,
                                                        const party& owner, bool on_bucket) const {
  return acl_refusal(controls_.ownership(bucket).value_or(object_ownership::object_writer),
                     controls_.find_public_access_block(bucket).value_or(public_access_block{}), acl, owner,
                     bucket_owner(bucket), on_bucket);
}

std::optional<answer> service::authorize(const request& req, const routed& r, const request_context& ctx,
                                         std::optional<auth::verified_identity>& identity) const {
  const auto keys = credentials();
  if (keys->empty()) return std::nullopt;  // local development: everything goes
  // Preflights are never authenticated; the health check answers anyone; a POST upload
  // carries its signature in the form (post_object checks it).
  if (std::holds_alternative<preflight_op>(r.op) || std::holds_alternative<health_op>(r.op) ||
      std::holds_alternative<post_object_op>(r.op)) {
    return std::nullopt;
  }
  auto verified = auth::verify_request(req, *keys, ctx.now, {options_.sigv2, &options_.routing});
  if (!verified) {
    error_detail detail = verified.error();
    return answer(make_error_response(detail, ctx, req.verb == method::head), "authentication failed");
  }
  // The payload hash is checked as the body arrives (upload_stream, document_sink, start).
  if (*verified) identity = std::move(*verified);

  // What the requester's ownership, the ACLs and the bucket's effective policy allow (s3/access.hpp).
  const std::string_view action = action_of(r.op);
  if (action.empty()) return std::nullopt;
  const std::optional<party> principal = requester_of(identity);
  // The policy's condition keys, built only when some bucket's policy is evaluated.
  lazy_condition_keys keys_of_request(req, r.query, ctx, identity ? &*identity : nullptr);
  const auto judge = [&](std::string_view act, std::string_view bucket, std::string_view key) {
    return decide(access_for(act, bucket, key, principal, &keys_of_request));
  };
  return std::visit(
      [&](const auto& op) -> std::optional<answer> {
        using op_type = std::decay_t<decltype(op)>;
        access_decision decision;
        if constexpr (std::is_same_v<op_type, list_buckets_op> || std::is_same_v<op_type, health_op> ||
                      std::is_same_v<op_type, preflight_op>) {
          access_request request;
          request.action = action;
          request.principal = principal;
          decision = decide(request);
        } else if constexpr (std::is_same_v<op_type, get_object_op> || std::is_same_v<op_type, acl_op> ||
                             std::is_same_v<op_type, put_object_op> ||
                             std::is_same_v<op_type, delete_object_op> ||
                             std::is_same_v<op_type, tagging_op>) {
          decision = judge(action, op.bucket, op.key);
        } else if constexpr (std::is_same_v<op_type, copy_object_op>) {
          // Writing the copy, and reading its source.
          decision = judge(action, op.bucket, op.key);
          if (decision.allowed) decision = judge("s3:GetObject", op.source_bucket, op.source_key);
        } else if constexpr (std::is_same_v<op_type, multipart_op>) {
          // UploadPartCopy also reads its source, as CopyObject does.
          decision = judge(action, op.bucket, op.key);
          if (decision.allowed && op.what == multipart_op::kind::upload_part_copy)
            decision = judge("s3:GetObject", op.source_bucket, op.source_key);
        } else {
          decision = judge(action, op.bucket, {});
        }
        if (decision.allowed) return std::nullopt;
        if (auto missing = missing_bucket(req, r, ctx)) return missing;
        return access_denied(req, ctx, decision.trace);
      },
      r.op);
}

std::optional<party> service::requester_of(const std::optional<auth::verified_identity>& identity) const {
  if (!identity) return std::nullopt;
  const auto keys = credentials();
  const auth::credential* key = keys->find(identity->access_key_id);
  if (!key) return std::nullopt;
  return user_of(*key).as_party();
}

party service::bucket_owner(std::string_view bucket) const {
  if (auto owner = acls_.owner(bucket)) return std::move(*owner);
  return default_owner(*credentials());
}

party service::requester_or_owner(const request_context& ctx) const {
  return ctx.requester ? *ctx.requester : default_owner(*credentials());
}

namespace {

// The owner an object's record names, else the bucket's.
party object_owner(const std::shared_ptr<const store::object_attributes>& attributes,
                   const party& bucket_owner) {
  if (!attributes || attributes->owner_id.empty()) return bucket_owner;
  return {attributes->owner_id, attributes->owner_account, attributes->owner_name};
}

// Whether every configured credential belongs to one account: then whoever signs owns every
// bucket and object, and no object record needs reading to know it.
bool single_account(const auth::credential_set& keys) {
  const auto& all = keys.all();
  return std::all_of(all.begin(), all.end(),
                     [&](const auth::credential& key) { return key.account_id == all.front().account_id; });
}

}  // namespace

access_request service::access_for(std::string_view action, std::string_view bucket, std::string_view key,
                                   std::optional<party> principal, lazy_condition_keys* keys) const {
  access_request out;
  out.action = action;
  out.principal = std::move(principal);
  out.bucket_owner = bucket_owner(bucket);
  out.bucket_acl = stored_grants(bucket_acl(bucket), out.bucket_owner, out.bucket_owner);
  out.ownership = controls_.ownership(bucket).value_or(object_ownership::object_writer);
  out.public_access = controls_.find_public_access_block(bucket).value_or(public_access_block{});
  if (is_object_action(action) && !key.empty()) {
    if (out.principal && out.principal->same_owner(out.bucket_owner) && single_account(*credentials())) {
      // The hot path of a signed GET: nobody outside the account could have written the object.
      out.object = object_facts{out.bucket_owner, {}};
    } else if (const auto attributes = store_.attributes_of(bucket, key)) {
      // The object's own ACL, read without hashing or opening its content.
      const std::string stored = *attributes ? (*attributes)->acl : std::string();
      const party owner = object_owner(*attributes, out.bucket_owner);
      out.object = object_facts{owner, stored_grants(stored, owner, out.bucket_owner)};
    }
  }
  if (const auto stored = policy_in_force(bucket)) {
    policy::request_facts facts;
    facts.principal = keys != nullptr ? keys->principal(out.principal) : policy_requester(out.principal);
    facts.action = std::string(action);
    facts.resource = resource_arn(bucket, is_object_action(action) ? key : std::string_view{});
    if (keys != nullptr) facts.keys = keys->get();
    policy::add_principal_keys(facts);
    const auto evaluated = policy::evaluate(stored->parsed, facts, false);
    out.policy = evaluated.decision == policy::decision::allow           ? policy_decision::allow
                 : evaluated.decision == policy::decision::explicit_deny ? policy_decision::explicit_deny
                                                                         : policy_decision::no_match;
    if (evaluated.statement) {
      out.policy_statement = evaluated.sid.empty() ? fmt::format("statement {}", *evaluated.statement + 1)
                                                   : fmt::format("statement \"{}\"", evaluated.sid);
    }
    // RestrictPublicBuckets: a public policy grants only the bucket owner's account and AWS
    // services (docs/bucket-policies.md §5).
    if (out.policy == policy_decision::allow && stored->is_public &&
        out.public_access.restrict_public_buckets &&
        !(out.principal && out.principal->account_id == out.bucket_owner.account_id)) {
      out.policy = policy_decision::no_match;
    }
  }
  return out;
}

answer service::acl(const request& req, const acl_op& op, const request_context& ctx) const {
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
  const party owner_of_bucket = bucket_owner(op.bucket);
  // BucketOwnerEnforced: the bucket owner owns every object, ACLs read as its FULL_CONTROL and
  // cannot be set.
  const bool enforced = controls_.ownership(op.bucket) == object_ownership::bucket_owner_enforced;
  const party owner =
      op.key.empty() || enforced ? owner_of_bucket : object_owner(attributes, owner_of_bucket);
  if (!op.put) {
    const std::string stored = enforced         ? std::string()
                               : op.key.empty() ? bucket_acl(op.bucket)
                               : attributes     ? attributes->acl
                                                : std::string();
    return xml_response(
        render_access_control_policy(owner, stored_grants(stored, owner, owner_of_bucket), known_users()),
        ctx);
  }
  // PutBucketAcl/PutObjectAcl: a canned ACL in x-amz-acl, grants in x-amz-grant-* headers, or
  // an AccessControlPolicy body; S3 refuses a body together with either header.
  auto from_headers = acl_from_headers(req.headers);
  if (!from_headers) return make_error_response(from_headers.error(), ctx, false);
  std::string canned;
  if (*from_headers) {
    if (!req.body.empty()) return make_error_response(error_detail(error::unexpected_content), ctx, false);
    canned = std::move(**from_headers);
  } else if (!req.body.empty()) {
    auto parsed = parse_access_control_policy(req.body, known_users());
    if (!parsed) return make_error_response(parsed.error(), ctx, false);
    // The document's Owner must be the resource's owner, as S3 requires.
    if (parsed->owner_id != owner.canonical_id)
      return access_denied(req, ctx, "the AccessControlPolicy names another Owner");
    canned = serialize_grants(parsed->grants);
  } else {
    return make_error_response(
        error_detail(error::missing_security_header).with("MissingHeaderName", "x-amz-acl"), ctx, false);
  }
  if (auto refused = bucket_acl_refusal(op.bucket, canned, owner, op.key.empty()))
    return make_error_response(*refused, ctx, false);
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

// POST Object: the form streams through multipart_form_stream; its fields are judged when the
// file begins, and the file's bytes go to a store writer as they arrive.
class service::post_sink final : public body_sink {
 public:
  post_sink(const service& owner, request req, post_object_op op, request_context ctx,
            http::multipart_form_stream form, std::unique_ptr<store::object_writer> writer)
      : owner_(owner),
        req_(std::move(req)),
        op_(std::move(op)),
        ctx_(std::move(ctx)),
        form_(std::move(form)),
        writer_(std::move(writer)) {}

  std::optional<answer> write(std::string_view piece) override {
    auto events = form_.feed(piece);
    if (!events) return refuse(events.error());
    if (auto refused = take(*events)) return refused;
    return std::nullopt;
  }

  answer finish() override {
    answer out = complete();
    owner_.finalize_post(req_, op_, out);
    return out;
  }

 private:
  // Judges the fields when the file begins, stores file bytes, notes the end.
  std::optional<answer> take(const http::multipart_form_stream::events& events) {
    if (events.file_begin) {
      const auto keys = owner_.credentials();
      auto upload = auth::evaluate_post_form_fields(*events.file_begin, op_.bucket, *keys, ctx_.now,
                                                    owner_.options_.sigv2);
      if (!upload) return refuse(upload.error(), "POST upload refused");
      if (!keys->empty() && upload->auth == auth::post_auth::anonymous) {
        const auto decision = decide(owner_.access_for("s3:PutObject", op_.bucket, {}, std::nullopt));
        if (!decision.allowed)
          return refuse(error_detail(error::access_denied), "anonymous request refused: " + decision.trace);
      }
      if (!upload->acl.empty() && !is_canned_acl(upload->acl)) {
        return refuse(error_detail(error::invalid_argument)
                          .with("ArgumentName", "acl")
                          .with("ArgumentValue", upload->acl));
      }
      const std::optional<std::string> acl =
          upload->acl.empty() ? std::nullopt : std::optional<std::string>(upload->acl);
      if (auto refused = owner_.bucket_acl_refusal(op_.bucket, acl, owner_.requester_or_owner(ctx_), false))
        return refuse(*refused);
      upload_ = std::move(*upload);
    }
    for (const std::string_view data : events.file_data()) {
      if (!upload_) break;
      md5_.update(data);
      crc64_.update(data);
      if (auto written = writer_->write(data); !written) return refuse(error_detail(error::internal_error));
      if (auto too_large = auth::check_post_size(*upload_, writer_->size(), auth::post_size_check::running))
        return refuse(*too_large);
      if (writer_->size() > owner_.options_.max_object_size)
        return refuse(error_detail(error::entity_too_large));
    }
    if (events.file_end) file_ended_ = true;
    return std::nullopt;
  }

  answer refuse(const error_detail& why, std::string_view note = {}) {
    answer out(make_error_response(why, ctx_, false), std::string(note));
    out.res.close = true;
    owner_.finalize_post(req_, op_, out);
    return out;
  }

  answer complete() {
    auto events = form_.finish();
    if (!events) return make_error_response(events.error(), ctx_, false);
    if (auto refused = take(*events)) return std::move(*refused);
    if (!upload_ || !file_ended_)
      return make_error_response(error_detail(error::malformed_post_request), ctx_, false);
    if (auto size = auth::check_post_size(*upload_, writer_->size(), auth::post_size_check::final)) {
      return make_error_response(*size, ctx_, false);
    }
    store::object_attributes attributes;
    attributes.headers = upload_->headers;
    // S3 stores binary/octet-stream when the form names no Content-Type, whatever the file part says.
    if (!attributes.header("Content-Type"))
      attributes.headers.emplace_back("Content-Type", "binary/octet-stream");
    if (!upload_->acl.empty() && upload_->acl != "private") attributes.acl = upload_->acl;
    auto tags = tags_from_form_fields(upload_->fields);
    if (!tags) return make_error_response(tags.error(), ctx_, false);
    attributes.tags = std::move(*tags);
    // S3 gives every new object a CRC64NVME checksum.
    attributes.checksums.emplace_back("x-amz-checksum-crc64nvme", hash::base64_encode(crc64_.finish()));
    auto stored = owner_.store_.commit_object(*writer_, op_.bucket, upload_->key, hash::to_hex(md5_.finish()),
                                              attributes);
    if (!stored) return store_failure(stored.error(), "PostObject", op_.bucket, upload_->key, ctx_);

    // Location names the object as this request reached the bucket (path or virtual-hosted style).
    const std::string host(req_.headers.find("Host").value_or("localhost"));
    const bool virtual_hosted = host.starts_with(op_.bucket + ".");
    const std::string bucket_url = "http://" + host + (virtual_hosted ? "" : "/" + op_.bucket);
    response res;
    add_common_headers(res, ctx_);
    if (!upload_->redirect.empty()) {
      res.status = 303;
      res.headers.add("Location", auth::post_redirect_location(upload_->redirect, op_.bucket, upload_->key,
                                                               stored->etag));
      return res;
    }
    res.headers.add("ETag", "\"" + stored->etag + "\"");
    res.headers.add("Location", auth::post_object_location(bucket_url, upload_->key));
    res.status = upload_->success_action_status;
    if (res.status == 201) {
      res.headers.add("Content-Type", "application/xml");
      res.set_text_body(auth::render_post_response(bucket_url, op_.bucket, upload_->key, stored->etag));
    }
    return res;
  }

  const service& owner_;
  request req_;
  post_object_op op_;
  request_context ctx_;
  http::multipart_form_stream form_;
  std::unique_ptr<store::object_writer> writer_;
  std::optional<auth::post_upload> upload_;
  hash::hasher md5_{hash::algorithm::md5};
  hash::hasher crc64_{hash::algorithm::crc64nvme};
  bool file_ended_ = false;
};

started_request service::start_post_object(const request& req, const post_object_op& op,
                                           const request_context& ctx) const {
  auto refuse = [&](answer out) {
    out.res.close = req.has_body;
    finalize_post(req, op, out);
    return started_request{std::move(out), nullptr};
  };
  auto writer = store_.create_object_writer(op.bucket);
  if (!writer) return refuse(store_failure(writer.error(), "PostObject", op.bucket, {}, ctx));
  auto form = http::multipart_form_stream::create(req.headers.find("Content-Type").value_or(""));
  if (!form) return refuse(make_error_response(form.error(), ctx, false));
  if (req.content_length && *req.content_length > options_.max_object_size + post_form_overhead) {
    return refuse(make_error_response(error_detail(error::entity_too_large), ctx, false));
  }
  request header = req;
  header.body.clear();
  auto sink =
      std::make_unique<post_sink>(*this, std::move(header), op, ctx, std::move(*form), std::move(*writer));
  if (!req.has_body) return {sink->finish(), nullptr};
  return {answer{}, std::move(sink)};
}

void service::finalize_post(const request& req, const post_object_op& op, answer& out) const {
  finalize(req, routed{op, {}}, out);
}

}  // namespace s3cors::s3
