#include "s3cors/s3/multipart.hpp"

#include "memory_store.hpp"
#include "s3cors/hash/digest.hpp"
#include "s3cors/s3/error.hpp"
#include "s3cors/store/fs_store.hpp"

#include "s3cors/hash/checksum.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

// The checksum S3 gives an object uploaded without one: CRC64NVME of the whole object.
std::string crc64nvme(std::string_view data) {
  return *s3cors::hash::checksum_for_header("x-amz-checksum-crc64nvme", data);
}

using s3cors::response;
using s3cors::s3::request_context;
using s3cors::test::memory_store;
using query = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
constexpr std::string_view xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr std::string_view owner =
    "<ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>s3cors</"
    "DisplayName>";

s3cors::store::seconds_time at(std::int64_t seconds) {
  return s3cors::store::seconds_time{std::chrono::seconds{seconds}};
}

const request_context ctx{at(784111777), "REQID", "HOSTID"};

std::string header(const response& res, std::string_view name) {
  return std::string(res.headers.find(name).value_or("<absent>"));
}

std::string body(const response& res) {
  if (const auto* text = std::get_if<std::string>(&res.body)) return *text;
  return "<no body>";
}

// The text of the first <name> element of a document.
std::string element(const std::string& doc, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const auto start = doc.find(open);
  if (start == std::string::npos) return "<absent>";
  const auto end = doc.find("</" + std::string(name) + ">", start);
  return doc.substr(start + open.size(), end - start - open.size());
}

std::string error_code_of(const response& res) {
  return element(body(res), "Code");
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4U];
    out += digits[b & 0xFU];
  }
  return out;
}

std::string complete_body(const std::vector<std::pair<int, std::string>>& parts) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& [number, etag] : parts) {
    out += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + etag + "</ETag></Part>";
  }
  return out + "</CompleteMultipartUpload>";
}

