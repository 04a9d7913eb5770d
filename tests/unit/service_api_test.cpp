// Tagging, ListObjectVersions, GetBucketVersioning, ListBuckets pagination,
// x-amz-expected-bucket-owner and smaller S3 behaviours, through the service.
#include "s3cors/s3/service.hpp"

#include "memory_store.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/store/object_store.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace {

using s3cors::method;
using s3cors::response;

const std::chrono::sys_seconds now{std::chrono::seconds{1'800'000'000}};
const s3cors::s3::request_context ctx{now, "REQID", "HOSTID"};

using header_init = std::initializer_list<std::pair<std::string_view, std::string_view>>;

constexpr std::string_view declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

struct api_fixture {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  s3cors::s3::service svc{store, cors, {}};

  api_fixture() {
    store.add_bucket("media", now);
    store.add_bucket("alpha", now);
    store.put("media", "a.ts", "segment", now);
  }

  [[nodiscard]] response handle(method verb, std::string target, header_init headers = {},
                                std::string body = {}) const {
    s3cors::request req;
    req.verb = verb;
    req.method_name = std::string(s3cors::to_string(verb));
    req.target = std::move(target);
    req.headers.add("Host", "localhost:9000");
    for (const auto& [name, value] : headers) req.headers.add(std::string(name), std::string(value));
    req.body = std::move(body);
    return svc.handle(req, ctx).res;
  }
};

std::string body_of(const response& res) {
  const auto* text = std::get_if<std::string>(&res.body);
  return text ? *text : std::string();
}

std::string header(const response& res, std::string_view name) {
  return std::string(res.headers.find(name).value_or("<absent>"));
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

std::string tagging(std::string_view tags) {
  return "<Tagging><TagSet>" + std::string(tags) + "</TagSet></Tagging>";
}

constexpr std::string_view tagging_doc_ab =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
    "<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag></TagSet></Tagging>";
constexpr std::string_view empty_tagging_doc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet></TagSet></Tagging>";

}  // namespace

TEST_CASE("service: object tags are put, read, counted on GET/HEAD and deleted", "[s3_service][tagging]") {
  api_fixture f;
  CHECK(body_of(f.handle(method::get, "/media/a.ts?tagging")) == empty_tagging_doc);
  CHECK(header(f.handle(method::head, "/media/a.ts"), "x-amz-tagging-count") == "<absent>");

  const auto put =
      f.handle(method::put, "/media/a.ts?tagging", {},
               tagging("<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>"));
  CHECK(put.status == 200);
  CHECK(body_of(f.handle(method::get, "/media/a.ts?tagging")) == tagging_doc_ab);
  CHECK(header(f.handle(method::head, "/media/a.ts"), "x-amz-tagging-count") == "2");
  CHECK(header(f.handle(method::get, "/media/a.ts"), "x-amz-tagging-count") == "2");

  CHECK(f.handle(method::delete_, "/media/a.ts?tagging").status == 204);
  CHECK(body_of(f.handle(method::get, "/media/a.ts?tagging")) == empty_tagging_doc);
  CHECK(header(f.handle(method::head, "/media/a.ts"), "x-amz-tagging-count") == "<absent>");
}

TEST_CASE("service: object tagging of a missing object is NoSuchKey; bad tag sets are refused",
          "[s3_service][tagging]") {
  api_fixture f;
  CHECK(contains(body_of(f.handle(method::get, "/media/missing?tagging")), "<Code>NoSuchKey</Code>"));
  CHECK(f.handle(method::put, "/media/missing?tagging", {}, tagging("")).status == 404);
  CHECK(contains(body_of(f.handle(method::get, "/nobucket/a?tagging")), "<Code>NoSuchBucket</Code>"));
  const auto aws =
      f.handle(method::put, "/media/a.ts?tagging", {}, tagging("<Tag><Key>aws:x</Key><Value/></Tag>"));
  CHECK(aws.status == 400);
  CHECK(contains(body_of(aws), "<Code>InvalidTag</Code>"));
  CHECK(contains(body_of(f.handle(method::put, "/media/a.ts?tagging", {}, "<Tagging>")), "MalformedXML"));
  const auto bad_md5 = f.handle(method::put, "/media/a.ts?tagging",
                                {{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}}, tagging(""));
  CHECK(contains(body_of(bad_md5), "<Code>BadDigest</Code>"));
}

TEST_CASE("service: PutObject's x-amz-tagging sets the object's tags", "[s3_service][tagging]") {
  api_fixture f;
  CHECK(f.handle(method::put, "/media/t.txt", {{"x-amz-tagging", "a=1&b=2"}}, "x").status == 200);
  CHECK(body_of(f.handle(method::get, "/media/t.txt?tagging")) == tagging_doc_ab);
  const auto bad = f.handle(method::put, "/media/u.txt", {{"x-amz-tagging", "a=1&a=2"}}, "x");
  CHECK(bad.status == 400);
  CHECK(contains(body_of(bad), "<ArgumentName>x-amz-tagging</ArgumentName>"));
  CHECK(f.handle(method::head, "/media/u.txt").status == 404);
}

TEST_CASE("service: CopyObject copies tags, or replaces them with x-amz-tagging-directive REPLACE",
          "[s3_service][tagging]") {
  api_fixture f;
  REQUIRE(f.handle(method::put, "/media/src", {{"x-amz-tagging", "a=1&b=2"}}, "x").status == 200);
  CHECK(f.handle(method::put, "/media/copy", {{"x-amz-copy-source", "/media/src"}, {"x-amz-tagging", "c=3"}})
            .status == 200);
  CHECK(body_of(f.handle(method::get, "/media/copy?tagging")) == tagging_doc_ab);
  CHECK(f.handle(method::put, "/media/replaced",
                 {{"x-amz-copy-source", "/media/src"},
                  {"x-amz-tagging-directive", "REPLACE"},
                  {"x-amz-tagging", "c=3"}})
            .status == 200);
  CHECK(contains(body_of(f.handle(method::get, "/media/replaced?tagging")),
                 "<TagSet><Tag><Key>c</Key><Value>3</Value></Tag></TagSet>"));
  CHECK(f.handle(method::put, "/media/none",
                 {{"x-amz-copy-source", "/media/src"}, {"x-amz-tagging-directive", "REPLACE"}})
            .status == 200);
  CHECK(body_of(f.handle(method::get, "/media/none?tagging")) == empty_tagging_doc);
  const auto bad = f.handle(method::put, "/media/bad",
                            {{"x-amz-copy-source", "/media/src"}, {"x-amz-tagging-directive", "KEEP"}});
  CHECK(bad.status == 400);
  CHECK(contains(body_of(bad), "<ArgumentName>x-amz-tagging-directive</ArgumentName>"));
}

TEST_CASE("service: CreateMultipartUpload's x-amz-tagging is the completed object's",
          "[s3_service][tagging]") {
  api_fixture f;
  const auto created = f.handle(method::post, "/media/mp?uploads", {{"x-amz-tagging", "a=1&b=2"}});
  REQUIRE(created.status == 200);
  const std::string text = body_of(created);
  const auto begin = text.find("<UploadId>") + 10;
  const std::string upload_id = text.substr(begin, text.find("</UploadId>") - begin);
  const auto part = f.handle(method::put, "/media/mp?partNumber=1&uploadId=" + upload_id, {}, "part");
  REQUIRE(part.status == 200);
  const auto done = f.handle(method::post, "/media/mp?uploadId=" + upload_id, {},
                             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                                 header(part, "ETag") + "</ETag></Part></CompleteMultipartUpload>");
  REQUIRE(done.status == 200);
  CHECK(body_of(f.handle(method::get, "/media/mp?tagging")) == tagging_doc_ab);
  CHECK(contains(body_of(f.handle(method::post, "/media/mp2?uploads", {{"x-amz-tagging", "aws:x=1"}})),
                 "<Code>InvalidTag</Code>"));
}

TEST_CASE("service: bucket tags are put, read and deleted; none is NoSuchTagSet", "[s3_service][tagging]") {
  api_fixture f;
  const auto none = f.handle(method::get, "/media?tagging");
  CHECK(none.status == 404);
  CHECK(
      body_of(none) ==
      std::string(declaration) +
          "<Error><Code>NoSuchTagSet</Code><Message>There is no tag set associated with the bucket.</Message>"
          "<BucketName>media</BucketName><Resource>/media</Resource><RequestId>REQID</RequestId>"
          "<HostId>HOSTID</HostId></Error>");
  CHECK(f.handle(method::put, "/media?tagging", {},
                 tagging("<Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag>"))
            .status == 204);
  CHECK(body_of(f.handle(method::get, "/media?tagging")) == tagging_doc_ab);
  CHECK(f.handle(method::get, "/alpha?tagging").status == 404);
  CHECK(f.handle(method::delete_, "/media?tagging").status == 204);
  CHECK(f.handle(method::get, "/media?tagging").status == 404);
  CHECK(f.handle(method::put, "/nobucket?tagging", {}, tagging("")).status == 404);

  std::string fifty_one;
  for (int i = 0; i < 51; ++i) fifty_one += "<Tag><Key>k" + std::to_string(i) + "</Key><Value/></Tag>";
  const auto many = f.handle(method::put, "/media?tagging", {}, tagging(fifty_one));
  CHECK(many.status == 400);
  CHECK(contains(body_of(many), "<Message>Bucket tag count cannot be greater than 50</Message>"));
}

TEST_CASE("service: ListObjectVersions lists each object as its null version", "[s3_service][versions]") {
  api_fixture f;
  f.store.put("media", "b/1", "1", now);
  f.store.put("media", "b/2", "2", now);
  f.store.put("media", "c", "c", now);
  const auto page = f.handle(method::get, "/media?versions&max-keys=2&delimiter=/");
  CHECK(page.status == 200);
  CHECK(body_of(page) ==
        std::string(declaration) +
            "<ListVersionsResult "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>media</Name><Prefix></Prefix>"
            "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><NextKeyMarker>b/</NextKeyMarker>"
            "<MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
            "<Version><Key>a.ts</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"
            "<LastModified>2027-01-15T08:00:00.000Z</"
            "LastModified><ETag>&quot;fdd32b9061681edb52c554bd9bbf0712&quot;</ETag>"
            "<Size>7</Size><StorageClass>STANDARD</StorageClass><Owner>"
            "<ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
            "<DisplayName>s3cors</DisplayName></Owner></Version>"
            "<CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes></ListVersionsResult>");
  const auto rest = body_of(f.handle(method::get, "/media?versions&delimiter=/&key-marker=b/"));
  CHECK(contains(rest, "<KeyMarker>b/</KeyMarker>"));
  CHECK(contains(rest, "<IsTruncated>false</IsTruncated><Version><Key>c</Key>"));
  CHECK_FALSE(contains(rest, "<Key>b/1</Key>"));

  const auto objects =
      body_of(f.handle(method::get, "/media?versions&max-keys=1&key-marker=a.ts&version-id-marker=null"));
  CHECK(
      contains(objects, "<NextKeyMarker>b/1</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>"));
  CHECK(contains(objects, "<VersionIdMarker>null</VersionIdMarker>"));
}

TEST_CASE("service: ListObjectVersions refuses markers it cannot resume from", "[s3_service][versions]") {
  api_fixture f;
  const auto alone = f.handle(method::get, "/media?versions&version-id-marker=null");
  CHECK(alone.status == 400);
  CHECK(contains(body_of(alone),
                 "<Message>A version-id marker cannot be specified without a key marker.</Message>"));
  CHECK(f.handle(method::get, "/media?versions&key-marker=a&version-id-marker=3HL4kqtJ").status == 400);
  CHECK(f.handle(method::get, "/media?versions&max-keys=x").status == 400);
  CHECK(f.handle(method::get, "/nobucket?versions").status == 404);
  const auto encoded = body_of(f.handle(method::get, "/media?versions&encoding-type=url&prefix=a%20b"));
  CHECK(contains(encoded, "<Prefix>a%20b</Prefix>"));
  CHECK(contains(encoded, "<EncodingType>url</EncodingType>"));
}

TEST_CASE("service: GetBucketVersioning answers a configuration without status", "[s3_service][versions]") {
  api_fixture f;
  const auto res = f.handle(method::get, "/media?versioning");
  CHECK(res.status == 200);
  CHECK(body_of(res) == std::string(declaration) +
                            "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>");
  CHECK(f.handle(method::get, "/nobucket?versioning").status == 404);
}

TEST_CASE("service: ListBuckets pages with max-buckets and continuation-token, filters by prefix and region",
          "[s3_service][list_buckets]") {
  api_fixture f;
  f.store.add_bucket("media2", now);
  const auto first = body_of(f.handle(method::get, "/?max-buckets=2"));
  CHECK(contains(first,
                 "<Name>alpha</Name><CreationDate>2027-01-15T08:00:00.000Z</CreationDate>"
                 "<BucketRegion>us-east-1</BucketRegion>"));
  CHECK(contains(first, "<Name>media</Name>"));
  CHECK_FALSE(contains(first, "<Name>media2</Name>"));
  const auto token_at = first.find("<ContinuationToken>");
  REQUIRE(token_at != std::string::npos);
  CHECK(contains(first, "</Buckets><ContinuationToken>"));
  const std::string token = first.substr(token_at + 19, first.find("</ContinuationToken>") - token_at - 19);
  const auto second = body_of(f.handle(method::get, "/?max-buckets=2&continuation-token=" + token));
  CHECK(contains(second, "<Buckets><Bucket><Name>media2</Name>"));
  CHECK_FALSE(contains(second, "<ContinuationToken>"));

  const auto prefixed = body_of(f.handle(method::get, "/?prefix=med"));
  CHECK(contains(prefixed, "<Buckets><Bucket><Name>media</Name>"));
  CHECK_FALSE(contains(prefixed, "<Name>alpha</Name>"));
  CHECK(contains(prefixed, "</Buckets><Prefix>med</Prefix></ListAllMyBucketsResult>"));
  CHECK(contains(body_of(f.handle(method::get, "/?bucket-region=eu-west-1")), "<Buckets></Buckets>"));
  CHECK(contains(body_of(f.handle(method::get, "/?bucket-region=us-east-1")), "<Name>alpha</Name>"));

  const auto whole = body_of(f.handle(method::get, "/"));
  CHECK_FALSE(contains(whole, "BucketRegion"));
  CHECK_FALSE(contains(whole, "ContinuationToken"));
  for (const std::string bad : {"0", "10001", "x", "-1"}) {
    CAPTURE(bad);
    CHECK(f.handle(method::get, "/?max-buckets=" + bad).status == 400);
  }
  CHECK(f.handle(method::get, "/?continuation-token=%21%21").status == 400);
}

TEST_CASE("service: x-amz-expected-bucket-owner other than the owner's account is AccessDenied",
          "[s3_service][owner]") {
  api_fixture f;
  CHECK(f.handle(method::get, "/media/a.ts", {{"x-amz-expected-bucket-owner", "123456789012"}}).status ==
        200);
  const auto other = f.handle(method::get, "/media/a.ts", {{"x-amz-expected-bucket-owner", "111122223333"}});
  CHECK(other.status == 403);
  CHECK(contains(body_of(other), "<Code>AccessDenied</Code>"));
  CHECK(
      f.handle(method::get, "/media?list-type=2", {{"x-amz-expected-bucket-owner", "111122223333"}}).status ==
      403);
  CHECK(f.handle(method::put, "/media/new", {{"x-amz-expected-bucket-owner", "111122223333"}}, "x").status ==
        403);
  CHECK(f.handle(method::head, "/media/new").status == 404);
  CHECK(
      f.handle(method::put, "/media/copy",
               {{"x-amz-copy-source", "/media/a.ts"}, {"x-amz-source-expected-bucket-owner", "111122223333"}})
          .status == 403);
  const auto not_an_account =
      f.handle(method::get, "/media/a.ts", {{"x-amz-expected-bucket-owner", "12345678901x"}});
  CHECK(not_an_account.status == 400);
  CHECK(contains(body_of(not_an_account), "<Code>InvalidBucketOwnerAWSAccountID</Code>"));
  CHECK(f.handle(method::head, "/media", {{"x-amz-expected-bucket-owner", "1234"}}).status == 400);
  // The service root names no bucket.
  CHECK(f.handle(method::get, "/", {{"x-amz-expected-bucket-owner", "111122223333"}}).status == 200);
}

TEST_CASE("service: an anonymous request for a missing bucket is NoSuchBucket", "[s3_service][acl]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  s3cors::cors::cors_registry cors;
  s3cors::s3::service_options options;
  options.credentials = s3cors::auth::credential_set({s3cors::auth::credential{"AKIDTEST", "secret"}});
  s3cors::s3::service svc(store, cors, options);
  const auto anonymous = [&](method verb, std::string target) {
    s3cors::request req;
    req.verb = verb;
    req.method_name = std::string(s3cors::to_string(verb));
    req.target = std::move(target);
    req.headers.add("Host", "localhost:9000");
    return svc.handle(req, ctx).res;
  };
  const auto missing = anonymous(method::get, "/nobucket/a.ts");
  CHECK(missing.status == 404);
  CHECK(contains(body_of(missing), "<Code>NoSuchBucket</Code>"));
  CHECK(anonymous(method::get, "/nobucket").status == 404);
  CHECK(anonymous(method::put, "/nobucket/a.ts").status == 404);
  CHECK(anonymous(method::get, "/media/a.ts").status == 403);
  CHECK(anonymous(method::get, "/media").status == 403);
  CHECK(anonymous(method::get, "/media?versions").status == 403);
  // A public-read bucket lists its versions as it lists its objects; tags stay private.
  svc.acls().set_file_acls({{"media", "public-read"}});
  CHECK(anonymous(method::get, "/media?versions").status == 200);
  CHECK(anonymous(method::get, "/media?tagging").status == 403);
}

TEST_CASE("service: DeleteObjects deletes keys made of white space", "[s3_service]") {
  api_fixture f;
  f.store.put("media", "   ", "spaces", now);
  const auto res = f.handle(method::post, "/media?delete", {},
                            "<Delete><Object><Key>   </Key></Object><Quiet>false</Quiet></Delete>");
  CHECK(res.status == 200);
  CHECK(contains(body_of(res), "<Deleted><Key>   </Key></Deleted>"));
  CHECK(f.handle(method::head, "/media/%20%20%20").status == 404);
}

// (aws-chunked bodies, whose token is dropped, are in fs_records_test and the e2e tests.)
TEST_CASE("service: Content-Encoding is stored verbatim", "[s3_service]") {
  api_fixture f;
  struct row {
    std::string_view sent;
    std::string_view returned;
  };
  const auto r = GENERATE(values<row>({
      {"gzip", "gzip"},
      {"gzip, br", "gzip, br"},
      {"x-custom;q=1", "x-custom;q=1"},
  }));
  CAPTURE(r.sent);
  REQUIRE(f.handle(method::put, "/media/e", {{"Content-Encoding", r.sent}}, "x").status == 200);
  CHECK(header(f.handle(method::head, "/media/e"), "Content-Encoding") == r.returned);
}

TEST_CASE("service: non-ASCII user metadata is returned RFC 2047-encoded", "[s3_service]") {
  api_fixture f;
  REQUIRE(f.handle(method::put, "/media/m",
                   {{"x-amz-meta-plain", "ascii"},
                    {"x-amz-meta-word", "caf\xC3\xA9"},
                    {"x-amz-meta-encoded", "=?UTF-8?B?5pel5pys?="},
                    {"x-amz-meta-q", "=?utf-8?Q?caf=C3=A9_au_lait?="}},
                   "x")
              .status == 200);
  const auto head = f.handle(method::head, "/media/m");
  CHECK(header(head, "x-amz-meta-plain") == "ascii");
  CHECK(header(head, "x-amz-meta-word") == "=?UTF-8?B?Y2Fmw6k=?=");
  // Encoded words are decoded before storing, and encoded again on the way out.
  CHECK(header(head, "x-amz-meta-encoded") == "=?UTF-8?B?5pel5pys?=");
  CHECK(header(head, "x-amz-meta-q") == "=?UTF-8?B?Y2Fmw6kgYXUgbGFpdA==?=");
}

TEST_CASE("service: ListObjects v1 echoes Prefix, Marker and Delimiter unencoded without encoding-type",
          "[s3_service]") {
  api_fixture f;
  f.store.put("media", "a b/1", "1", now);
  f.store.put("media", "a b/2", "2", now);
  const auto plain =
      body_of(f.handle(method::get, "/media?prefix=a%20b&marker=a%20b%2F0&delimiter=%2F&max-keys=1"));
  CHECK(contains(plain, "<Prefix>a b</Prefix><Marker>a b/0</Marker>"));
  CHECK(contains(plain, "<Delimiter>/</Delimiter>"));
  const auto url = body_of(f.handle(
      method::get, "/media?prefix=a%20b&marker=a%20b%2F0&encoding-type=url&max-keys=1&delimiter=%20"));
  CHECK(contains(url, "<Prefix>a%20b</Prefix><Marker>a%20b/0</Marker><NextMarker>a%20b/1</NextMarker>"));
}

TEST_CASE("service: POST Object's tagging field tags the object", "[s3_service][tagging]") {
  api_fixture f;
  const auto post = [&](std::string_view key, std::string_view tagging_field) {
    const std::string body =
        "--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n" + std::string(key) +
        "\r\n--B\r\nContent-Disposition: form-data; name=\"tagging\"\r\n\r\n" + std::string(tagging_field) +
        "\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; "
        "filename=\"f.txt\"\r\n\r\ncontent\r\n--B--\r\n";
    return f.handle(method::post, "/media", {{"Content-Type", "multipart/form-data; boundary=B"}}, body);
  };
  CHECK(post("posted", tagging("<Tag><Key>a</Key><Value>1</Value></Tag>")).status == 204);
  CHECK(header(f.handle(method::head, "/media/posted"), "x-amz-tagging-count") == "1");
  const auto bad = post("refused", tagging("<Tag><Key>aws:a</Key><Value>1</Value></Tag>"));
  CHECK(bad.status == 400);
  CHECK(contains(body_of(bad), "<Code>InvalidTag</Code>"));
  CHECK(f.handle(method::head, "/media/refused").status == 404);
}
