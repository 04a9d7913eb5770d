// Object records: metadata set at upload lives beside the object, outside the key namespace,
// survives a restart, and is dropped when the file is replaced by hand.
#include "s3cors/store/fs_store.hpp"

#include "s3cors/errc.hpp"
#include "s3cors/http/request.hpp"
#include "s3cors/store/object_attributes.hpp"
#include "store/fs_util.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

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
  CHECK(parsed->owner_id.empty());
  // The owner, and a record written before owners were recorded.
  attributes.owner_id = "abc";
  attributes.owner_name = "Alice";
  attributes.owner_account = "111111111111";
  const auto owned = s3cors::store::parse_object_attributes(s3cors::store::serialize(attributes));
  REQUIRE(owned.has_value());
  CHECK(owned->owner_id == "abc");
  CHECK(owned->owner_name == "Alice");
  CHECK(owned->owner_account == "111111111111");
  CHECK(s3cors::store::parse_object_attributes(R"({"acl": "public-read"})")->owner_id.empty());
  CHECK_FALSE(s3cors::store::parse_object_attributes(R"({"owner": "abc"})").has_value());
  CHECK_FALSE(s3cors::store::parse_object_attributes("not json").has_value());
  CHECK_FALSE(s3cors::store::parse_object_attributes(R"({"headers": [["a"]]})").has_value());
  CHECK_FALSE(s3cors::store::parse_object_attributes("[]").has_value());
}

TEST_CASE("object_attributes: tags round-trip, and records without them still read", "[fs_records]") {
  object_attributes attributes = sample_attributes();
  attributes.tags = {{"b", "2"}, {"a", ""}};
  const std::string record = s3cors::store::serialize(attributes);
  const auto parsed = s3cors::store::parse_object_attributes(record);
  REQUIRE(parsed.has_value());
  CHECK(parsed->tags == attributes.tags);
  CHECK(parsed->headers == attributes.headers);
  // A record written before tags existed.
  const auto old = s3cors::store::parse_object_attributes(R"({"headers":[["Content-Type","text/plain"]]})");
  REQUIRE(old.has_value());
  CHECK(old->tags.empty());
  CHECK_FALSE(s3cors::store::parse_object_attributes(R"({"tags":[["k"]]})").has_value());
  object_attributes only_tags;
  only_tags.tags = {{"k", "v"}};
  CHECK_FALSE(only_tags.empty());
}

TEST_CASE("object_attributes: RFC 2047 metadata is stored decoded and sent encoded", "[fs_records]") {
  s3cors::header_list headers;
  headers.add("x-amz-meta-b", "=?UTF-8?B?Y2Fmw6k=?=");
  headers.add("x-amz-meta-q", "=?utf-8?q?a_b=C3=A9?= =?UTF-8?B?IQ==?=");
  headers.add("x-amz-meta-other", "=?ISO-8859-1?Q?caf=E9?=");
  headers.add("x-amz-meta-broken", "=?UTF-8?B?***?=");
  const object_attributes attributes = s3cors::store::attributes_from_request(headers);
  CHECK(attributes.header("x-amz-meta-b") == "caf\xC3\xA9");
  CHECK(attributes.header("x-amz-meta-q") == "a b\xC3\xA9!");
  CHECK(attributes.header("x-amz-meta-other") == "=?ISO-8859-1?Q?caf=E9?=");
  CHECK(attributes.header("x-amz-meta-broken") == "=?UTF-8?B?***?=");
  CHECK(s3cors::store::metadata_value_for_response("plain ascii") == "plain ascii");
  CHECK(s3cors::store::metadata_value_for_response("caf\xC3\xA9") == "=?UTF-8?B?Y2Fmw6k=?=");
}

