// Object records: metadata set at upload lives beside the object, outside the key namespace,
// survives a restart, and is dropped when the file is replaced by hand.
#include "s3cors/store/fs_store.hpp"

#include "s3cors/http/request.hpp"
#include "s3cors/store/object_attributes.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;
using s3cors::store::fs_store;
using s3cors::store::fs_store_options;
using s3cors::store::object_attributes;
using s3cors::test::temp_dir;

namespace {

object_attributes sample_attributes() {
  object_attributes attributes;
  attributes.headers = {
      {"Content-Type", "video/mp2t"}, {"Cache-Control", "max-age=60"}, {"x-amz-meta-camera", "a"}};
  attributes.checksums = {{"x-amz-checksum-crc32", "DUoRhQ=="}};
  return attributes;
}

}  // namespace

TEST_CASE("object_attributes: from request headers, as S3 stores them", "[fs_records]") {
  s3cors::header_list headers;
  headers.add("content-type", "text/plain");
  headers.add("Content-Encoding", "aws-chunked, gzip");
  headers.add("X-Amz-Meta-Camera-Id", "North Gate");
  headers.add("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  headers.add("Authorization", "ignored");
  const object_attributes attributes = s3cors::store::attributes_from_request(headers);
  CHECK(attributes.header("Content-Type") == "text/plain");
  CHECK(attributes.header("Content-Encoding") == "gzip");  // aws-chunked describes the transfer only
  CHECK(attributes.header("x-amz-meta-camera-id") == "North Gate");
  CHECK(attributes.headers.size() == 3);

  s3cors::header_list only_chunked;
  only_chunked.add("Content-Encoding", "aws-chunked");
  CHECK(s3cors::store::attributes_from_request(only_chunked).empty());
}

TEST_CASE("object_attributes: the record round-trips and refuses what it did not write", "[fs_records]") {
  object_attributes attributes = sample_attributes();
  attributes.etag = "0123-2";
  attributes.acl = "public-read";
  const auto parsed = s3cors::store::parse_object_attributes(s3cors::store::serialize(attributes));
  REQUIRE(parsed.has_value());
  CHECK(parsed->headers == attributes.headers);
  CHECK(parsed->checksums == attributes.checksums);
  CHECK(parsed->etag == "0123-2");
  CHECK(parsed->acl == "public-read");
  CHECK_FALSE(s3cors::store::parse_object_attributes("not json").has_value());
  CHECK_FALSE(s3cors::store::parse_object_attributes(R"({"headers": [["a"]]})").has_value());
  CHECK_FALSE(s3cors::store::parse_object_attributes("[]").has_value());
}

TEST_CASE("fs_store: attributes given to put_object come back from stat/open, also after a restart",
          "[fs_records]") {
  temp_dir root;
  root.write("media/.keep-bucket", "");
  fs::remove(root.path() / "media/.keep-bucket");
  {
    fs_store store(fs_store_options{root.path()});
    const auto stored = store.put_object("media", "seg/1.ts", "segment bytes", sample_attributes());
    REQUIRE(stored.has_value());
    REQUIRE(stored->attributes != nullptr);
    CHECK(stored->attributes->header("Cache-Control") == "max-age=60");
    const auto info = store.stat("media", "seg/1.ts");
    REQUIRE(info.has_value());
    REQUIRE(info->attributes != nullptr);
    CHECK(info->attributes->headers == sample_attributes().headers);
    CHECK(info->etag == stored->etag);
  }
  fs_store restarted(fs_store_options{root.path()});
  const auto opened = restarted.open("media", "seg/1.ts");
  REQUIRE(opened.has_value());
  REQUIRE(opened->info.attributes != nullptr);
  CHECK(opened->info.attributes->checksums == sample_attributes().checksums);
  CHECK(restarted.etag_computations() == 0);  // the record carries the ETag
  // Outside the key namespace: the bucket folder holds only the object.
  CHECK(fs::is_regular_file(root.path() / "media/seg/1.ts"));
  std::size_t entries = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root.path() / "media")) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 2);  // seg/ and seg/1.ts
}

TEST_CASE("fs_store: a file replaced by hand, or rewritten without metadata, has none", "[fs_records]") {
  temp_dir root;
  root.write("media/x", "");
  fs_store store(fs_store_options{root.path()});
  REQUIRE(store.put_object("media", "a.ts", "first", sample_attributes()).has_value());
  REQUIRE(store.stat("media", "a.ts")->attributes != nullptr);

  root.write("media/a.ts", "dropped in by hand, longer");
  const auto by_hand = store.stat("media", "a.ts");
  REQUIRE(by_hand.has_value());
  CHECK(by_hand->attributes == nullptr);

  REQUIRE(store.put_object("media", "b.ts", "first", sample_attributes()).has_value());
  REQUIRE(store.put_object("media", "b.ts", "second", {}).has_value());
  CHECK(store.stat("media", "b.ts")->attributes == nullptr);

  REQUIRE(store.put_object("media", "c.ts", "first", sample_attributes()).has_value());
  REQUIRE(store.delete_object("media", "c.ts").has_value());
  REQUIRE(store.put_object("media", "c.ts", "first", {}).has_value());
  CHECK(store.stat("media", "c.ts")->attributes == nullptr);
}

TEST_CASE("fs_store: a multipart upload's metadata and ETag go to the completed object", "[fs_records]") {
  temp_dir root;
  root.write("media/x", "");
  fs_store store(fs_store_options{root.path()});
  const auto id = store.create_upload("media", "big.mp4", sample_attributes());
  REQUIRE(id.has_value());
  REQUIRE(store.put_part("media", *id, 1, "part one").has_value());
  const auto done = store.complete_upload("media", *id, {1}, "abcdef-1");
  REQUIRE(done.has_value());
  fs_store restarted(fs_store_options{root.path()});
  const auto info = restarted.stat("media", "big.mp4");
  REQUIRE(info.has_value());
  CHECK(info->etag == "abcdef-1");
  REQUIRE(info->attributes != nullptr);
  CHECK(info->attributes->header("x-amz-meta-camera") == "a");
}
