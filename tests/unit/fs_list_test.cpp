#include "s3cors/store/fs_store.hpp"

#include "s3cors/errc.hpp"
#include "temp_dir.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using s3cors::errc;
using s3cors::store::fs_store;
using s3cors::store::fs_store_options;
using s3cors::store::list_page_request;
using s3cors::store::listed_object;
using s3cors::test::temp_dir;

namespace {

// A data root with one bucket, "media", holding the given files (content = key).
struct list_fixture {
  temp_dir dir;
  fs::path root = dir.make_dir("root");
  fs::path bucket = dir.make_dir("root/media");

  explicit list_fixture(const std::vector<std::string>& keys = {}) {
    for (const auto& key : keys) dir.write(fs::path("root/media") / key, key);
  }

  [[nodiscard]] fs_store make() const { return fs_store{fs_store_options{root, false}}; }
};

std::vector<std::string> keys_of(const std::vector<listed_object>& objects) {
  std::vector<std::string> out;
  out.reserve(objects.size());
  for (const auto& object : objects) out.push_back(object.key);
  return out;
}

std::vector<std::string> list_keys(const fs_store& store, std::string prefix = "",
                                   std::string start_after = "", std::size_t max_keys = 1000) {
  auto page =
      store.list_objects("media", list_page_request{std::move(prefix), std::move(start_after), max_keys});
  REQUIRE(page.has_value());
  return keys_of(*page);
}

const std::vector<std::string> tree = {"b", "a0", "a/c/d", "a/b", "a.b", "a-b", "a/c.e", "a/c/d2/x"};

}  // namespace

TEST_CASE("fs_list: keys come in byte order of the whole key, not per-directory order", "[fs_list]") {
  const list_fixture fx(tree);
  const fs_store store = fx.make();
  // '-' (0x2D) < '.' (0x2E) < '/' (0x2F) < '0' (0x30): the files "a-b" and "a.b" come before
  // everything in directory "a", and "a/c.e" before everything in "a/c".
  CHECK(list_keys(store) ==
        std::vector<std::string>{"a-b", "a.b", "a/b", "a/c.e", "a/c/d", "a/c/d2/x", "a0", "b"});
}

TEST_CASE("fs_list: prefix, start_after and max_keys select a slice", "[fs_list]") {
  const list_fixture fx(tree);
  const fs_store store = fx.make();
  struct row {
    std::string prefix;
    std::string start_after;
    std::size_t max_keys;
    std::vector<std::string> expected;
  };
  const auto r = GENERATE(values<row>({
      {"a/", "", 1000, {"a/b", "a/c.e", "a/c/d", "a/c/d2/x"}},
      {"a", "", 1000, {"a-b", "a.b", "a/b", "a/c.e", "a/c/d", "a/c/d2/x", "a0"}},
      {"a/c", "", 1000, {"a/c.e", "a/c/d", "a/c/d2/x"}},
      {"a/c/", "", 1000, {"a/c/d", "a/c/d2/x"}},
      {"a/c/d", "", 1000, {"a/c/d", "a/c/d2/x"}},
      {"a/c/d/", "", 1000, {}},  // d is a file
      {"zz", "", 1000, {}},
      {"", "a/b", 1000, {"a/c.e", "a/c/d", "a/c/d2/x", "a0", "b"}},
      {"", "a/", 1000, {"a/b", "a/c.e", "a/c/d", "a/c/d2/x", "a0", "b"}},
      {"", "a/c/d", 1000, {"a/c/d2/x", "a0", "b"}},
      {"", "a/c/\xff", 1000, {"a0", "b"}},  // past every key in a/c/
      {"", "a/zzz", 1000, {"a0", "b"}},
      {"", "b", 1000, {}},
      {"a/", "a/c.e", 1000, {"a/c/d", "a/c/d2/x"}},
      // max_keys + 1 entries: the extra one tells the caller there is more.
      {"", "", 0, {"a-b"}},
      {"", "", 2, {"a-b", "a.b", "a/b"}},
      {"", "a/b", 2, {"a/c.e", "a/c/d", "a/c/d2/x"}},
      {"", "", 7, {"a-b", "a.b", "a/b", "a/c.e", "a/c/d", "a/c/d2/x", "a0", "b"}},
      {"", "", 8, {"a-b", "a.b", "a/b", "a/c.e", "a/c/d", "a/c/d2/x", "a0", "b"}},
  }));
  INFO("prefix " << r.prefix << " start_after " << r.start_after << " max_keys " << r.max_keys);
  CHECK(list_keys(store, r.prefix, r.start_after, r.max_keys) == r.expected);
}

TEST_CASE("fs_list: entries carry size, mtime and the cached ETag", "[fs_list]") {
  const list_fixture fx({"x/hello.txt", "y.txt"});
  const fs_store store = fx.make();
  auto first = store.list_objects("media", {});
  REQUIRE(first.has_value());
  REQUIRE(first->size() == 2);
  CHECK((*first)[0].key == "x/hello.txt");
  CHECK((*first)[0].size == 11);
  CHECK((*first)[0].etag == s3cors::store::md5_hex("x/hello.txt"));
  const auto info = store.stat("media", "x/hello.txt");
  REQUIRE(info.has_value());
  CHECK((*first)[0].last_modified == info->last_modified);
  CHECK(store.etag_computations() == 2);  // each new file hashed once ...
  auto again = store.list_objects("media", {});
  REQUIRE(again.has_value());
  CHECK(store.etag_computations() == 2);  // ... and never again while unchanged
  fx.dir.write("root/media/y.txt", "changed!");
  auto changed = store.list_objects("media", {});
  REQUIRE(changed.has_value());
  CHECK((*changed)[1].etag == s3cors::store::md5_hex("changed!"));
  CHECK(store.etag_computations() == 3);
}