TEST_CASE("object_attributes: Content-Encoding without aws-chunked is kept verbatim", "[fs_records]") {
  s3cors::header_list headers;
  headers.add("Content-Encoding", "gzip,  br");
  CHECK(s3cors::store::attributes_from_request(headers).header("Content-Encoding") == "gzip,  br");
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

namespace {

object_attributes typed(const std::string& type) {
  object_attributes attributes;
  attributes.headers = {{"Content-Type", type}};
  return attributes;
}

std::string content_of(const s3cors::store::opened_object& opened) {
  std::string out(opened.info.size, '\0');
  const auto n = opened.body->read_at(0, std::span<char>(out.data(), out.size()));
  return n ? out.substr(0, *n) : std::string{};
}

// The Content-Type each write below gives its bytes: "x/" + the bytes.
bool belongs_together(const s3cors::store::opened_object& opened) {
  return opened.info.attributes != nullptr &&
         opened.info.attributes->header("Content-Type") == "x/" + content_of(opened);
}

std::size_t count_records(const fs::path& root) {
  std::size_t records = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root / ".s3cors/records")) {
    if (entry.is_regular_file()) ++records;
  }
  return records;
}

// Makes every record look written ten minutes ago.
void age_records(const fs::path& root) {
  for (const auto& entry : fs::recursive_directory_iterator(root / ".s3cors/records")) {
    if (entry.is_regular_file()) {
      fs::last_write_time(entry.path(), fs::file_time_type::clock::now() - std::chrono::minutes{10});
    }
  }
}

}  // namespace

TEST_CASE("fs_store: with many writers per key, the object and its metadata always come from the same write",
          "[fs_records][concurrency]") {
  temp_dir root;
  root.write("media/x", "");
  fs_store store(fs_store_options{root.path()});
  constexpr int writers = 8;
  constexpr int rounds = 60;
  std::atomic<int> mismatched_reads{0};
  for (int round = 0; round < rounds; ++round) {
    std::atomic<bool> writing{true};
    // A reader checks every version it sees while the writers race.
    std::thread reader([&] {
      while (writing.load()) {
        if (auto opened = store.open("media", "k.ts"); opened && !belongs_together(*opened)) {
          if (++mismatched_reads < 5)
            std::fprintf(stderr, "read '%s' with '%s'\n", content_of(*opened).c_str(),
                         std::string(opened->info.attributes
                                         ? opened->info.attributes->header("Content-Type").value_or("?")
                                         : "none")
                             .c_str());
        }
      }
    });
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        const std::string body = "round " + std::to_string(round) + " writer " + std::to_string(w);
        CHECK(store.put_object("media", "k.ts", body, typed("x/" + body)).has_value());
      });
    }
    for (auto& thread : threads) thread.join();
    writing = false;
    reader.join();
    const auto opened = store.open("media", "k.ts");
    REQUIRE(opened.has_value());
    REQUIRE(belongs_together(*opened));
  }
  CHECK(mismatched_reads == 0);
  fs_store restarted(fs_store_options{root.path()});
  const auto opened = restarted.open("media", "k.ts");
  REQUIRE(opened.has_value());
  CHECK(belongs_together(*opened));
}

namespace {

// The store the race hook rewrites the key through, and how many reads it is to interrupt.
fs_store* rewriting_store = nullptr;
int interruptions_left = 0;

// Between a read's open and its record: ten more writes of the key, more than the records of
// superseded versions kept (eight), so the opened version's record is retired.
void rewrite_key_ten_times() {
  if (interruptions_left == 0) return;
  --interruptions_left;
  for (int i = 0; i < 10; ++i) {
    const std::string body = "rewrite " + std::to_string(i);
    REQUIRE(rewriting_store->put_object("media", "k.ts", body, typed("x/" + body)).has_value());
  }
}

}  // namespace

TEST_CASE("fs_store: a read whose version is rewritten past the kept records reads the newer version",
          "[fs_records][concurrency]") {
  temp_dir root;
  root.write("media/x", "");
  fs_store store(fs_store_options{root.path()});
  REQUIRE(store.put_object("media", "k.ts", "first", typed("x/first")).has_value());
  rewriting_store = &store;
  s3cors::store::detail::version_opened_hook = rewrite_key_ten_times;
  struct hook_reset {
    ~hook_reset() { s3cors::store::detail::version_opened_hook = nullptr; }
  } reset;

  SECTION("open") {
    interruptions_left = 1;
    const auto opened = store.open("media", "k.ts");
    REQUIRE(opened.has_value());
    CHECK(content_of(*opened) == "rewrite 9");
    CHECK(belongs_together(*opened));
  }
  SECTION("stat") {
    interruptions_left = 1;
    const auto info = store.stat("media", "k.ts");
    REQUIRE(info.has_value());
    REQUIRE(info->attributes != nullptr);
    CHECK(info->attributes->header("Content-Type") == "x/rewrite 9");
    CHECK(info->size == std::string("rewrite 9").size());
  }
  SECTION("a key rewritten at every read is answered after a few reads, without its metadata") {
    interruptions_left = 100;
    const auto opened = store.open("media", "k.ts");
    REQUIRE(opened.has_value());
    CHECK(interruptions_left == 100 - fs_store::version_attempts);
  }
}

