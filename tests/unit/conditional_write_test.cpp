// Conditional writes (If-None-Match: *, If-Match): the rule, and its atomicity in both stores.
#include "s3cors/store/fs_store.hpp"

#include "memory_store.hpp"
#include "s3cors/errc.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using s3cors::errc;
using s3cors::store::check_write_condition;
using s3cors::store::object_info;
using s3cors::store::write_condition;

namespace {

object_info object_with(std::string etag) {
  object_info info;
  info.etag = std::move(etag);
  return info;
}

write_condition none_match() {
  write_condition c;
  c.if_none_match = true;
  return c;
}

write_condition match(std::string etag) {
  write_condition c;
  c.if_match = std::move(etag);
  return c;
}

// N threads write the same key with If-None-Match: *, each waiting for all to be ready so that
// they race; returns how many succeeded, and checks that every other one got 412.
int race_creates(s3cors::store::object_store& store, int writers) {
  std::atomic<int> ready{0};
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < writers; ++i) {
    threads.emplace_back([&, i] {
      auto writer = store.create_object_writer("media");
      REQUIRE(writer.has_value());
      REQUIRE((*writer)->write("writer " + std::to_string(i)).has_value());
      ++ready;
      while (ready.load() < writers) std::this_thread::yield();
      auto stored = store.commit_object(**writer, "media", "once", s3cors::store::md5_hex(std::to_string(i)),
                                        {}, none_match());
      if (stored) {
        ++succeeded;
      } else if (stored.error() == errc::precondition_failed) {
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(succeeded + refused == writers);
  return succeeded.load();
}

}  // namespace

TEST_CASE("conditional write: the rule, as S3 applies it", "[conditional_write]") {
  const object_info current = object_with("abc");
  CHECK_FALSE(check_write_condition({}, nullptr));
  CHECK_FALSE(check_write_condition({}, &current));
  CHECK_FALSE(check_write_condition(none_match(), nullptr));
  CHECK(check_write_condition(none_match(), &current) == errc::precondition_failed);
  CHECK_FALSE(check_write_condition(match("abc"), &current));
  CHECK_FALSE(check_write_condition(match("*"), &current));
  CHECK(check_write_condition(match("abd"), &current) == errc::precondition_failed);
  CHECK(check_write_condition(match("abc"), nullptr) == errc::no_such_key);

  SECTION("a write or delete while the request ran is a conflict, not a failure") {
    write_condition seen_absent = none_match();
    seen_absent.seen = true;
    // Created meanwhile by another writer that finished first: 412, as S3.
    CHECK(check_write_condition(seen_absent, &current) == errc::precondition_failed);
    CHECK_FALSE(check_write_condition(seen_absent, nullptr));
    write_condition seen_object = match("abc");
    seen_object.seen = true;
    seen_object.seen_etag = "abc";
    CHECK_FALSE(check_write_condition(seen_object, &current));
    CHECK(check_write_condition(seen_object, nullptr) == errc::write_conflict);  // deleted meanwhile
    write_condition any = match("*");
    any.seen = true;
    any.seen_etag = "old";
    CHECK(check_write_condition(any, &current) == errc::write_conflict);  // replaced meanwhile
  }
}

TEST_CASE("conditional write: of racing If-None-Match writers of one key exactly one wins (fs_store)",
          "[conditional_write]") {
  s3cors::test::temp_dir dir;
  const auto root = dir.make_dir("root");
  dir.make_dir("root/media");
  s3cors::store::fs_store store{s3cors::store::fs_store_options{root, false, 1024 * 1024, false}};
  for (int round = 0; round < 5; ++round) {
    CHECK(race_creates(store, 8) == 1);
    REQUIRE(store.delete_object("media", "once").has_value());
  }
  // If-Match publishes only over the ETag it names.
  auto first = store.put_object("media", "k", "one", {});
  REQUIRE(first.has_value());
  auto writer = store.create_object_writer("media");
  REQUIRE(writer.has_value());
  REQUIRE((*writer)->write("two").has_value());
  CHECK(
      store.commit_object(**writer, "media", "k", s3cors::store::md5_hex("two"), {}, match("nope")).error() ==
      errc::precondition_failed);
  writer = store.create_object_writer("media");
  REQUIRE((*writer)->write("two").has_value());
  CHECK(store.commit_object(**writer, "media", "k", s3cors::store::md5_hex("two"), {}, match(first->etag))
            .has_value());
  CHECK(store.stat("media", "k")->etag == s3cors::store::md5_hex("two"));
}

TEST_CASE("conditional write: of racing If-None-Match writers of one key exactly one wins (memory_store)",
          "[conditional_write]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", {});
  for (int round = 0; round < 5; ++round) {
    CHECK(race_creates(store, 8) == 1);
    REQUIRE(store.delete_object("media", "once").has_value());
  }
}

TEST_CASE("fs_store: a completed upload's result is kept for retries until the sweep",
          "[conditional_write]") {
  s3cors::test::temp_dir dir;
  const auto root = dir.make_dir("root");
  dir.make_dir("root/media");
  s3cors::store::fs_store store{s3cors::store::fs_store_options{root, false, 1024 * 1024, false}};
  REQUIRE(store.put_object("media", "movie", "already", {}).has_value());
  auto id = store.create_upload("media", "movie", {});
  REQUIRE(id.has_value());
  REQUIRE(store.put_part("media", *id, 1, "part one").has_value());
  s3cors::store::upload_completion completion;
  completion.condition = none_match();
  CHECK(store.complete_upload("media", *id, {1}, "etag-1", completion).error() == errc::precondition_failed);
  completion.condition = {};
  completion.parts = {{8, "sum"}};
  completion.checksums = {{"x-amz-checksum-crc32", "AAAAAA=="}};
  completion.checksum_type = "COMPOSITE";
  auto done = store.complete_upload("media", *id, {1}, "etag-1", completion);
  REQUIRE(done.has_value());
  auto info = store.stat("media", "movie");
  REQUIRE((info && info->attributes));
  CHECK(info->attributes->parts.size() == 1);
  CHECK(info->attributes->parts[0].size == 8);
  CHECK(info->attributes->checksum_type == "COMPOSITE");
  CHECK(store.get_upload("media", *id).error() == errc::no_such_upload);
  auto kept = store.find_completed_upload("media", *id);
  REQUIRE(kept.has_value());
  CHECK(kept->key == "movie");
  CHECK(kept->etag == "etag-1");
  CHECK(kept->part_numbers == std::vector<int>{1});
  CHECK(kept->checksums == completion.checksums);
  CHECK(store.list_uploads("media")->empty());
  REQUIRE(store.remove_uploads_older_than(s3cors::store::seconds_time{std::chrono::seconds{4'000'000'000}})
              .has_value());
  CHECK(store.find_completed_upload("media", *id).error() == errc::no_such_upload);
}

TEST_CASE("object attributes: parts and checksum type are recorded, and older records still read",
          "[conditional_write]") {
  s3cors::store::object_attributes attributes;
  attributes.parts = {{5242880, "abc="}, {7, ""}};
  attributes.checksum_type = "FULL_OBJECT";
  attributes.checksum_algorithm = "CRC32";
  const auto back = s3cors::store::parse_object_attributes(s3cors::store::serialize(attributes));
  REQUIRE(back.has_value());
  CHECK(back->parts.size() == 2);
  CHECK(back->parts[0].size == 5242880);
  CHECK(back->parts[0].checksum == "abc=");
  CHECK(back->checksum_type == "FULL_OBJECT");
  CHECK(back->checksum_algorithm == "CRC32");
  const auto old = s3cors::store::parse_object_attributes(R"({"etag":"x-2","acl":"public-read"})");
  REQUIRE(old.has_value());
  CHECK(old->parts.empty());
  CHECK_FALSE(s3cors::store::parse_object_attributes(R"({"parts":[[-1,"x"]]})").has_value());
}