struct fixture {
  memory_store store;
  fixture() {
    store.add_bucket("media", at(0));
    store.set_now(at(1'700'000'000));
  }

  std::string start(std::string_view key) {
    const response res = s3cors::s3::create_multipart_upload(store, "media", key, {}, ctx).res;
    REQUIRE(res.status == 200);
    return element(body(res), "UploadId");
  }

  std::string put(std::string_view key, const std::string& id, int number, std::string_view content) {
    const response res =
        s3cors::s3::upload_part(store, "media", key, id, std::to_string(number), content, ctx).res;
    REQUIRE(res.status == 200);
    return header(res, "ETag");
  }
};

const std::string big(s3cors::s3::min_part_size, 'a');

}  // namespace

TEST_CASE("multipart: the ETag is the MD5 of the parts' binary MD5s, then -N", "[multipart]") {
  // Known value: MD5 of the digests of "" and "a".
  CHECK(s3cors::s3::multipart_etag(
            {"d41d8cd98f00b204e9800998ecf8427e", "\"0cc175b9c0f1b6a831c399e269772661\""}) ==
        "68083ea43d0307eecfa2b4749f19df15-2");
  const std::string one = s3cors::hash::md5("part one");
  const std::string two = s3cors::hash::md5("part two");
  CHECK(s3cors::s3::multipart_etag({hex(one), hex(two)}) == hex(s3cors::hash::md5(one + two)) + "-2");
  CHECK(s3cors::s3::multipart_etag({hex(one)}) == hex(s3cors::hash::md5(one)) + "-1");
  CHECK(s3cors::s3::multipart_etag({"not-an-md5"}).empty());
  CHECK(s3cors::s3::multipart_etag({"zz1d8cd98f00b204e9800998ecf8427e"}).empty());
}

TEST_CASE("multipart: create, upload, list, complete, then the object is the concatenation", "[multipart]") {
  fixture f;
  const response created =
      s3cors::s3::create_multipart_upload(f.store, "media", "dir/video.mp4", {}, ctx).res;
  REQUIRE(created.status == 200);
  CHECK(header(created, "Content-Type") == "application/xml");
  CHECK(header(created, "x-amz-request-id") == "REQID");
  const std::string id = element(body(created), "UploadId");
  CHECK(body(created) == std::string(declaration) + "<InitiateMultipartUploadResult xmlns=\"" +
                             std::string(xmlns) +
                             "\"><Bucket>media</Bucket><Key>dir/video.mp4</Key><UploadId>" + id +
                             "</UploadId></InitiateMultipartUploadResult>");

  const std::string tail = "the end";
  const std::string etag1 = f.put("dir/video.mp4", id, 1, big);
  const std::string etag2 = f.put("dir/video.mp4", id, 2, tail);
  CHECK(etag1 == "\"" + s3cors::store::md5_hex(big) + "\"");
  CHECK(etag2 == "\"" + s3cors::store::md5_hex(tail) + "\"");

  const response listed = s3cors::s3::list_parts(f.store, "media", "dir/video.mp4", id, {}, ctx).res;
  REQUIRE(listed.status == 200);
  CHECK(body(listed) ==
        std::string(declaration) + "<ListPartsResult xmlns=\"" + std::string(xmlns) +
            "\"><Bucket>media</Bucket><Key>dir/video.mp4</Key><UploadId>" + id + "</UploadId><Initiator>" +
            std::string(owner) + "</Initiator><Owner>" + std::string(owner) +
            "</Owner><StorageClass>STANDARD</StorageClass><PartNumberMarker>0</PartNumberMarker>"
            "<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</"
            "IsTruncated>"
            "<Part><PartNumber>1</PartNumber><LastModified>2023-11-14T22:13:20.000Z</"
            "LastModified><ETag>&quot;" +
            s3cors::store::md5_hex(big) +
            "&quot;</ETag><Size>5242880</Size></Part>"
            "<Part><PartNumber>2</PartNumber><LastModified>2023-11-14T22:13:20.000Z</"
            "LastModified><ETag>&quot;" +
            s3cors::store::md5_hex(tail) + "&quot;</ETag><Size>7</Size></Part></ListPartsResult>");

  // ETags may come with or without quotes.
  const response completed = s3cors::s3::complete_multipart_upload(
                                 f.store, "media", "dir/video.mp4", id,
                                 complete_body({{1, etag1}, {2, s3cors::store::md5_hex(tail)}}), ctx)
                                 .res;
  REQUIRE(completed.status == 200);
  const std::string expected_etag =
      hex(s3cors::hash::md5(s3cors::hash::md5(big) + s3cors::hash::md5(tail))) + "-2";
  CHECK(body(completed) ==
        std::string(declaration) + "<CompleteMultipartUploadResult xmlns=\"" + std::string(xmlns) +
            "\"><Location>/media/dir/video.mp4</Location><Bucket>media</Bucket>"
            "<Key>dir/video.mp4</Key><ETag>&quot;" +
            expected_etag + "&quot;</ETag><ChecksumCRC64NVME>" + crc64nvme(big + tail) +
            "</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>");

  auto info = f.store.stat("media", "dir/video.mp4");
  REQUIRE(info.has_value());
  CHECK(info->size == big.size() + tail.size());
  CHECK(info->etag == expected_etag);
  auto opened = f.store.open("media", "dir/video.mp4");
  REQUIRE(opened.has_value());
  std::string content(opened->body->size(), '\0');
  REQUIRE(opened->body->read_at(0, content).has_value());
  CHECK(content == big + tail);

  // The upload is gone.
  CHECK(error_code_of(s3cors::s3::list_parts(f.store, "media", "dir/video.mp4", id, {}, ctx).res) ==
        "NoSuchUpload");
  CHECK(f.store.list_uploads("media")->empty());
}

TEST_CASE("multipart: a single small part completes (the last part has no minimum)", "[multipart]") {
  fixture f;
  const std::string id = f.start("a.txt");
  const std::string etag = f.put("a.txt", id, 3, "tiny");
  const response res =
      s3cors::s3::complete_multipart_upload(f.store, "media", "a.txt", id, complete_body({{3, etag}}), ctx)
          .res;
  REQUIRE(res.status == 200);
  CHECK(f.store.stat("media", "a.txt")->etag == hex(s3cors::hash::md5(s3cors::hash::md5("tiny"))) + "-1");
}

TEST_CASE("multipart: a re-uploaded part replaces the earlier one", "[multipart]") {
  fixture f;
  const std::string id = f.start("k");
  const std::string first = f.put("k", id, 1, "first");
  const std::string second = f.put("k", id, 1, "second");
  CHECK(first != second);
  const response stale =
      s3cors::s3::complete_multipart_upload(f.store, "media", "k", id, complete_body({{1, first}}), ctx).res;
  CHECK(stale.status == 400);
  CHECK(error_code_of(stale) == "InvalidPart");
  const response res =
      s3cors::s3::complete_multipart_upload(f.store, "media", "k", id, complete_body({{1, second}}), ctx).res;
  REQUIRE(res.status == 200);
  auto opened = f.store.open("media", "k");
  REQUIRE(opened.has_value());
  CHECK(opened->info.size == 6);
}

TEST_CASE("multipart: upload_part refuses part numbers outside 1..10000", "[multipart]") {
  fixture f;
  const std::string id = f.start("k");
  const std::string_view text = GENERATE("0", "10001", "-1", "", "abc", "1.5", "99999999999999999999999");
  CAPTURE(text);
  const response res = s3cors::s3::upload_part(f.store, "media", "k", id, text, "x", ctx).res;
  CHECK(res.status == 400);
  CHECK(error_code_of(res) == "InvalidArgument");
  CHECK(element(body(res), "ArgumentName") == "partNumber");
  CHECK(f.store.list_parts("media", id)->empty());
}

TEST_CASE("multipart: part numbers 1 and 10000 are accepted", "[multipart]") {
  fixture f;
  const std::string id = f.start("k");
  CHECK(s3cors::s3::upload_part(f.store, "media", "k", id, "1", "x", ctx).res.status == 200);
  CHECK(s3cors::s3::upload_part(f.store, "media", "k", id, "10000", "y", ctx).res.status == 200);
  CHECK(f.store.list_parts("media", id)->size() == 2);
}

TEST_CASE("multipart: an unknown upload id, or one of another key, is NoSuchUpload", "[multipart]") {
  fixture f;
  const std::string id = f.start("k");
  const std::string etag = f.put("k", id, 1, "x");
  const auto check = [](const response& res, std::string_view upload_id) {
    CHECK(res.status == 404);
    CHECK(error_code_of(res) == "NoSuchUpload");
    CHECK(element(body(res), "Message") ==
          "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
          "aborted "
          "or completed.");
    CHECK(element(body(res), "UploadId") == upload_id);
  };
  SECTION("unknown") {
    check(s3cors::s3::upload_part(f.store, "media", "k", "nope", "1", "x", ctx).res, "nope");
    check(
        s3cors::s3::complete_multipart_upload(f.store, "media", "k", "nope", complete_body({{1, etag}}), ctx)
            .res,
        "nope");
    check(s3cors::s3::abort_multipart_upload(f.store, "media", "k", "nope", ctx).res, "nope");
    check(s3cors::s3::list_parts(f.store, "media", "k", "nope", {}, ctx).res, "nope");
  }
  SECTION("another key") {
    check(s3cors::s3::upload_part(f.store, "media", "other", id, "1", "x", ctx).res, id);
    check(
        s3cors::s3::complete_multipart_upload(f.store, "media", "other", id, complete_body({{1, etag}}), ctx)
            .res,
        id);
    check(s3cors::s3::abort_multipart_upload(f.store, "media", "other", id, ctx).res, id);
    check(s3cors::s3::list_parts(f.store, "media", "other", id, {}, ctx).res, id);
    CHECK(f.store.get_upload("media", id).has_value());  // untouched
  }
}

TEST_CASE("multipart: a missing bucket is NoSuchBucket, a bad key InvalidArgument", "[multipart]") {
  fixture f;
  const response missing = s3cors::s3::create_multipart_upload(f.store, "nothere", "k", {}, ctx).res;
  CHECK(missing.status == 404);
  CHECK(error_code_of(missing) == "NoSuchBucket");
  const response bad_key = s3cors::s3::create_multipart_upload(f.store, "media", "a/../b", {}, ctx).res;
  CHECK(bad_key.status == 400);
  CHECK(error_code_of(bad_key) == "InvalidArgument");
  CHECK(error_code_of(s3cors::s3::list_multipart_uploads(f.store, "nothere", {}, ctx).res) == "NoSuchBucket");
}

TEST_CASE("multipart: complete validates the parts list", "[multipart]") {
  fixture f;
  const std::string id = f.start("k");
  const std::string etag1 = f.put("k", id, 1, big);
  const std::string etag2 = f.put("k", id, 2, "small");
  const std::string etag3 = f.put("k", id, 3, "last");
  const auto complete = [&](const std::string& xml) {
    return s3cors::s3::complete_multipart_upload(f.store, "media", "k", id, xml, ctx).res;
  };

  SECTION("malformed XML") {
    const std::string xml =
        GENERATE(std::string(""), std::string("<CompleteMultipartUpload>"),
                 std::string("<Other><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Other>"),
                 std::string("<CompleteMultipartUpload></CompleteMultipartUpload>"),
                 std::string("<CompleteMultipartUpload><Part><ETag>x</ETag></Part>"
                             "</CompleteMultipartUpload>"),
                 std::string("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"
                             "</CompleteMultipartUpload>"),
                 std::string("<CompleteMultipartUpload><Part><PartNumber>one</PartNumber>"
                             "<ETag>x</ETag></Part></CompleteMultipartUpload>"));
    CAPTURE(xml);
    const response res = complete(xml);
    CHECK(res.status == 400);
    CHECK(error_code_of(res) == "MalformedXML");
  }
  SECTION("parts out of order or repeated") {
    for (const auto& parts : {std::vector<std::pair<int, std::string>>{{2, etag2}, {1, etag1}},
                              std::vector<std::pair<int, std::string>>{{1, etag1}, {1, etag1}}}) {
      const response res = complete(complete_body(parts));
      CHECK(res.status == 400);
      CHECK(error_code_of(res) == "InvalidPartOrder");
      CHECK(element(body(res), "Message") ==
            "The list of parts was not in ascending order. The parts list must be specified in order by part "
            "number.");
    }
  }
  SECTION("a part that was not uploaded") {
    const response res = complete(complete_body({{1, etag1}, {4, etag3}}));
    CHECK(res.status == 400);
    CHECK(error_code_of(res) == "InvalidPart");
    CHECK(
        element(body(res), "Message") ==
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part&apos;s entity tag.");  // escaped
    CHECK(element(body(res), "PartNumber") == "4");
  }
  SECTION("an ETag that does not match") {
    const response res = complete(complete_body({{1, etag2}}));
    CHECK(res.status == 400);
    CHECK(error_code_of(res) == "InvalidPart");
  }
  SECTION("a part but the last below 5 MiB") {
    const response res = complete(complete_body({{1, etag1}, {2, etag2}, {3, etag3}}));
    CHECK(res.status == 400);
    CHECK(error_code_of(res) == "EntityTooSmall");
    CHECK(element(body(res), "Message") ==
          "Your proposed upload is smaller than the minimum allowed object size.");
    CHECK(element(body(res), "ProposedSize") == "5");
    CHECK(element(body(res), "MinSizeAllowed") == "5242880");
    CHECK(element(body(res), "PartNumber") == "2");
  }
  // Every failure leaves the upload in place and creates no object.
  CHECK(f.store.get_upload("media", id).has_value());
  CHECK_FALSE(f.store.stat("media", "k").has_value());

  SECTION("a subset of the parts completes; the others are discarded") {
    const response res = complete(complete_body({{1, etag1}, {3, etag3}}));
    REQUIRE(res.status == 200);
    CHECK(f.store.stat("media", "k")->size == big.size() + 4);
    CHECK_FALSE(f.store.get_upload("media", id).has_value());
  }
}

TEST_CASE("multipart: abort removes the upload and answers 204", "[multipart]") {
  fixture f;
  const std::string id = f.start("k");
  f.put("k", id, 1, "x");
  const response res = s3cors::s3::abort_multipart_upload(f.store, "media", "k", id, ctx).res;
  CHECK(res.status == 204);
  CHECK(std::holds_alternative<std::monostate>(res.body));
  CHECK(header(res, "x-amz-request-id") == "REQID");
  CHECK(error_code_of(s3cors::s3::abort_multipart_upload(f.store, "media", "k", id, ctx).res) ==
        "NoSuchUpload");
  CHECK_FALSE(f.store.stat("media", "k").has_value());
}

TEST_CASE("multipart: list_parts pages with max-parts and part-number-marker", "[multipart]") {
  fixture f;
  const std::string id = f.start("k");
  for (int n : {1, 2, 5, 7}) f.put("k", id, n, "x");
  SECTION("first page") {
    const std::string doc =
        body(s3cors::s3::list_parts(f.store, "media", "k", id, {{"max-parts", "2"}}, ctx).res);
    CHECK(element(doc, "IsTruncated") == "true");
    CHECK(element(doc, "NextPartNumberMarker") == "2");
    CHECK(element(doc, "MaxParts") == "2");
    CHECK(element(doc, "PartNumberMarker") == "0");
  }
  SECTION("after a marker") {
    const std::string doc =
        body(s3cors::s3::list_parts(f.store, "media", "k", id,
                                    {{"max-parts", "2"}, {"part-number-marker", "2"}}, ctx)
                 .res);
    CHECK(element(doc, "IsTruncated") == "false");
    CHECK(element(doc, "PartNumberMarker") == "2");
    CHECK(element(doc, "NextPartNumberMarker") == "7");
    CHECK(element(doc, "PartNumber") == "5");
  }
  SECTION("exactly filled page is not truncated") {
    const std::string doc =
        body(s3cors::s3::list_parts(f.store, "media", "k", id, {{"max-parts", "4"}}, ctx).res);
    CHECK(element(doc, "IsTruncated") == "false");
  }
  SECTION("max-parts 0 lists nothing") {
    const std::string doc =
        body(s3cors::s3::list_parts(f.store, "media", "k", id, {{"max-parts", "0"}}, ctx).res);
    CHECK(element(doc, "IsTruncated") == "true");
    CHECK(element(doc, "Part") == "<absent>");
  }
  SECTION("bad values") {
    const auto [name, value] = GENERATE(std::pair<std::string, std::string>{"max-parts", "-1"},
                                        std::pair<std::string, std::string>{"max-parts", "x"},
                                        std::pair<std::string, std::string>{"part-number-marker", "1e3"});
    const response res = s3cors::s3::list_parts(f.store, "media", "k", id, {{name, value}}, ctx).res;
    CHECK(res.status == 400);
    CHECK(error_code_of(res) == "InvalidArgument");
  }
}

TEST_CASE("multipart: list_multipart_uploads lists by key then initiation, with prefix and markers",
          "[multipart]") {
  fixture f;
  f.store.set_now(at(1'700'000'100));
  const std::string b2 = f.start("b");
  f.store.set_now(at(1'700'000'000));
  const std::string b1 = f.start("b");
  const std::string a = f.start("a");
  const std::string c = f.start("dir/c");

  SECTION("all") {
    const response res = s3cors::s3::list_multipart_uploads(f.store, "media", {}, ctx).res;
    REQUIRE(res.status == 200);
    const std::string upload_tail = "<Initiator>" + std::string(owner) + "</Initiator><Owner>" +
                                    std::string(owner) +
                                    "</Owner><StorageClass>STANDARD</StorageClass><Initiated>";
    CHECK(body(res) ==
          std::string(declaration) + "<ListMultipartUploadsResult xmlns=\"" + std::string(xmlns) +
              "\"><Bucket>media</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
              "<NextKeyMarker>dir/c</NextKeyMarker><Prefix></Prefix><NextUploadIdMarker>" +
              c + "</NextUploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>" +
              "<Upload><Key>a</Key><UploadId>" + a + "</UploadId>" + upload_tail +
              "2023-11-14T22:13:20.000Z</Initiated></Upload>" + "<Upload><Key>b</Key><UploadId>" + b1 +
              "</UploadId>" + upload_tail + "2023-11-14T22:13:20.000Z</Initiated></Upload>" +
              "<Upload><Key>b</Key><UploadId>" + b2 + "</UploadId>" + upload_tail +
              "2023-11-14T22:15:00.000Z</Initiated></Upload>" + "<Upload><Key>dir/c</Key><UploadId>" + c +
              "</UploadId>" + upload_tail + "2023-11-14T22:13:20.000Z</Initiated></Upload>" +
              "</ListMultipartUploadsResult>");
  }
  SECTION("prefix") {
    const std::string doc =
        body(s3cors::s3::list_multipart_uploads(f.store, "media", {{"prefix", "dir/"}}, ctx).res);
    CHECK(element(doc, "Key") == "dir/c");
    CHECK(element(doc, "Prefix") == "dir/");
  }
  SECTION("pages") {
    const std::string first =
        body(s3cors::s3::list_multipart_uploads(f.store, "media", {{"max-uploads", "2"}}, ctx).res);
    CHECK(element(first, "IsTruncated") == "true");
    CHECK(element(first, "NextKeyMarker") == "b");
    CHECK(element(first, "NextUploadIdMarker") == b1);
    const std::string second =
        body(s3cors::s3::list_multipart_uploads(f.store, "media",
                                                {{"key-marker", "b"}, {"upload-id-marker", b1}}, ctx)
                 .res);
    CHECK(element(second, "IsTruncated") == "false");
    CHECK(element(second, "UploadId") == b2);
    const std::string after_key =
        body(s3cors::s3::list_multipart_uploads(f.store, "media", {{"key-marker", "b"}}, ctx).res);
    CHECK(element(after_key, "UploadId") == c);
  }
  SECTION("encoding-type=url") {
    const std::string doc = body(s3cors::s3::list_multipart_uploads(
                                     f.store, "media", {{"encoding-type", "url"}, {"prefix", "dir/"}}, ctx)
                                     .res);
    CHECK(element(doc, "EncodingType") == "url");
  }
  SECTION("errors") {
    CHECK(error_code_of(
              s3cors::s3::list_multipart_uploads(f.store, "media", {{"max-uploads", "x"}}, ctx).res) ==
          "InvalidArgument");
    CHECK(error_code_of(
              s3cors::s3::list_multipart_uploads(f.store, "media", {{"encoding-type", "b64"}}, ctx).res) ==
          "InvalidArgument");
    CHECK(
        error_code_of(s3cors::s3::list_multipart_uploads(f.store, "media", {{"delimiter", "/"}}, ctx).res) ==
        "NotImplemented");
  }
}

TEST_CASE("multipart: memory_store removes uploads initiated before a cutoff", "[multipart]") {
  fixture f;
  f.store.set_now(at(100));
  const std::string old_id = f.start("old");
  f.store.set_now(at(200));
  const std::string new_id = f.start("new");
  CHECK(f.store.remove_uploads_older_than(at(100)).value() == 0);
  CHECK(f.store.remove_uploads_older_than(at(150)).value() == 1);
  CHECK_FALSE(f.store.get_upload("media", old_id).has_value());
  CHECK(f.store.get_upload("media", new_id).has_value());
}
