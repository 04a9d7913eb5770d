// Bucket ownership as requests see it: x-amz-expected-bucket-owner, and a missing bucket's
// 404 for anonymous requests.
#include "s3cors/errc.hpp"
#include "s3cors/s3/owner.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/s3/store_error.hpp"
#include "s3cors/store/object_store.hpp"

#include <algorithm>
#include <type_traits>

namespace s3cors::s3 {

std::string service::bucket_owner_account(std::string_view bucket) const {
  return bucket_owner(bucket).account_id;
}

std::optional<answer> service::missing_bucket(const request& req, const routed& r,
                                              const request_context& ctx) const {
  const std::string_view bucket = std::visit(
      [](const auto& op) -> std::string_view {
        if constexpr (requires { op.bucket; }) return op.bucket;
        return {};
      },
      r.op);
  if (bucket.empty()) return std::nullopt;
  auto found = store_.stat_bucket(bucket);
  if (found || found.error() != errc::no_such_bucket) return std::nullopt;
  return answer(make_error_response(store_error(found.error(), bucket, {}), ctx, req.verb == method::head),
                "anonymous request for a missing bucket");
}

std::optional<answer> service::check_expected_owner(const request& req, const routed& r,
                                                    const request_context& ctx) const {
  // S3 refuses a request whose expected owner is not the bucket's with 403 AccessDenied, so
  // that a request meant for one's own bucket never acts on someone else's; a value that is
  // not an account id at all (12 digits) is 400 InvalidBucketOwnerAWSAccountID.
  enum class verdict { proceed, not_an_account, other_owner };
  const auto judge = [&](std::string_view header, std::string_view bucket) {
    const auto expected = req.headers.find(header);
    if (!expected || bucket.empty()) return verdict::proceed;
    const bool is_account =
        expected->size() == 12 &&
        std::all_of(expected->begin(), expected->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!is_account) return verdict::not_an_account;
    return *expected == bucket_owner_account(bucket) ? verdict::proceed : verdict::other_owner;
  };
  const verdict outcome = std::visit(
      [&](const auto& op) {
        using op_type = std::decay_t<decltype(op)>;
        verdict out = verdict::proceed;
        if constexpr (std::is_same_v<op_type, preflight_op>) return out;  // never authenticated either
        if constexpr (requires { op.bucket; }) out = judge("x-amz-expected-bucket-owner", op.bucket);
        if constexpr (std::is_same_v<op_type, copy_object_op> || std::is_same_v<op_type, multipart_op>) {
          if (out == verdict::proceed) out = judge("x-amz-source-expected-bucket-owner", op.source_bucket);
        }
        return out;
      },
      r.op);
  const bool is_head = req.verb == method::head;
  switch (outcome) {
    case verdict::proceed:
      return std::nullopt;
    case verdict::not_an_account:
      return answer(
          make_error_response(error_detail(error::invalid_bucket_owner_aws_account_id), ctx, is_head),
          "x-amz-expected-bucket-owner is not an account id");
    case verdict::other_owner:
      return answer(make_error_response(error_detail(error::access_denied), ctx, is_head),
                    "x-amz-expected-bucket-owner does not name the bucket's owner");
  }
  return std::nullopt;
}

}  // namespace s3cors::s3
