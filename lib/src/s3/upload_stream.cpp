#include "s3cors/s3/upload_stream.hpp"

#include "s3cors/errc.hpp"
#include "s3cors/hash/digest.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace s3cors::s3 {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string uppercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::string_view checksum_prefix = "x-amz-checksum-";

using hash::checksum_header;

}  // namespace

// Routes the decoder's output: chunk bytes are stored and feed the chunk signatures.
struct upload_stream::decoded_sink final : aws_chunked_decoder::handler {
  upload_stream& stream;
  explicit decoded_sink(upload_stream& s) : stream(s) {}
  std::optional<error_detail> on_data(std::string_view bytes) override {
    if (stream.chunk_signatures_) stream.chunk_signatures_->update(bytes);
    return stream.store(bytes);
  }
  std::optional<error_detail> on_chunk_end(std::string_view signature) override {
    if (!stream.chunk_signatures_) return std::nullopt;
    return stream.chunk_signatures_->end_chunk(signature);
  }
};

upload_stream::upload_stream(const auth::verified_identity* identity, store::object_writer& writer)
    : identity_(identity), writer_(&writer) {}

upload_stream::upload_stream(upload_stream&&) noexcept = default;
upload_stream& upload_stream::operator=(upload_stream&&) noexcept = default;
upload_stream::~upload_stream() = default;

result<upload_stream, error_detail> upload_stream::start(const header_list& headers,
                                                         const auth::verified_identity* identity,
                                                         store::object_writer& writer) {
  upload_stream out(identity, writer);
  if (const auto content_md5 = headers.find("Content-MD5")) {
    auto digest = hash::base64_decode(*content_md5);
    if (!digest || digest->size() != 16) return error_detail(error::invalid_digest);
    out.content_md5_ = std::move(*digest);
  }
  if (identity && identity->payload == auth::payload_kind::signed_hex) {
    out.payload_sha256_.emplace(hash::algorithm::sha256);
  }
  if (is_aws_chunked(headers)) {
    out.chunked_.emplace();
    if (identity) out.chunk_signatures_.emplace(*identity);
    if (const auto length = headers.find("x-amz-decoded-content-length")) {
      std::uint64_t value = 0;
      const auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), value);
      if (ec != std::errc{} || end != length->data() + length->size()) {
        return error_detail(error::invalid_argument, "Invalid x-amz-decoded-content-length");
      }
      out.decoded_length_ = value;
    }
  }
  // Checksums come as headers or, with aws-chunked, as the trailers x-amz-trailer announces.
  for (const auto& [name, value] : headers.fields()) {
    if (const auto algorithm = hash::checksum_algorithm(name)) {
      out.checksums_.push_back({lowercase(name), value, hash::hasher(*algorithm)});
    }
  }
  const auto trailer = headers.find("x-amz-trailer");
  const bool trailer_kind = headers.find("x-amz-content-sha256").value_or("").ends_with("-TRAILER");
  if (out.chunked_ && trailer_kind && !trailer) {
    // A trailer that was not announced may still come: be ready for any algorithm.
    for (const hash::algorithm algorithm :
         {hash::algorithm::crc32, hash::algorithm::crc32c, hash::algorithm::sha1, hash::algorithm::sha256,
          hash::algorithm::crc64nvme}) {
      bool known = false;
      for (const auto& c : out.checksums_) known = known || c.computed.which() == algorithm;
      if (!known)
        out.checksums_.push_back({std::string(checksum_header(algorithm)), {}, hash::hasher(algorithm)});
    }
  }
  if (trailer && out.chunked_) {
    std::string_view names = *trailer;
    while (!names.empty()) {
      const auto comma = names.find(',');
      std::string name = lowercase(names.substr(0, comma));
      while (!name.empty() && name.back() == ' ') name.pop_back();
      while (!name.empty() && name.front() == ' ') name.erase(0, 1);
      names.remove_prefix(comma == std::string_view::npos ? names.size() : comma + 1);
      const auto algorithm = hash::checksum_algorithm(name);
      if (!algorithm) continue;
      bool known = false;
      for (const auto& c : out.checksums_) known = known || c.name == name;
      if (!known) out.checksums_.push_back({std::move(name), {}, hash::hasher(*algorithm)});
    }
  }
  return out;
}

void upload_stream::compute_by_default(hash::algorithm which) {
  if (!checksums_.empty()) return;
  checksums_.push_back({std::string(checksum_header(which)), {}, hash::hasher(which), true});
}

std::optional<error_detail> upload_stream::store(std::string_view decoded) {
  md5_.update(decoded);
  for (auto& c : checksums_) c.computed.update(decoded);
  if (auto written = writer_->write(decoded); !written) {
    error_detail failure(error::internal_error);
    failure.message = "cannot store the upload: " + written.error().message();
    return failure;
  }
  stored_ += decoded.size();
  return std::nullopt;
}

std::optional<error_detail> upload_stream::write(std::string_view piece) {
  if (payload_sha256_) payload_sha256_->update(piece);
  if (!chunked_) return store(piece);
  decoded_sink sink(*this);
  return chunked_->feed(piece, sink);
}

result<upload_stream::outcome, error_detail> upload_stream::finish() {
  std::optional<aws_chunked_trailers> trailers;
  if (chunked_) {
    auto ended = chunked_->finish();
    if (!ended) return ended.error();
    if (decoded_length_ && *decoded_length_ != stored_) return error_detail(error::incomplete_body);
    if (chunk_signatures_) {
      if (auto forged = chunk_signatures_->finish(*ended)) return *forged;
    }
    trailers = std::move(*ended);
  }
  if (payload_sha256_) {
    const std::string computed = payload_sha256_->finish();
    if (!hash::constant_time_equals(computed, hash::bytes_of(identity_->payload_sha256))) {
      return error_detail(error::x_amz_content_sha256_mismatch)
          .with("ClientComputedContentSHA256", hash::to_hex(hash::bytes_of(identity_->payload_sha256)))
          .with("S3ComputedContentSHA256", hash::to_hex(computed));
    }
  }
  outcome out;
  const std::string md5 = md5_.finish();
  if (content_md5_ && *content_md5_ != md5) return error_detail(error::bad_digest);
  out.md5_hex = hash::to_hex(md5);
  out.size = stored_;
  for (auto& c : checksums_) {
    std::string sent = c.sent;
    if (sent.empty() && trailers) {
      for (const auto& [name, value] : trailers->fields) {
        if (iequals(name, c.name)) sent = value;
      }
    }
    const std::string computed = hash::base64_encode(c.computed.finish());
    if (c.by_default) {
      out.by_default = true;
      out.checksums.emplace_back(c.name, computed);
      continue;
    }
    if (sent.empty()) continue;  // announced as a trailer that never came
    if (computed != sent) {
      return error_detail(error::bad_digest,
                          fmt::format("The {} you specified did not match the calculated checksum.",
                                      uppercase(std::string_view(c.name).substr(checksum_prefix.size()))));
    }
    out.checksums.emplace_back(c.name, std::move(sent));
  }
  return out;
}

}  // namespace s3cors::s3
