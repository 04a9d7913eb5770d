#include "s3cors/s3/bucket_policy.hpp"

#include "s3cors/auth/sigv4.hpp"
#include "s3cors/http/date.hpp"

#include <fmt/format.h>

#include <mutex>

namespace s3cors::s3 {

result<policy_ptr, error_detail> make_stored_policy(std::string text, std::string_view bucket) {
  auto parsed = policy::parse(text, bucket);
  if (!parsed) return parsed.error();
  auto stored = std::make_shared<stored_policy>();
  stored->is_public = policy::is_public(*parsed);
  stored->parsed = std::move(*parsed);
  stored->text = std::move(text);
  return policy_ptr(std::move(stored));
}

policy_ptr config_public_read_policy(std::string_view bucket) {
  auto made = make_stored_policy(
      fmt::format(R"({{"Version":"2012-10-17","Statement":[{{"Sid":"S3corsConfigPublicRead",)"
                  R"("Effect":"Allow","Principal":"*","Action":"s3:GetObject",)"
                  R"("Resource":"arn:aws:s3:::{}/*"}}]}})",
                  bucket),
      bucket);
  // A bucket name never needs escaping in JSON, and the document is valid for any valid name.
  return made ? std::move(*made) : nullptr;
}

policy::requester lazy_condition_keys::principal(const std::optional<party>& signer) const {
  if (!ctx_.on_behalf_of) return policy_requester(signer);
  policy::requester out;
  out.type = policy::requester::kind::service;
  out.service = ctx_.on_behalf_of->service;
  return out;
}

const policy::context_keys& lazy_condition_keys::get() {
  if (!keys_) keys_ = request_condition_keys(req_, query_, ctx_, identity_);
  return *keys_;
}

void policy_registry::set(std::string_view bucket, policy_ptr policy) {
  std::unique_lock lock(mutex_);
  if (policy) {
    by_bucket_.insert_or_assign(std::string(bucket), std::move(policy));
  } else if (const auto it = by_bucket_.find(bucket); it != by_bucket_.end()) {
    by_bucket_.erase(it);
  }
}

policy_ptr policy_registry::find(std::string_view bucket) const {
  std::shared_lock lock(mutex_);
  const auto it = by_bucket_.find(bucket);
  return it == by_bucket_.end() ? nullptr : it->second;
}

policy::context_keys request_condition_keys(const request& req, const query_list& query,
                                            const request_context& ctx,
                                            const auth::verified_identity* identity) {
  policy::context_keys keys;
  const auto set = [&](std::string_view name, std::string value) {
    keys[std::string(name)] = {std::move(value)};
  };
  if (ctx.on_behalf_of) {
    set("aws:SourceArn", ctx.on_behalf_of->source_arn);
    set("aws:SourceAccount", ctx.on_behalf_of->source_account);
  }
  if (!ctx.source_ip.empty()) set("aws:SourceIp", ctx.source_ip);
  set("aws:SecureTransport", "false");
  set("aws:CurrentTime", format_iso8601(ctx.now));
  set("aws:EpochTime", std::to_string(ctx.now.time_since_epoch().count()));
  for (const auto& [header, key] :
       {std::pair{"Referer", "aws:Referer"}, std::pair{"User-Agent", "aws:UserAgent"},
        std::pair{"x-amz-acl", "s3:x-amz-acl"}, std::pair{"x-amz-content-sha256", "s3:x-amz-content-sha256"},
        std::pair{"x-amz-storage-class", "s3:x-amz-storage-class"},
        std::pair{"x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"}}) {
    if (const auto value = req.headers.find(header)) set(key, std::string(*value));
  }
  if (identity != nullptr) {
    set("s3:signatureversion", std::string(auth::to_string(identity->version)));
    set("s3:authType", std::string(auth::to_string(identity->type)));
  }
  // ListObjects' parameters (S3 offers them for s3:ListBucket; other actions ignore them).
  for (const auto& [name, value] : query) {
    if (name == "prefix" || name == "delimiter" || name == "max-keys") set("s3:" + name, value);
  }
  return keys;
}

policy::requester policy_requester(const std::optional<party>& principal) {
  policy::requester out;
  if (!principal) return out;
  out.type = policy::requester::kind::identity;
  out.account_id = principal->account_id;
  out.canonical_id = principal->canonical_id;
  out.arn = "arn:aws:iam::" + principal->account_id + ":user/" + principal->display_name;
  return out;
}

std::string resource_arn(std::string_view bucket, std::string_view key) {
  std::string arn = "arn:aws:s3:::";
  arn += bucket;
  if (!key.empty()) {
    arn += '/';
    arn += key;
  }
  return arn;
}

}  // namespace s3cors::s3
