#include "s3cors/store/fs_store.hpp"

#include "s3cors/errc.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/s3/multipart.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using s3cors::errc;
using s3cors::store::fs_store;
using s3cors::store::fs_store_options;
using s3cors::test::temp_dir;

namespace {

// Every path below dir, relative to it, sorted.
std::vector<std::string> tree(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(entry.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string read_all(const s3cors::store::readable_object& body) {
  std::string out(body.size(), '\0');
  const auto n = body.read_at(0, out);
  REQUIRE(n.has_value());
  out.resize(*n);
  return out;
}

struct fixture {
  temp_dir dir;
  fs_store store;
  fixture() : store(fs_store_options{dir.path(), false}) {
    REQUIRE(store.create_bucket("media").has_value());
  }
};

}  // namespace

TEST_CASE("fs_multipart: parts live outside the key namespace until complete", "[fs_multipart]") {
  fixture f;
  f.dir.write("media/existing.txt", "old");
  const auto before = tree(f.dir.path() / "media");
  auto id = f.store.create_upload("media", "dir/video.mp4", {});
  REQUIRE(id.has_value());
  CHECK(id->size() == 32);
  CHECK(id->find_first_not_of("0123456789abcdef") == std::string::npos);
  auto part1 = f.store.put_part("media", *id, 1, "hello ");
  REQUIRE(part1.has_value());
  CHECK(part1->number == 1);
  CHECK(part1->size == 6);
  CHECK(part1->etag == s3cors::store::md5_hex("hello "));
  auto part2 = f.store.put_part("media", *id, 2, "world");
  REQUIRE(part2.has_value());

  CHECK(tree(f.dir.path() / "media") == before);
  auto listed = f.store.list_objects("media", {});
  REQUIRE(listed.has_value());
  CHECK(listed->size() == 1);
  CHECK(fs::exists(f.dir.path() / ".s3cors" / "uploads" / "media" / *id / "meta"));

  auto upload = f.store.get_upload("media", *id);
  REQUIRE(upload.has_value());
  CHECK(upload->key == "dir/video.mp4");
  auto parts = f.store.list_parts("media", *id);
  REQUIRE(parts.has_value());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].number == 1);
  CHECK((*parts)[0].etag == part1->etag);
  CHECK((*parts)[1].size == 5);

  auto uploads = f.store.list_uploads("media");
  REQUIRE(uploads.has_value());
  REQUIRE(uploads->size() == 1);
  CHECK((*uploads)[0].upload_id == *id);

  auto completed = f.store.complete_upload("media", *id, {1, 2}, "0123456789abcdef0123456789abcdef-2");
  REQUIRE(completed.has_value());
  CHECK(completed->size == 11);
  CHECK(completed->etag == "0123456789abcdef0123456789abcdef-2");
  CHECK(read_file(f.dir.path() / "media" / "dir" / "video.mp4") == "hello world");
  // Only the result stays, for a retried completion.
  CHECK(fs::exists(f.dir.path() / ".s3cors" / "uploads" / "media" / *id / "completed"));
  CHECK_FALSE(fs::exists(f.dir.path() / ".s3cors" / "uploads" / "media" / *id / "meta"));
  CHECK_FALSE(fs::exists(f.dir.path() / ".s3cors" / "uploads" / "media" / *id / "part-00001"));
  CHECK(f.store.get_upload("media", *id).error() == errc::no_such_upload);
  CHECK(f.store.list_uploads("media")->empty());
  // Nothing is left behind in the temp folder.
  CHECK(tree(f.dir.path() / ".s3cors" / "tmp").empty());
}

TEST_CASE("fs_multipart: the multipart ETag is served by stat and open while the file is unchanged",
          "[fs_multipart]") {
  fixture f;
  auto id = f.store.create_upload("media", "a/b.bin", {});
  REQUIRE(id.has_value());
  REQUIRE(f.store.put_part("media", *id, 1, "abc").has_value());
  REQUIRE(f.store.complete_upload("media", *id, {1}, "feedfeedfeedfeedfeedfeedfeedfeed-1").has_value());

  auto info = f.store.stat("media", "a/b.bin");
  REQUIRE(info.has_value());
  CHECK(info->etag == "feedfeedfeedfeedfeedfeedfeedfeed-1");
  CHECK(info->size == 3);
  auto opened = f.store.open("media", "a/b.bin");
  REQUIRE(opened.has_value());
  CHECK(opened->info.etag == "feedfeedfeedfeedfeedfeedfeedfeed-1");
  CHECK(read_all(*opened->body) == "abc");
  auto listed = f.store.list_objects("media", {});
  REQUIRE(listed.has_value());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].etag == "feedfeedfeedfeedfeedfeedfeedfeed-1");

  SECTION("a fresh store (restart) still serves it") {
    fs_store again(fs_store_options{f.dir.path(), false});
    CHECK(again.stat("media", "a/b.bin")->etag == "feedfeedfeedfeedfeedfeedfeedfeed-1");
  }
  SECTION("a later PutObject replaces it with the content MD5") {
    REQUIRE(f.store.put_object("media", "a/b.bin", "xyz", {}).has_value());
    CHECK(f.store.stat("media", "a/b.bin")->etag == s3cors::store::md5_hex("xyz"));
  }
  SECTION("a rewrite outside the store replaces it with the content MD5") {
    f.dir.write("media/a/b.bin", "rewritten");
    fs_store again(fs_store_options{f.dir.path(), false});
    CHECK(again.stat("media", "a/b.bin")->etag == s3cors::store::md5_hex("rewritten"));
  }
}

