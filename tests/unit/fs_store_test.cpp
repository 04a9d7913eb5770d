#include "s3cors/store/fs_store.hpp"

#include "memory_store.hpp"
#include "s3cors/errc.hpp"
#include "s3cors/s3/store_error.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using s3cors::errc;
using s3cors::store::fs_store;
using s3cors::store::fs_store_options;
using s3cors::test::temp_dir;

namespace {

s3cors::store::seconds_time at(std::int64_t seconds) {
  return s3cors::store::seconds_time{std::chrono::seconds{seconds}};
}

// Sets mtime (and atime) exactly, so tests need neither sleeps nor the wall clock.
void set_mtime(const fs::path& path, std::int64_t seconds, long nanoseconds = 0) {
  std::array<::timespec, 2> times{};
  times[0].tv_sec = static_cast<::time_t>(seconds);
  times[0].tv_nsec = nanoseconds;
  times[1] = times[0];
  if (::utimensat(AT_FDCWD, path.c_str(), times.data(), AT_SYMLINK_NOFOLLOW) != 0) {
    throw std::system_error(errno, std::generic_category(), "utimensat " + path.string());
  }
}

std::string read_all(const s3cors::store::readable_object& body) {
  std::string out;
  std::array<char, 7> chunk{};  // small on purpose: exercises offsets
  while (true) {
    auto n = body.read_at(out.size(), chunk);
    REQUIRE(n.has_value());
    if (*n == 0) return out;
    out.append(chunk.data(), *n);
  }
}

// A data root with one bucket, "media".
struct store_fixture {
  temp_dir dir;
  fs::path root = dir.make_dir("root");
  fs::path bucket = dir.make_dir("root/media");

  [[nodiscard]] fs_store make(bool follow = false) const { return fs_store{fs_store_options{root, follow}}; }
};

}  // namespace

// ---------------------------------------------------------------------------------------
// Names

TEST_CASE("fs_store: bucket names follow the S3 rules", "[fs_store]") {
  struct row {
    std::string_view name;
    bool valid;
  };
  const auto r = GENERATE(values<row>({
      {"abc", true},
      {"my-bucket", true},
      {"my.bucket.name", true},
      {"0bucket9", true},
      {"a1-2.b3", true},
      {"", false},
      {"ab", false},
      {"Abc", false},
      {"my_bucket", false},
      {"-abc", false},
      {"abc-", false},
      {".abc", false},
      {"abc.", false},
      {"a..b", false},
      {"a b", false},
      {".s3cors", false},
      {"192.168.5.4", false},
      {"1.2.3.4", false},
      {"999.999.999.999", false},
      {"1.2.3", true},
      {"1.2.3.4.5", true},
      {"1.2.3.a", true},
  }));
  CAPTURE(r.name);
  CHECK(s3cors::store::is_valid_bucket_name(r.name) == r.valid);
}

TEST_CASE("fs_store: bucket names are 3 to 63 characters", "[fs_store]") {
  CHECK_FALSE(s3cors::store::is_valid_bucket_name(std::string(2, 'a')));
  CHECK(s3cors::store::is_valid_bucket_name(std::string(3, 'a')));
  CHECK(s3cors::store::is_valid_bucket_name(std::string(63, 'a')));
  CHECK_FALSE(s3cors::store::is_valid_bucket_name(std::string(64, 'a')));
}

TEST_CASE("fs_store: keys are judged per segment", "[fs_store]") {
  struct row {
    std::string_view key;
    bool valid;
  };
  const auto r = GENERATE(values<row>({
      {"a", true},
      {"a/b/c.txt", true},
      {"with space.txt", true},
      {"a+b=c&d.txt", true},
      {"100%25.txt", true},
      {"ünïcödé/файл.txt", true},
      {".hidden", true},
      {"a..b", true},
      {"...", true},
      {"..a/b..", true},
      {"", false},
      {".", false},
      {"..", false},
      {"../x", false},
      {"a/..", false},
      {"a/../b", false},
      {"a/../../etc/passwd", false},
      {"./a", false},
      {"a/./b", false},
      {"/a", false},
      {"/", false},
      {"a//b", false},
      {"a/", true},       // S3 "folder" keys: a marker file inside the folder (docs/storage.md)
      {"photos/", true},  // ...
      {"a//", false},
      {"a/.s3cors-object", false},  // names the store reserves
      {"a/.s3cors-folder", false},
      {".s3cors-nest-1", false},
      {"a\\b", false},
      {"..\\..\\x", false},
      {std::string_view{"a\0b", 3}, false},
  }));
  CAPTURE(r.key);
  CHECK(s3cors::store::is_valid_key(r.key) == r.valid);
}