namespace {

enum class write_kind { put, complete };

// In a child process, writes media/k.ts with new bytes and metadata and is killed at
// crash point `point`; returns the child's exit status (137 when killed there).
int crash_while_writing(const fs::path& root, write_kind kind, const char* point) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::setenv("S3CORS_TEST_CRASH_AT", point, 1);
    fs_store store(fs_store_options{root});
    bool ok = false;
    if (kind == write_kind::put) {
      ok = store.put_object("media", "k.ts", "new bytes", typed("x/new bytes")).has_value();
    } else {
      const auto id = store.create_upload("media", "k.ts", typed("x/new bytes"));
      ok = id && store.put_part("media", *id, 1, "new bytes") &&
           store.complete_upload("media", *id, {1}, "0123456789abcdef0123456789abcdef-1");
    }
    std::_Exit(ok ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

}  // namespace

TEST_CASE(
    "fs_store: a write killed at any step leaves the old object with its metadata or the new with its own",
    "[fs_records][crash]") {
  const auto kind = GENERATE(write_kind::put, write_kind::complete);
  struct crash_case {
    const char* point;
    bool published;  // the new version is the object after the crash
  };
  const auto [point, published] = GENERATE(values<crash_case>(
      {{"object-record-pending", false}, {"object-renamed", true}, {"object-record-final", true}}));
  CAPTURE(point, kind == write_kind::put ? "PutObject" : "CompleteMultipartUpload");
  temp_dir root;
  root.write("media/x", "");
  {
    fs_store store(fs_store_options{root.path()});
    REQUIRE(store.put_object("media", "k.ts", "old bytes", typed("x/old bytes")).has_value());
  }
  REQUIRE(crash_while_writing(root.path(), kind, point) == 137);  // killed at that very step

  fs_store restarted(fs_store_options{root.path()});
  const auto opened = restarted.open("media", "k.ts");
  REQUIRE(opened.has_value());
  CHECK(content_of(*opened) == (published ? "new bytes" : "old bytes"));
  CHECK(belongs_together(*opened));
  if (published && kind == write_kind::complete)
    CHECK(opened->info.etag == "0123456789abcdef0123456789abcdef-1");
  if (std::string_view(point) == "object-renamed") {
    // Left with its pending stamp, the record matches only a file changed at its rename, not
    // one changed in place minutes after the record was written (as an aged record makes it).
    age_records(root.path());
    fs_store later(fs_store_options{root.path()});
    CHECK(later.open("media", "k.ts")->info.attributes == nullptr);
  }
}

TEST_CASE("fs_store: records of replaced versions are removed after a grace period for their readers",
          "[fs_records]") {
  temp_dir root;
  root.write("media/x", "");
  fs_store store(fs_store_options{root.path()});
  REQUIRE(store.put_object("media", "k.ts", "one", typed("x/one")).has_value());
  const auto first = store.open("media", "k.ts");  // a reader of version one
  REQUIRE(store.put_object("media", "k.ts", "two", typed("x/two")).has_value());
  CHECK(count_records(root.path()) == 2);
  age_records(root.path());
  // Replaced just now, version two's record stays; one's was replaced long enough ago.
  REQUIRE(store.put_object("media", "k.ts", "three", typed("x/three")).has_value());
  CHECK(count_records(root.path()) == 2);
  age_records(root.path());
  REQUIRE(store.delete_object("media", "k.ts").has_value());
  CHECK(count_records(root.path()) == 1);  // three's, in its grace period
  age_records(root.path());
  REQUIRE(store.put_object("media", "k.ts", "four", typed("x/four")).has_value());
  CHECK(count_records(root.path()) == 1);
  CHECK(belongs_together(*store.open("media", "k.ts")));
  REQUIRE(first.has_value());
  CHECK(belongs_together(*first));
  // A key rewritten over and over keeps the current record and at most eight others. (Fewer
  // when the loop outlasts the grace period on a loaded machine: the bound is what matters.)
  for (int i = 0; i < 30; ++i) {
    const std::string body = "rewrite " + std::to_string(i);
    REQUIRE(store.put_object("media", "k.ts", body, typed("x/" + body)).has_value());
  }
  const auto kept = count_records(root.path());
  CHECK(kept >= 1);
  CHECK(kept <= 9);
  CHECK(belongs_together(*store.open("media", "k.ts")));
}

TEST_CASE("fs_store: a record stops applying when its file is rewritten in place, size and mtime restored",
          "[fs_records]") {
  temp_dir root;
  root.write("media/x", "");
  fs_store store(fs_store_options{root.path()});
  REQUIRE(store.put_object("media", "a.ts", "hello", typed("x/hello")).has_value());
  const fs::path file = root.path() / "media/a.ts";
  struct ::stat before {};
  REQUIRE(::stat(file.c_str(), &before) == 0);
  {
    std::fstream rewrite(file, std::ios::in | std::ios::out | std::ios::binary);
    rewrite.write("j", 1);  // same size, new content
  }
  const std::array<::timespec, 2> times{before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times.data(), 0) == 0);
  for (fs_store* reader : {&store}) {
    const auto info = reader->stat("media", "a.ts");
    REQUIRE(info.has_value());
    CHECK(info->etag == s3cors::store::md5_hex("jello"));
    CHECK(info->attributes == nullptr);
  }
  fs_store restarted(fs_store_options{root.path()});
  CHECK(restarted.stat("media", "a.ts")->etag == s3cors::store::md5_hex("jello"));
}

