#pragma once
// An upload's body (PutObject, UploadPart) as it arrives in pieces: the aws-chunked framing is
// decoded (chunk signatures checked), and x-amz-content-sha256, Content-MD5 and the
// x-amz-checksum-* values (headers or trailers) are computed on the fly and checked at the
// end. The stored bytes go to a store writer; nothing but hash states and a few framing bytes
// is held, whatever the body's size.
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/hash/hasher.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/result.hpp"
#include "s3cors/s3/aws_chunked.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/store/object_store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace s3cors::s3 {

class upload_stream {
 public:
  /// What a verified body yields.
  struct outcome {
    std::string md5_hex;  ///< the ETag of a PutObject or part
    /// The x-amz-checksum-* values that were sent and verified, names lowercase, as S3 echoes them.
    std::vector<std::pair<std::string, std::string>> checksums;
    std::uint64_t size = 0;   ///< stored (decoded) bytes
    bool by_default = false;  ///< checksums holds the one compute_by_default asked for, not one sent
  };

  /// Checks what the headers alone decide: InvalidDigest for a Content-MD5 that is not the
  /// base64 of 16 bytes, InvalidArgument for a bad x-amz-decoded-content-length. identity (may
  /// be null: anonymous or not verified) must outlive the stream, and so must writer.
  [[nodiscard]] static result<upload_stream, error_detail> start(const header_list& headers,
                                                                 const auth::verified_identity* identity,
                                                                 store::object_writer& writer);

  /// When the request carries no checksum (header or trailer), computes this one anyway and
  /// reports it in outcome::checksums, as S3 does with CRC64NVME for every new object.
  void compute_by_default(hash::algorithm which);

  /// The next piece of the body as sent. An error ends the upload (nothing is stored).
  [[nodiscard]] std::optional<error_detail> write(std::string_view piece);
  /// The body ended: IncompleteBody, SignatureDoesNotMatch, XAmzContentSHA256Mismatch,
  /// BadDigest, or what was verified.
  [[nodiscard]] result<outcome, error_detail> finish();

  upload_stream(upload_stream&&) noexcept;
  upload_stream& operator=(upload_stream&&) noexcept;
  ~upload_stream();

 private:
  struct decoded_sink;
  upload_stream(const auth::verified_identity* identity, store::object_writer& writer);
  [[nodiscard]] std::optional<error_detail> store(std::string_view decoded);

  const auth::verified_identity* identity_;
  store::object_writer* writer_;
  hash::hasher md5_{hash::algorithm::md5};
  std::optional<hash::hasher> payload_sha256_;  ///< x-amz-content-sha256 as a hex digest
  std::optional<std::string> content_md5_;      ///< raw 16 bytes from Content-MD5
  /// Checksums to verify: the header name (lowercase), the value sent in a header (empty when
  /// it comes as a trailer), and the running computation.
  struct checksum {
    std::string name;
    std::string sent;
    hash::hasher computed;
    bool by_default = false;  ///< not sent: computed and reported, nothing to verify
  };
  std::vector<checksum> checksums_;
  std::optional<aws_chunked_decoder> chunked_;
  std::optional<auth::chunk_signature_verifier> chunk_signatures_;
  std::optional<std::uint64_t> decoded_length_;  ///< x-amz-decoded-content-length
  std::uint64_t stored_ = 0;
};

}  // namespace s3cors::s3