TEST_CASE("fs_store: over-long keys and segments are refused", "[fs_store]") {
  CHECK(s3cors::store::is_valid_key(std::string(255, 'x')));
  CHECK_FALSE(s3cors::store::is_valid_key(std::string(256, 'x')));
  std::string long_key;
  while (long_key.size() < 1020) long_key += "abc/";
  long_key += "abcd";  // 1024 bytes
  CHECK(s3cors::store::is_valid_key(long_key));
  CHECK_FALSE(s3cors::store::is_valid_key(long_key + "e"));
}

// ---------------------------------------------------------------------------------------
// Construction and buckets

TEST_CASE("fs_store: the root must exist and is canonicalised", "[fs_store]") {
  temp_dir dir;
  dir.make_dir("real/inner");
  dir.write("file", "x");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "alias");

  SECTION("missing root throws") {
    CHECK_THROWS_AS(fs_store(fs_store_options{dir.path() / "missing"}), fs::filesystem_error);
  }
  SECTION("a file as root throws") {
    CHECK_THROWS_AS(fs_store(fs_store_options{dir.path() / "file"}), std::invalid_argument);
  }
  SECTION("symlinks and dot segments in the root are resolved once") {
    const fs_store store{fs_store_options{dir.path() / "alias" / "inner" / ".."}};
    CHECK(store.root() == fs::canonical(dir.path() / "real"));
  }
}

