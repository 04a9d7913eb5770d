#pragma once
// Constants every S3 document of s3cors shares.
#include <string_view>

namespace s3cors::s3 {

inline constexpr std::string_view s3_xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
// A fixed principal: s3cors has one owner until credentials arrive.
inline constexpr std::string_view owner_id =
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";
inline constexpr std::string_view owner_name = "s3cors";
// The 12-digit AWS account id of the local-development owner and of credentials that name no
// account (identity.hpp), which x-amz-expected-bucket-owner is checked against.
inline constexpr std::string_view owner_account_id = "123456789012";

}  // namespace s3cors::s3