TEST_CASE("fs_store: records of the older layout (one per key) are kept across the upgrade", "[fs_records]") {
  temp_dir root;
  root.write("media/x", "");
  const fs::path file = root.write("media/a.ts", "payload");
  struct ::stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  const std::string stamp = std::to_string(st.st_dev) + ' ' + std::to_string(st.st_ino) + ' ' +
                            std::to_string(st.st_size) + ' ' + std::to_string(st.st_mtim.tv_sec) + ' ' +
                            std::to_string(st.st_mtim.tv_nsec);
  root.write(".s3cors/meta/media/" + s3cors::store::md5_hex("a.ts"),
             stamp + "\na.ts\n" + s3cors::store::serialize(typed("x/payload")));
  fs_store store(fs_store_options{root.path()});
  const auto opened = store.open("media", "a.ts");
  REQUIRE(opened.has_value());
  CHECK(belongs_together(*opened));
  CHECK_FALSE(fs::exists(root.path() / ".s3cors/meta"));
}

TEST_CASE("fs_store: a bucket folder on another file system takes uploads atomically, leaving nothing behind",
          "[fs_records][devices]") {
  // /dev/shm is a tmpfs, another file system than the temp folder's; skip where it is not.
  temp_dir root;
  root.write("media/x", "");
  char pattern[] = "/dev/shm/s3cors-linked-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    WARN("no /dev/shm: cross-device uploads not tested");
    return;
  }
  const fs::path linked = pattern;
  struct ::stat root_st {};
  struct ::stat linked_st {};
  REQUIRE(::stat(root.path().c_str(), &root_st) == 0);
  REQUIRE(::stat(linked.c_str(), &linked_st) == 0);
  if (root_st.st_dev == linked_st.st_dev) {
    fs::remove_all(linked);
    WARN("/dev/shm is on the temp folder's file system: cross-device uploads not tested");
    return;
  }
  // The bucket "far" is a link to a folder on the other file system.
  fs::create_directory_symlink(linked, root.path() / "far");
  auto only_objects = [&] {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(linked / "sub"))
      names.push_back(entry.path().filename().string());
    return names;
  };
  {
    fs_store store(fs_store_options{root.path(), true});
    REQUIRE(store.put_object("far", "sub/a.ts", "across", typed("x/across")).has_value());
    const auto opened = store.open("far", "sub/a.ts");
    REQUIRE(opened.has_value());
    CHECK(belongs_together(*opened));
    CHECK(only_objects() == std::vector<std::string>{"a.ts"});
    const auto id = store.create_upload("far", "sub/b.ts", typed("x/parts"));
    REQUIRE(id.has_value());
    REQUIRE(store.put_part("far", *id, 1, "parts").has_value());
    REQUIRE(store.complete_upload("far", *id, {1}, "0123456789abcdef0123456789abcdef-1").has_value());
    CHECK(belongs_together(*store.open("far", "sub/b.ts")));
    // A reserved name is neither listed nor reachable, whoever put it there.
    std::ofstream(linked / "sub/.s3cors-upload-7") << "partial";
    const auto listed = store.list_objects("far", {});
    REQUIRE(listed.has_value());
    std::vector<std::string> keys;
    for (const auto& object : *listed) keys.push_back(object.key);
    CHECK(keys == std::vector<std::string>{"sub/a.ts", "sub/b.ts"});
    CHECK(store.open("far", "sub/.s3cors-upload-7").error() == s3cors::errc::invalid_key);
    fs::remove(linked / "sub/.s3cors-upload-7");
  }
  // Killed between giving the complete copy its reserved name and renaming it over the
  // target: the restart removes it.
  const pid_t child = ::fork();
  if (child == 0) {
    ::setenv("S3CORS_TEST_CRASH_AT", "object-near-linked", 1);
    fs_store store(fs_store_options{root.path(), true});
    (void)store.put_object("far", "sub/a.ts", "newer", typed("x/newer"));
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 137));
  CHECK(only_objects().size() == 3);  // a.ts, b.ts and the reserved copy
  {
    fs_store restarted(fs_store_options{root.path(), true});
    auto names = only_objects();
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"a.ts", "b.ts"});
    CHECK(content_of(*restarted.open("far", "sub/a.ts")) == "across");
  }
  fs::remove_all(linked);
}