TEST_CASE("fs_store: buckets are the validly named directories under the root", "[fs_store]") {
  temp_dir dir;
  const fs::path root = dir.make_dir("root");
  for (const char* name : {"zz9", "alpha", "my-bucket", "beta.two"}) {
    dir.make_dir(fs::path{"root"} / name);
  }
  // Not buckets: dot-dirs (metadata), invalid names, files.
  for (const char* name : {".s3cors", "UPPER", "ab", "a..b", "-dash", "192.168.1.1", "under_score"}) {
    dir.make_dir(fs::path{"root"} / name);
  }
  dir.write("root/file-bucket", "not a directory");
  dir.write("root/.s3cors/meta.json", "{}");
  set_mtime(root / "alpha", 1'700'000'000, 999'999'999);
  set_mtime(root / "zz9", 86'400);

  const fs_store store{fs_store_options{root}};

  SECTION("list_buckets is sorted and filtered") {
    auto buckets = store.list_buckets();
    REQUIRE(buckets.has_value());
    std::vector<std::string> names;
    for (const auto& b : *buckets) names.push_back(b.name);
    CHECK(names == std::vector<std::string>{"alpha", "beta.two", "my-bucket", "zz9"});
    CHECK(buckets->front().creation_date == at(1'700'000'000));  // whole seconds, truncated
    CHECK(buckets->back().creation_date == at(86'400));
  }
  SECTION("stat_bucket") {
    auto alpha = store.stat_bucket("alpha");
    REQUIRE(alpha.has_value());
    CHECK(alpha->name == "alpha");
    CHECK(alpha->creation_date == at(1'700'000'000));

    CHECK(store.stat_bucket("missing-bucket").error() == errc::no_such_bucket);
    CHECK(store.stat_bucket("file-bucket").error() == errc::no_such_bucket);
    for (const std::string_view bad : {".s3cors", "UPPER", "ab", "a..b", "192.168.1.1", "", "../root"}) {
      CAPTURE(bad);
      CHECK(store.stat_bucket(bad).error() == errc::invalid_bucket_name);
    }
  }
  SECTION("a bucket created later is listed") {
    dir.make_dir("root/later");
    auto buckets = store.list_buckets();
    REQUIRE(buckets.has_value());
    CHECK(buckets->size() == 5);
    CHECK(store.stat_bucket("later").has_value());
  }
}

TEST_CASE("fs_store: object errors name the failing part", "[fs_store]") {
  const store_fixture fx;
  fx.dir.write("root/media/a.txt", "a");
  const fs_store store = fx.make();

  CHECK(store.stat("missing-bucket", "a.txt").error() == errc::no_such_bucket);
  CHECK(store.open("missing-bucket", "a.txt").error() == errc::no_such_bucket);
  CHECK(store.stat("Media", "a.txt").error() == errc::invalid_bucket_name);
  CHECK(store.stat(".s3cors", "a.txt").error() == errc::invalid_bucket_name);
  CHECK(store.stat("media", "b.txt").error() == errc::no_such_key);
  CHECK(store.stat("media", "a.txt/b").error() == errc::no_such_key);  // a file is not a folder
  CHECK(store.stat("media", "dir/a.txt").error() == errc::no_such_key);
}

// ---------------------------------------------------------------------------------------
// Key mapping

TEST_CASE("fs_store: ordinary keys map to files below the bucket", "[fs_store]") {
  const auto key = GENERATE(as<std::string>{}, "a.txt", "with space.txt", "a+b.txt", "100%.txt", "100%25.txt",
                            "ünïcödé/файл.txt", "nested/dirs/deep/file.bin", ".well-known/x", "a..b", "...",
                            "semi;colon,comma'quote\"", "x");
  CAPTURE(key);
  const store_fixture fx;
  const std::string content = "content of " + key;
  fx.dir.write(fs::path{"root/media"} / key, content);
  const fs_store store = fx.make();

  auto info = store.stat("media", key);
  REQUIRE(info.has_value());
  CHECK(info->size == content.size());
  CHECK(info->etag == s3cors::store::md5_hex(content));
  CHECK(info->attributes == nullptr);  // a file dropped in has no metadata

  auto opened = store.open("media", key);
  REQUIRE(opened.has_value());
  CHECK(read_all(*opened->body) == content);
}

TEST_CASE("fs_store: unsafe keys are refused before touching the disk", "[fs_store]") {
  const store_fixture fx;
  // Files that a normalising mapper would reach.
  fx.dir.write("root/media/x", "x");
  fx.dir.write("root/secret", "root-level file");
  fx.dir.write("root/other/x", "other bucket");
  fx.dir.write("outside-secret", "outside");
  const fs_store store = fx.make();

  const auto key =
      GENERATE(as<std::string>{}, "..", "../secret", "../other/x", "a/../x", "a/../../etc/passwd",
               "../../outside-secret", ".", "./x", "", "/x", "/", "//x", "a//x", "x//",
               "nested/.s3cors-object", std::string{"x\0y", 3}, std::string{"x\0", 2}, "a\\x", "..\\secret");
  CAPTURE(key);
  CHECK(store.stat("media", key).error() == errc::invalid_key);
  CHECK(store.open("media", key).error() == errc::invalid_key);
}

TEST_CASE("fs_store: only regular files are objects", "[fs_store]") {
  const store_fixture fx;
  fx.dir.make_dir("root/media/folder/sub");
  fx.dir.write("root/media/folder/sub/file", "f");
  REQUIRE(::mkfifo((fx.bucket / "pipe").c_str(), 0600) == 0);
  const fs_store store = fx.make();

  for (const std::string_view key : {"folder", "folder/sub", "pipe"}) {
    CAPTURE(key);
    CHECK(store.stat("media", key).error() == errc::no_such_key);
    CHECK(store.open("media", key).error() == errc::no_such_key);  // and does not block on the FIFO
  }
  CHECK(store.stat("media", "folder/sub/file").has_value());
}

TEST_CASE("fs_store: the disk is the truth, with no existence cache", "[fs_store]") {
  const store_fixture fx;
  const fs_store store = fx.make();
  CHECK(store.stat("media", "late.txt").error() == errc::no_such_key);

  fx.dir.write("root/media/late.txt", "dropped in later");
  auto info = store.stat("media", "late.txt");
  REQUIRE(info.has_value());
  CHECK(info->size == 16);

  fs::remove(fx.bucket / "late.txt");
  CHECK(store.stat("media", "late.txt").error() == errc::no_such_key);
  CHECK(store.open("media", "late.txt").error() == errc::no_such_key);
}

// ---------------------------------------------------------------------------------------
// Symlinks

TEST_CASE("fs_store: symlinks may not leave the data root unless configured", "[fs_store]") {
  temp_dir dir;
  const fs::path root = dir.make_dir("data/root");
  const fs::path bucket = dir.make_dir("data/root/media");
  dir.write("data/root/media/real.txt", "inside");
  dir.write("data/root/other/shared.txt", "other bucket");
  dir.write("data/root/.s3cors/meta.json", "metadata");
  dir.write("data/root/stray.txt", "not in a bucket");
  dir.write("outside/secret.txt", "outside secret");
  // A sibling whose name extends the root's: a string-prefix check would let it through.
  dir.write("data/root2/secret.txt", "sibling secret");
  dir.write("outside-bucket/obj.txt", "object in an outside bucket");

  fs::create_symlink(dir.path() / "outside/secret.txt", bucket / "file-out");
  fs::create_directory_symlink(dir.path() / "outside", bucket / "dir-out");
  fs::create_symlink(dir.path() / "data/root2/secret.txt", bucket / "sibling-out");
  fs::create_symlink("../../../outside/secret.txt", bucket / "relative-out");
  fs::create_symlink("real.txt", bucket / "same-bucket");
  fs::create_symlink(root / "other/shared.txt", bucket / "other-bucket-abs");
  fs::create_symlink("../other/shared.txt", bucket / "other-bucket-rel");
  fs::create_directory_symlink("../other", bucket / "other-dir");
  fs::create_symlink("../.s3cors/meta.json", bucket / "meta");
  fs::create_symlink("../stray.txt", bucket / "stray");
  fs::create_symlink("does-not-exist", bucket / "dangling");
  fs::create_directory_symlink(dir.path() / "outside-bucket", root / "linked-out");
  fs::create_directory_symlink(root / "other", root / "linked-in");
  fs::create_directory_symlink(".s3cors", root / "linked-meta");
  fs::create_symlink("stray.txt", root / "linked-file");

  struct row {
    std::string_view bucket;
    std::string_view key;
    std::string_view content;  // empty: refused
    errc refused = errc::outside_root;
  };
  const std::vector<row> inside_ok = {
      {"media", "same-bucket", "inside"},
      {"media", "other-bucket-abs", "other bucket"},
      {"media", "other-bucket-rel", "other bucket"},
      {"media", "other-dir/shared.txt", "other bucket"},
      {"linked-in", "shared.txt", "other bucket"},
  };
  const std::vector<row> outside = {
      {"media", "file-out", "outside secret"},
      {"media", "dir-out/secret.txt", "outside secret"},
      {"media", "sibling-out", "sibling secret"},
      {"media", "relative-out", "outside secret"},
      {"linked-out", "obj.txt", "object in an outside bucket"},
  };

  SECTION("by default") {
    const fs_store store{fs_store_options{root}};
    for (const auto& r : inside_ok) {
      CAPTURE(r.bucket, r.key);
      auto opened = store.open(r.bucket, r.key);
      REQUIRE(opened.has_value());
      CHECK(read_all(*opened->body) == r.content);
      CHECK(store.stat(r.bucket, r.key).has_value());
    }
    for (const auto& r : outside) {
      CAPTURE(r.bucket, r.key);
      CHECK(store.stat(r.bucket, r.key).error() == errc::outside_root);
      CHECK(store.open(r.bucket, r.key).error() == errc::outside_root);
    }
    CHECK(store.stat_bucket("linked-out").error() == errc::outside_root);
    CHECK(store.stat_bucket("linked-in").has_value());
    auto buckets = store.list_buckets();
    REQUIRE(buckets.has_value());
    std::vector<std::string> names;
    for (const auto& b : *buckets) names.push_back(b.name);
    CHECK(names == std::vector<std::string>{"linked-in", "media", "other"});
  }
  SECTION("with follow_symlinks_outside_root") {
    const fs_store store{fs_store_options{root, true}};
    for (const auto& r : inside_ok) {
      CAPTURE(r.bucket, r.key);
      CHECK(store.stat(r.bucket, r.key).has_value());
    }
    for (const auto& r : outside) {
      CAPTURE(r.bucket, r.key);
      auto opened = store.open(r.bucket, r.key);
      REQUIRE(opened.has_value());
      CHECK(read_all(*opened->body) == r.content);
      CHECK(opened->info.etag == s3cors::store::md5_hex(r.content));
    }
    CHECK(store.stat_bucket("linked-out").has_value());
    auto buckets = store.list_buckets();
    REQUIRE(buckets.has_value());
    CHECK(buckets->size() == 4);
  }
  SECTION("links into the root but outside any bucket are refused either way") {
    const bool follow = GENERATE(false, true);
    const fs_store store{fs_store_options{root, follow}};
    CHECK(store.stat("media", "meta").error() == errc::outside_root);
    CHECK(store.open("media", "stray").error() ==
          errc::outside_root);  // "stray.txt" looks like a bucket name
    CHECK(store.stat_bucket("linked-meta").error() == errc::outside_root);
    CHECK(store.stat("linked-meta", "meta.json").error() == errc::outside_root);
    CHECK(store.stat_bucket("linked-file").error() == errc::no_such_bucket);
    CHECK(store.stat("linked-file", "x").error() == errc::no_such_bucket);
  }
  SECTION("a dangling link is simply missing") {
    const fs_store store{fs_store_options{root}};
    CHECK(store.stat("media", "dangling").error() == errc::no_such_key);
  }
}

// ---------------------------------------------------------------------------------------
// ETags

TEST_CASE("fs_store: md5_hex matches the RFC 1321 vectors", "[fs_store]") {
  struct row {
    std::string_view input;
    std::string_view md5;
  };
  const auto r = GENERATE(values<row>({
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"},
  }));
  CAPTURE(r.input);
  CHECK(s3cors::store::md5_hex(r.input) == r.md5);
}

TEST_CASE("fs_store: the ETag is the MD5 of the file's content", "[fs_store]") {
  const store_fixture fx;
  fx.dir.write("root/media/empty", "");
  fx.dir.write("root/media/fox", "The quick brown fox jumps over the lazy dog");
  std::string big;
  for (int i = 0; big.size() < 700'000; ++i) big += std::to_string(i) + ',';  // spans several read chunks
  fx.dir.write("root/media/big", big);
  set_mtime(fx.bucket / "fox", 1'600'000'000, 500'000'000);
  const fs_store store = fx.make();

  auto empty = store.stat("media", "empty");
  REQUIRE(empty.has_value());
  CHECK(empty->etag == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(empty->size == 0);

  auto fox = store.stat("media", "fox");
  REQUIRE(fox.has_value());
  CHECK(fox->etag == "9e107d9d372bb6826bd81d3542a419d6");
  CHECK(fox->last_modified == at(1'600'000'000));

  auto big_info = store.open("media", "big");
  REQUIRE(big_info.has_value());
  CHECK(big_info->info.size == big.size());
  CHECK(big_info->info.etag == s3cors::store::md5_hex(big));
}

TEST_CASE("fs_store: ETags are computed once per file version", "[fs_store]") {
  const store_fixture fx;
  const fs::path file = fx.dir.write("root/media/f.txt", "aaaa");
  set_mtime(file, 1'000);
  const fs_store store = fx.make();

  REQUIRE(store.stat("media", "f.txt")->etag == s3cors::store::md5_hex("aaaa"));
  CHECK(store.etag_computations() == 1);
  for (int i = 0; i < 5; ++i) {
    CHECK(store.stat("media", "f.txt")->etag == s3cors::store::md5_hex("aaaa"));
    CHECK(store.open("media", "f.txt")->info.etag == s3cors::store::md5_hex("aaaa"));
  }
  CHECK(store.etag_computations() == 1);

  SECTION("rewritten in place with the same size and another mtime") {
    fx.dir.write("root/media/f.txt", "bbbb");
    set_mtime(file, 2'000);
    CHECK(store.stat("media", "f.txt")->etag == s3cors::store::md5_hex("bbbb"));
    CHECK(store.open("media", "f.txt")->info.etag == s3cors::store::md5_hex("bbbb"));
    CHECK(store.etag_computations() == 2);
  }
  SECTION("replaced by rename with the same size and mtime (new inode)") {
    const fs::path next = fx.dir.write("root/media/.f.tmp", "dddd");
    set_mtime(next, 1'000);
    fs::rename(next, file);
    CHECK(store.stat("media", "f.txt")->etag == s3cors::store::md5_hex("dddd"));
    CHECK(store.etag_computations() == 2);
  }
}

TEST_CASE("fs_store: concurrent stat and open agree and hash once", "[fs_store]") {
  const store_fixture fx;
  const std::string content(300'000, 'z');
  fx.dir.write("root/media/hot", content);
  const fs_store store = fx.make();
  const std::string expected = s3cors::store::md5_hex(content);

  std::vector<int> failures(8, 0);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < failures.size(); ++t) {
      threads.emplace_back([&store, &expected, &failures, t] {
        for (int i = 0; i < 50; ++i) {
          auto info = store.stat("media", "hot");
          auto opened = store.open("media", "hot");
          if (!info || info->etag != expected || !opened || opened->info.etag != expected) ++failures[t];
        }
      });
    }
  }
  CHECK(failures == std::vector<int>(8, 0));
  CHECK(store.etag_computations() == 1);
}

// ---------------------------------------------------------------------------------------
// open()

TEST_CASE("fs_store: open reads the right bytes from its own descriptor", "[fs_store]") {
  const store_fixture fx;
  const std::string content = "0123456789abcdefghij";
  const fs::path file = fx.dir.write("root/media/digits", content);
  set_mtime(file, 1'234'567'890, 123);
  const fs_store store = fx.make();

  auto opened = store.open("media", "digits");
  REQUIRE(opened.has_value());
  const auto& body = *opened->body;
  CHECK(opened->info.size == content.size());
  CHECK(opened->info.last_modified == at(1'234'567'890));
  CHECK(opened->info.etag == s3cors::store::md5_hex(content));
  CHECK(body.size() == content.size());
  CHECK(body.native_handle() >= 0);
  CHECK((::fcntl(body.native_handle(), F_GETFD) & FD_CLOEXEC) != 0);

  std::array<char, 5> buffer{};
  SECTION("at the start") {
    REQUIRE(body.read_at(0, buffer).value() == 5);
    CHECK(std::string_view(buffer.data(), 5) == "01234");
  }
  SECTION("in the middle") {
    REQUIRE(body.read_at(10, buffer).value() == 5);
    CHECK(std::string_view(buffer.data(), 5) == "abcde");
  }
  SECTION("a short read at the end") {
    REQUIRE(body.read_at(18, buffer).value() == 2);
    CHECK(std::string_view(buffer.data(), 2) == "ij");
  }
  SECTION("at and past the end") {
    CHECK(body.read_at(20, buffer).value() == 0);
    CHECK(body.read_at(1'000'000, buffer).value() == 0);
    CHECK(body.read_at(UINT64_MAX, buffer).value() == 0);
  }
  SECTION("into an empty buffer") {
    CHECK(body.read_at(0, std::span<char>{}).value() == 0);
  }
  SECTION("the opened version survives a replacement") {
    const fs::path next = fx.dir.write("root/media/.next", "replaced!");
    fs::rename(next, file);
    CHECK(read_all(body) == content);
    CHECK(read_all(*store.open("media", "digits")->body) == "replaced!");
  }
}

TEST_CASE("fs_store: the descriptor is closed with the last reference", "[fs_store]") {
  const store_fixture fx;
  fx.dir.write("root/media/f", "f");
  const fs_store store = fx.make();
  int fd = -1;
  {
    auto opened = store.open("media", "f");
    REQUIRE(opened.has_value());
    fd = opened->body->native_handle();
    CHECK(::fcntl(fd, F_GETFD) != -1);
  }
  errno = 0;
  CHECK(::fcntl(fd, F_GETFD) == -1);
  CHECK(errno == EBADF);
}

// ---------------------------------------------------------------------------------------
// memory_store

TEST_CASE("memory_store: buckets, objects and reads", "[memory_store]") {
  s3cors::test::memory_store store;
  store.add_bucket("zeta", at(200));
  store.add_bucket("alpha", at(100));
  store.put("alpha", "dir/hello.txt", "hello world", at(1'000), "text/plain");
  store.put("alpha", "empty", "", at(2'000));

  SECTION("buckets are sorted") {
    auto buckets = store.list_buckets();
    REQUIRE(buckets.has_value());
    REQUIRE(buckets->size() == 2);
    CHECK((*buckets)[0].name == "alpha");
    CHECK((*buckets)[0].creation_date == at(100));
    CHECK((*buckets)[1].name == "zeta");
    CHECK(store.stat_bucket("zeta")->creation_date == at(200));
  }
  SECTION("stat describes the object") {
    auto info = store.stat("alpha", "dir/hello.txt");
    REQUIRE(info.has_value());
    CHECK(info->size == 11);
    CHECK(info->etag == "5eb63bbbe01eeed093cb22bb8f5acdc3");
    CHECK(info->last_modified == at(1'000));
    REQUIRE(info->attributes != nullptr);
    CHECK(info->attributes->header("Content-Type") == "text/plain");
    CHECK(store.stat("alpha", "empty")->etag == "d41d8cd98f00b204e9800998ecf8427e");
  }
  SECTION("open serves the content from memory") {
    auto opened = store.open("alpha", "dir/hello.txt");
    REQUIRE(opened.has_value());
    CHECK(opened->body->native_handle() == -1);
    CHECK(opened->body->size() == 11);
    CHECK(read_all(*opened->body) == "hello world");
    std::array<char, 4> buffer{};
    CHECK(opened->body->read_at(6, buffer).value() == 4);
    CHECK(std::string_view(buffer.data(), 4) == "worl");
    CHECK(opened->body->read_at(11, buffer).value() == 0);

    store.put("alpha", "dir/hello.txt", "changed", at(3'000));
    CHECK(read_all(*opened->body) == "hello world");  // an opened body is a snapshot
    CHECK(store.stat("alpha", "dir/hello.txt")->size == 7);
  }
  SECTION("errors match fs_store's") {
    CHECK(store.stat_bucket("missing").error() == errc::no_such_bucket);
    CHECK(store.stat_bucket("NO").error() == errc::invalid_bucket_name);
    CHECK(store.stat("missing", "x").error() == errc::no_such_bucket);
    CHECK(store.stat("alpha", "dir").error() == errc::no_such_key);
    CHECK(store.open("alpha", "nope").error() == errc::no_such_key);
    CHECK(store.stat("alpha", "../x").error() == errc::invalid_key);
    CHECK(store.stat("alpha", "dir/").error() == errc::no_such_key);  // a folder key, and no object
    CHECK(store.stat("alpha", "a//b").error() == errc::invalid_key);
    store.remove("alpha", "empty");
    CHECK(store.stat("alpha", "empty").error() == errc::no_such_key);
  }
  SECTION("misuse is a programming error") {
    CHECK_THROWS_AS(store.put("missing", "k", "", at(0)), std::logic_error);
    CHECK_THROWS_AS(store.put("alpha", "a//b", "", at(0)), std::logic_error);
    CHECK_THROWS_AS(store.add_bucket("Bad_Name", at(0)), std::logic_error);
  }
}

TEST_CASE("fs_store: large dropped-in files get an identity ETag, never hashed, stable, changed by a rewrite",
          "[fs_store][etag]") {
  temp_dir root;
  root.make_dir("media");
  // 1,000 files of 100 MB: sparse, so the test writes no data.
  for (int i = 0; i < 1000; ++i) {
    const fs::path file = root.path() / "media" / ("seg" + std::to_string(1000 + i) + ".mp4");
    std::ofstream{file};
    fs::resize_file(file, 100'000'000);
  }
  std::vector<std::string> etags;
  {
    fs_store store(fs_store_options{root.path()});
    auto listed = store.list_objects("media", {"", "", 1000});
    REQUIRE(listed.has_value());
    REQUIRE(listed->size() == 1000);
    for (const auto& entry : *listed) etags.push_back(entry.etag);
    CHECK(store.etag_computations() == 0);
    // The multipart form (S3 clients never check it against the content), with the part
    // count the aws CLI would use for 100 MB in 8 MiB parts.
    for (const auto& etag : etags) {
      CHECK(etag.size() == 35);
      CHECK(etag.substr(32) == "-12");
    }
    CHECK(store.stat("media", "seg1000.mp4")->etag == etags.front());
  }
  // After a restart: the same ETags.
  fs_store restarted(fs_store_options{root.path()});
  auto again = restarted.list_objects("media", {"", "", 1000});
  REQUIRE(again.has_value());
  for (std::size_t i = 0; i < etags.size(); ++i) CHECK((*again)[i].etag == etags[i]);

  // A same-size rewrite with the old mtime restored still changes the ETag (ctime moved).
  const fs::path first = root.path() / "media" / "seg1000.mp4";
  struct ::stat before {};
  REQUIRE(::stat(first.c_str(), &before) == 0);
  {
    std::fstream rewrite(first, std::ios::in | std::ios::out | std::ios::binary);
    rewrite << "new content";
  }
  std::array<::timespec, 2> times{before.st_atim, before.st_mtim};
  REQUIRE(::utimensat(AT_FDCWD, first.c_str(), times.data(), 0) == 0);
  CHECK(restarted.stat("media", "seg1000.mp4")->etag != etags.front());
  CHECK(restarted.etag_computations() == 0);
}

TEST_CASE("fs_store: dropped-in files up to the MD5 limit get their content MD5", "[fs_store][etag]") {
  temp_dir root;
  root.make_dir("media");
  root.write("media/playlist.m3u8", "#EXTM3U\n");
  root.write("media/init.mp4", std::string(1024 * 1024, 'i'));  // exactly the limit
  fs_store store(fs_store_options{root.path()});
  CHECK(store.stat("media", "playlist.m3u8")->etag == s3cors::store::md5_hex("#EXTM3U\n"));
  CHECK(store.stat("media", "init.mp4")->etag == s3cors::store::md5_hex(std::string(1024 * 1024, 'i')));
  CHECK(store.etag_computations() == 2);
}

TEST_CASE("fs_store: inside a nonblocking_scope, what could wait for the disk throws would_block",
          "[fs_store][nonblocking]") {
  temp_dir root;
  root.make_dir("media");
  root.write("media/a.txt", "aaa");
  fs_store store(fs_store_options{root.path()});
  {
    const s3cors::store::nonblocking_scope scope;
    // Listing walks directories; the first stat of a file reads its record and hashes it.
    CHECK_THROWS_AS(store.list_objects("media", {}), s3cors::store::would_block);
    CHECK_THROWS_AS(store.stat("media", "a.txt"), s3cors::store::would_block);
  }
  REQUIRE(store.stat("media", "a.txt").has_value());  // on a thread that may wait
  REQUIRE(store.stat("media", "missing.txt").error() == errc::no_such_key);
  const s3cors::store::nonblocking_scope scope;
  // Now known: answered from memory; a cached miss is an answer too.
  CHECK(store.stat("media", "a.txt")->etag == s3cors::store::md5_hex("aaa"));
  CHECK(store.open("media", "a.txt").has_value());
  CHECK(store.stat("media", "missing.txt").error() == errc::no_such_key);
}

TEST_CASE(
    "fs_store: inside a nonblocking_scope, a missing key, a missing bucket and a file for a bucket differ",
    "[fs_store][nonblocking]") {
  temp_dir root;
  root.make_dir("media");
  root.write("media/a.txt", "aaa");
  root.write("plain", "not a folder");
  fs_store store(fs_store_options{root.path()});
  // On a thread that may wait first: the names are then in the kernel's cache.
  REQUIRE(store.stat("media", "missing.txt").error() == errc::no_such_key);
  REQUIRE(store.stat("nobucket", "a.txt").error() == errc::no_such_bucket);
  REQUIRE(store.stat("plain", "a.txt").error() == errc::no_such_bucket);
  const s3cors::store::nonblocking_scope scope;
  CHECK(store.open("media", "missing.txt").error() == errc::no_such_key);
  CHECK(store.open("nobucket", "a.txt").error() == errc::no_such_bucket);
  // A file where the bucket should be: the cache-only lookup cannot walk through it, so
  // that one is left to a thread that may wait (as before).
  CHECK_THROWS_AS(store.open("plain", "a.txt"), s3cors::store::would_block);
}

TEST_CASE("fs_store: read_if_resident reads bytes in memory at once, and all of them or nothing",
          "[fs_store]") {
  const store_fixture fx;
  fx.dir.write("root/media/a.txt", "0123456789");
  const fs_store store = fx.make();
  auto opened = store.open("media", "a.txt");
  REQUIRE(opened.has_value());
  std::array<char, 4> out{};
  // Just written, so in the page cache; a file system without RWF_NOWAIT reads says false.
  if (opened->body->read_if_resident(3, out)) CHECK(std::string_view(out.data(), out.size()) == "3456");
  std::array<char, 4> past_end{};
  CHECK_FALSE(opened->body->read_if_resident(8, past_end));  // only 2 bytes left
}

namespace {

// Runs body in a child process without root's override of file permissions (uid/gid 65534
// when the tests run as root); returns the child's exit status (0: every check held).
int run_without_privileges(int (*body)()) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(100);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

int unreadable_and_read_only_checks() {
  char pattern[] = "/tmp/s3cors-permissions-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return 101;
  const fs::path root = pattern;
  int failed = 0;
  {
    fs::create_directories(root / "media" / "locked");
    std::ofstream(root / "media" / "ok.txt") << "fine";
    std::ofstream(root / "media" / "secret.txt") << std::string(600 * 1024, 's');
    std::ofstream(root / "media" / "locked" / "inside.txt") << "hidden";
    fs::permissions(root / "media" / "secret.txt", fs::perms::none);
    fs::permissions(root / "media" / "locked", fs::perms::none);
    fs_store store(fs_store_options{root});
    // The unreadable file is that object's problem only: 403 for it, and listed.
    if (store.open("media", "secret.txt").error() != errc::access_denied) failed = 2;
    const auto listed = store.list_objects("media", {});
    if (!listed || listed->size() != 2 || (*listed)[0].key != "ok.txt" || (*listed)[1].key != "secret.txt")
      failed = 3;
    if (listed && listed->size() == 2 && (*listed)[1].etag.find('-') == std::string::npos) failed = 4;
    // A read-only bucket refuses the write, with access_denied rather than io_error.
    fs::permissions(root / "media", fs::perms::owner_read | fs::perms::owner_exec);
    auto writer = store.create_object_writer("media");
    if (!writer) {
      failed = 5;
    } else {
      (void)(*writer)->write("new");
      if (store.commit_object(**writer, "media", "new.txt", s3cors::store::md5_hex("new"), {}).error() !=
          errc::access_denied)
        failed = 6;
    }
    fs::permissions(root / "media", fs::perms::owner_all);
  }
  {
    // A read-only data root: nothing can be written at all.
    const fs::path read_only = root / "read-only";
    fs::create_directories(read_only / "media");
    fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec);
    fs_store store(fs_store_options{read_only});
    if (store.create_object_writer("media").error() != errc::access_denied) failed = 7;
    if (store.create_bucket("other").error() != errc::access_denied) failed = 8;
    fs::permissions(read_only, fs::perms::owner_all);
  }
  fs::permissions(root / "media" / "locked", fs::perms::owner_all);
  std::error_code ec;
  fs::remove_all(root, ec);
  return failed;
}

}  // namespace

TEST_CASE("fs_store: an unreadable file is 403 for itself only; read-only folders refuse writes with 403",
          "[fs_store][permissions]") {
  CHECK(run_without_privileges(unreadable_and_read_only_checks) == 0);
  CHECK(s3cors::s3::store_error(make_error_code(errc::access_denied), "media", "k").code ==
        s3cors::s3::error::access_denied);
}