TEST_CASE("fs_list: only what GET could serve is listed", "[fs_list]") {
  const list_fixture fx({"keep.txt", "sub/keep.txt"});
  fx.dir.write("outside/secret.txt", "secret");
  fx.dir.make_dir("outside/dir");
  fx.dir.write("outside/dir/file", "secret");
  fs::create_symlink(fx.dir.path() / "outside/secret.txt", fx.bucket / "link-out");
  fs::create_directory_symlink(fx.dir.path() / "outside/dir", fx.bucket / "dirlink-out");
  fs::create_symlink(fx.bucket / "keep.txt", fx.bucket / "link-in");  // stat() serves it
  fs::create_symlink(fx.bucket / "missing", fx.bucket / "dangling");
  fs::create_directory_symlink(fx.bucket / "sub", fx.bucket / "loop");  // not followed: no cycles
  fx.dir.write("root/media/back\\slash", "not a valid key");
  fx.dir.make_dir("root/media/empty-dir");
  REQUIRE(::mkfifo((fx.bucket / "pipe").c_str(), 0600) == 0);
  const fs_store store = fx.make();
  CHECK(list_keys(store) == std::vector<std::string>{"keep.txt", "link-in", "sub/keep.txt"});
}

TEST_CASE("fs_list: bucket errors", "[fs_list]") {
  const list_fixture fx;
  const fs_store store = fx.make();
  auto missing = store.list_objects("nothere", {});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == errc::no_such_bucket);
  auto invalid = store.list_objects("No_Such", {});
  REQUIRE_FALSE(invalid.has_value());
  CHECK(invalid.error() == errc::invalid_bucket_name);
  auto empty = store.list_objects("media", {});
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("fs_list: a large nested tree lists page by page in order", "[fs_list]") {
  const list_fixture fx;
  // 20,000 files: 20 top directories x 20 subdirectories x 50 files, plus sibling files
  // whose names sort between directories ("d05.txt" < "d05/...").
  std::vector<std::string> expected;
  for (int a = 0; a < 20; ++a) {
    char top[8];
    std::snprintf(top, sizeof top, "d%02d", a);
    for (int b = 0; b < 20; ++b) {
      char sub[8];
      std::snprintf(sub, sizeof sub, "s%02d", b);
      const fs::path dir = fx.bucket / top / sub;
      fs::create_directories(dir);
      for (int c = 0; c < 50; ++c) {
        const std::string name = "f" + std::to_string(c);
        std::FILE* f = std::fopen((dir / name).c_str(), "w");
        REQUIRE(f != nullptr);
        std::fclose(f);
        expected.push_back(std::string(top) + "/" + sub + "/" + name);
      }
    }
    const std::string sibling = std::string(top) + ".txt";
    std::FILE* f = std::fopen((fx.bucket / sibling).c_str(), "w");
    REQUIRE(f != nullptr);
    std::fclose(f);
    expected.push_back(sibling);
  }
  std::sort(expected.begin(), expected.end());
  const fs_store store = fx.make();

  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> seen;
  std::string start_after;
  int pages = 0;
  while (true) {
    auto page = store.list_objects("media", list_page_request{"", start_after, 1000});
    REQUIRE(page.has_value());
    ++pages;
    const bool is_truncated = page->size() > 1000;
    if (is_truncated) page->pop_back();
    for (auto& object : *page) seen.push_back(std::move(object.key));
    if (!is_truncated) break;
    start_after = seen.back();
  }
  const auto first_pass = std::chrono::steady_clock::now() - started;
  CHECK(seen == expected);
  CHECK(pages == 21);

  // Second pass: every ETag is cached, so no file is hashed again.
  const auto hashed = store.etag_computations();
  const auto second_start = std::chrono::steady_clock::now();
  start_after.clear();
  std::size_t count = 0;
  while (true) {
    auto page = store.list_objects("media", list_page_request{"", start_after, 1000});
    REQUIRE(page.has_value());
    const bool is_truncated = page->size() > 1000;
    if (is_truncated) page->pop_back();
    count += page->size();
    if (!is_truncated) break;
    start_after = page->back().key;
  }
  const auto second_pass = std::chrono::steady_clock::now() - second_start;
  CHECK(count == expected.size());
  CHECK(store.etag_computations() == hashed);
  using ms = std::chrono::milliseconds;
  std::printf("fs_list: %zu files in %d pages of 1000: first pass %lld ms (hashing), cached pass %lld ms\n",
              expected.size(), pages,
              static_cast<long long>(std::chrono::duration_cast<ms>(first_pass).count()),
              static_cast<long long>(std::chrono::duration_cast<ms>(second_pass).count()));
}