TEST_CASE("fs_store: which versions of a file a record's stamp applies to", "[fs_records]") {
  using s3cors::store::detail::file_version;
  using s3cors::store::detail::match_record_stamp;
  using s3cors::store::detail::stamp_match;
  // Inode 7, size 5, mtime 100.000000001, confirmed at ctime 200.000000500.
  const std::string final_stamp = "7 5 100 1 200 500";
  const auto version = [](std::int64_t ctime_sec, std::int64_t ctime_nsec, bool unlinked = false,
                          ::off_t size = 5) {
    file_version v;
    v.ino = 7;
    v.size = size;
    v.mtime_sec = 100;
    v.mtime_nsec = 1;
    v.ctime_sec = ctime_sec;
    v.ctime_nsec = ctime_nsec;
    v.unlinked = unlinked;
    return v;
  };
  struct row {
    const char* what;
    std::string stamp;
    file_version v;
    stamp_match expected;
  };
  const row rows[] = {
      {"the version it was confirmed at", final_stamp, version(200, 500), stamp_match::applies},
      // A reader that looked before a later link or rename (a key moved into its folder).
      {"the same content seen before the record's ctime", final_stamp, version(200, 499),
       stamp_match::applies},
      {"the same content seen a second earlier", final_stamp, version(199, 900), stamp_match::applies},
      // cp --preserve=timestamps: same size and mtime, rewritten after the record.
      {"the same content identity changed later", final_stamp, version(200, 501), stamp_match::no},
      {"a later ctime of a version unlinked since", final_stamp, version(260, 0, true), stamp_match::applies},
      {"another size", final_stamp, version(200, 500, false, 6), stamp_match::no},
      {"a pending stamp", "7 5 100 1", version(300, 0), stamp_match::if_recent},
      {"a stamp of another mtime", "7 5 100 10 200 500", version(200, 500), stamp_match::no},
      {"a malformed ctime", "7 5 100 1 2x0 500", version(100, 0), stamp_match::no},
      {"a ctime without nanoseconds", "7 5 100 1 200", version(100, 0), stamp_match::no},
  };
  for (const row& r : rows) {
    INFO(r.what);
    CHECK(match_record_stamp(r.stamp, r.v) == r.expected);
  }
}