TEST_CASE("fs_multipart: complete replaces an existing object atomically", "[fs_multipart]") {
  fixture f;
  REQUIRE(f.store.put_object("media", "k", "previous", {}).has_value());
  auto id = f.store.create_upload("media", "k", {});
  REQUIRE(id.has_value());
  REQUIRE(f.store.put_part("media", *id, 1, "new ").has_value());
  REQUIRE(f.store.put_part("media", *id, 2, "content").has_value());
  // A reader holding the old object keeps reading the old bytes.
  auto old_object = f.store.open("media", "k");
  REQUIRE(old_object.has_value());
  REQUIRE(f.store.complete_upload("media", *id, {1, 2}, "00000000000000000000000000000000-2").has_value());
  CHECK(read_all(*old_object->body) == "previous");
  CHECK(read_file(f.dir.path() / "media" / "k") == "new content");
}

TEST_CASE("fs_multipart: a missing part fails complete and leaves the object and upload alone",
          "[fs_multipart]") {
  fixture f;
  REQUIRE(f.store.put_object("media", "k", "previous", {}).has_value());
  auto id = f.store.create_upload("media", "k", {});
  REQUIRE(id.has_value());
  REQUIRE(f.store.put_part("media", *id, 1, "one").has_value());
  auto completed = f.store.complete_upload("media", *id, {1, 2}, "00000000000000000000000000000000-2");
  CHECK(completed.error() == errc::no_such_upload);
  CHECK(read_file(f.dir.path() / "media" / "k") == "previous");
  CHECK(f.store.get_upload("media", *id).has_value());
  CHECK(tree(f.dir.path() / ".s3cors" / "tmp").empty());
}

TEST_CASE("fs_multipart: abort removes the upload's files", "[fs_multipart]") {
  fixture f;
  auto id = f.store.create_upload("media", "k", {});
  REQUIRE(id.has_value());
  REQUIRE(f.store.put_part("media", *id, 1, "x").has_value());
  REQUIRE(f.store.abort_upload("media", *id).has_value());
  CHECK_FALSE(fs::exists(f.dir.path() / ".s3cors" / "uploads" / "media" / *id));
  CHECK(f.store.abort_upload("media", *id).error() == errc::no_such_upload);
  CHECK(f.store.put_part("media", *id, 1, "x").error() == errc::no_such_upload);
  CHECK(f.store.list_parts("media", *id).error() == errc::no_such_upload);
}

TEST_CASE("fs_multipart: errors for unknown buckets, keys and ids", "[fs_multipart]") {
  fixture f;
  CHECK(f.store.create_upload("nothere", "k", {}).error() == errc::no_such_bucket);
  CHECK(f.store.create_upload("media", "a/../b", {}).error() == errc::invalid_key);
  CHECK(f.store.create_upload("media", "", {}).error() == errc::invalid_key);
  CHECK(f.store.list_uploads("nothere").error() == errc::no_such_bucket);
  CHECK(f.store.list_uploads("media")->empty());
  // Ids that are not ours never reach the disk.
  for (const std::string id : {"", "..", "../../media", "0123456789abcdef0123456789abcdeF", "x"}) {
    CAPTURE(id);
    CHECK(f.store.get_upload("media", id).error() == errc::no_such_upload);
    CHECK(f.store.abort_upload("media", id).error() == errc::no_such_upload);
  }
}

TEST_CASE("fs_multipart: uploads are listed by key", "[fs_multipart]") {
  fixture f;
  auto b = f.store.create_upload("media", "b", {});
  auto a = f.store.create_upload("media", "a", {});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  auto uploads = f.store.list_uploads("media");
  REQUIRE(uploads.has_value());
  REQUIRE(uploads->size() == 2);
  CHECK((*uploads)[0].key == "a");
  CHECK((*uploads)[1].key == "b");
}

TEST_CASE("fs_multipart: remove_uploads_older_than removes abandoned uploads only", "[fs_multipart]") {
  fixture f;
  auto id = f.store.create_upload("media", "k", {});
  REQUIRE(id.has_value());
  REQUIRE(f.store.put_part("media", *id, 1, "x").has_value());
  const auto initiated = f.store.get_upload("media", *id)->initiated;
  CHECK(f.store.remove_uploads_older_than(initiated).value() == 0);
  CHECK(f.store.get_upload("media", *id).has_value());
  CHECK(f.store.remove_uploads_older_than(initiated + std::chrono::seconds{1}).value() == 1);
  CHECK(f.store.get_upload("media", *id).error() == errc::no_such_upload);
  CHECK_FALSE(fs::exists(f.dir.path() / ".s3cors" / "uploads" / "media" / *id));
}

TEST_CASE("fs_multipart: the core handlers run the whole flow on disk", "[fs_multipart]") {
  fixture f;
  const s3cors::s3::request_context ctx{};
  const std::string big(s3cors::s3::min_part_size, 'z');
  auto id = f.store.create_upload("media", "movie", {});
  REQUIRE(id.has_value());
  REQUIRE(s3cors::s3::upload_part(f.store, "media", "movie", *id, "1", big, ctx).res.status == 200);
  REQUIRE(s3cors::s3::upload_part(f.store, "media", "movie", *id, "2", "end", ctx).res.status == 200);
  const std::string body = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                           s3cors::store::md5_hex(big) +
                           "</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"" +
                           s3cors::store::md5_hex("end") + "\"</ETag></Part></CompleteMultipartUpload>";
  const auto res = s3cors::s3::complete_multipart_upload(f.store, "media", "movie", *id, body, ctx).res;
  REQUIRE(res.status == 200);
  const std::string expected =
      s3cors::s3::multipart_etag({s3cors::store::md5_hex(big), s3cors::store::md5_hex("end")});
  CHECK(f.store.stat("media", "movie")->etag == expected);
  CHECK(f.store.stat("media", "movie")->size == big.size() + 3);
}
