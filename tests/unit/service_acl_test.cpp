// Bucket ACLs set through the API are kept in memory (anonymous requests never read them from
// disk), survive a restart through their bucket document, and go with DeleteBucket.
#include "memory_store.hpp"
#include "s3cors/auth/sigv4.hpp"
#include "s3cors/cors/registry.hpp"
#include "s3cors/s3/identity.hpp"
#include "s3cors/s3/service.hpp"

#include <catch2/catch.hpp>

#include <chrono>

namespace {

using s3cors::method;
using s3cors::request;

const s3cors::auth::credential key{"AKIDACLTEST", "acl-test-secret"};
const std::chrono::sys_seconds now{std::chrono::seconds{1'800'000'000}};
const s3cors::s3::request_context ctx{now, "REQID", "HOSTID"};

s3cors::s3::service_options with_credentials() {
  s3cors::s3::service_options options;
  options.credentials = s3cors::auth::credential_set({key});
  options.s3_bucket_defaults = false;  // ACLs on API buckets, as before April 2023
  return options;
}

request make(method verb, std::string name, std::string target, bool sign) {
  request req;
  req.verb = verb;
  req.method_name = std::move(name);
  req.target = std::move(target);
  req.headers.add("Host", "127.0.0.1:9000");
  if (sign) s3cors::auth::sign_request(req, key, now);
  return req;
}

unsigned anonymous_get(const s3cors::s3::service& svc) {
  return svc.handle(make(method::get, "GET", "/media/a.ts", false), ctx).res.status;
}

unsigned anonymous_list(const s3cors::s3::service& svc) {
  return svc.handle(make(method::get, "GET", "/media?list-type=2", false), ctx).res.status;
}

unsigned signed_put_acl(const s3cors::s3::service& svc, std::string target, std::string_view acl) {
  request put_acl = make(method::put, "PUT", std::move(target), false);
  put_acl.headers.add("x-amz-acl", std::string(acl));
  s3cors::auth::sign_request(put_acl, key, now);
  return svc.handle(put_acl, ctx).res.status;
}

}  // namespace

TEST_CASE("service: bucket ACLs set through the API outlive the service, and DeleteBucket drops them",
          "[s3_service][acl]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.put("media", "a.ts", "segment", now);
  s3cors::cors::cors_registry cors;
  {
    const s3cors::s3::service svc(store, cors, with_credentials());
    CHECK(anonymous_list(svc) == 403);
    REQUIRE(signed_put_acl(svc, "/media?acl", "public-read") == 200);
    CHECK(anonymous_list(svc) == 200);
  }
  // A new service on the same store (a restart) finds the ACL in the bucket document.
  const s3cors::s3::service restarted(store, cors, with_credentials());
  CHECK(anonymous_list(restarted) == 200);

  store.remove("media", "a.ts");
  REQUIRE(restarted.handle(make(method::delete_, "DELETE", "/media", true), ctx).res.status == 204);
  REQUIRE(restarted.handle(make(method::put, "PUT", "/media", true), ctx).res.status == 200);
  store.put("media", "a.ts", "segment", now);
  CHECK(anonymous_list(restarted) == 403);  // a new bucket of the same name is private again
}

TEST_CASE("service: READ on a bucket lets anonymous requests list it, not read its private objects",
          "[s3_service][acl]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.put("media", "a.ts", "segment", now);
  s3cors::cors::cors_registry cors;
  const s3cors::s3::service svc(store, cors, with_credentials());
  REQUIRE(signed_put_acl(svc, "/media?acl", "public-read") == 200);
  CHECK(anonymous_list(svc) == 200);
  CHECK(svc.handle(make(method::head, "HEAD", "/media", false), ctx).res.status == 200);
  // The object's ACL (private: none set) governs its reads.
  CHECK(anonymous_get(svc) == 403);
  CHECK(svc.handle(make(method::head, "HEAD", "/media/a.ts", false), ctx).res.status == 403);
  // A missing object: READ on the bucket lets the requester learn that it does not exist.
  CHECK(svc.handle(make(method::get, "GET", "/media/none.ts", false), ctx).res.status == 404);
  // READ is not WRITE.
  request put = make(method::put, "PUT", "/media/b.ts", false);
  put.body = "x";
  CHECK(svc.handle(put, ctx).res.status == 403);
  CHECK(svc.handle(make(method::delete_, "DELETE", "/media/a.ts", false), ctx).res.status == 403);
  // The object made public-read is readable.
  REQUIRE(signed_put_acl(svc, "/media/a.ts?acl", "public-read") == 200);
  CHECK(anonymous_get(svc) == 200);
}

TEST_CASE("service: WRITE on a bucket lets anonymous requests create and delete objects, not read them",
          "[s3_service][acl]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.put("media", "a.ts", "segment", now);
  s3cors::cors::cors_registry cors;
  const s3cors::s3::service svc(store, cors, with_credentials());
  REQUIRE(signed_put_acl(svc, "/media?acl", "public-read-write") == 200);
  request put = make(method::put, "PUT", "/media/b.ts", false);
  put.body = "x";
  CHECK(svc.handle(put, ctx).res.status == 200);
  CHECK(anonymous_get(svc) == 403);
  CHECK(svc.handle(make(method::get, "GET", "/media/b.ts", false), ctx).res.status == 403);
  CHECK(svc.handle(make(method::delete_, "DELETE", "/media/a.ts", false), ctx).res.status == 204);
  // Bucket configuration stays the owner's.
  CHECK(svc.handle(make(method::get, "GET", "/media?acl", false), ctx).res.status == 403);
  CHECK(svc.handle(make(method::get, "GET", "/media?cors", false), ctx).res.status == 403);
  CHECK(svc.handle(make(method::delete_, "DELETE", "/media", false), ctx).res.status == 403);
}

TEST_CASE("service: the configuration file's public-read makes every object readable by anyone",
          "[s3_service][acl]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.put("media", "a.ts", "segment", now);
  s3cors::cors::cors_registry cors;
  s3cors::s3::service svc(store, cors, with_credentials());
  svc.acls().set_file_acls({{"media", "public-read"}});
  CHECK(anonymous_get(svc) == 200);
  CHECK(anonymous_list(svc) == 200);
  // Even an object whose own ACL is private: the file's setting stands for a bucket policy.
  REQUIRE(signed_put_acl(svc, "/media/a.ts?acl", "private") == 200);
  CHECK(anonymous_get(svc) == 200);
  request put = make(method::put, "PUT", "/media/b.ts", false);
  put.body = "x";
  CHECK(svc.handle(put, ctx).res.status == 403);
  // public-read-write also lets anyone write, and read what was written.
  svc.acls().set_file_acls({{"media", "public-read-write"}});
  CHECK(svc.handle(put, ctx).res.status == 200);
  CHECK(svc.handle(make(method::get, "GET", "/media/b.ts", false), ctx).res.status == 200);
}

TEST_CASE("service: DeleteBucketCors touches only CORS, never an ACL set through the API",
          "[s3_service][acl]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.put("media", "a.ts", "segment", now);
  s3cors::cors::cors_registry cors;
  s3cors::s3::service svc(store, cors, with_credentials());
  // The configuration file makes the bucket public; the API makes it private again.
  svc.acls().set_file_acls({{"media", "public-read"}});
  CHECK(anonymous_get(svc) == 200);
  request put_acl = make(method::put, "PUT", "/media?acl", false);
  put_acl.headers.add("x-amz-acl", "private");
  s3cors::auth::sign_request(put_acl, key, now);
  REQUIRE(svc.handle(put_acl, ctx).res.status == 200);
  CHECK(anonymous_get(svc) == 403);
  REQUIRE(svc.handle(make(method::delete_, "DELETE", "/media?cors", true), ctx).res.status == 204);
  CHECK(anonymous_get(svc) == 403);
  // Nor does PutBucketCors.
  request put_cors = make(method::put, "PUT", "/media?cors", false);
  put_cors.body =
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
      "</CORSRule></CORSConfiguration>";
  s3cors::auth::sign_request(put_cors, key, now);
  REQUIRE(svc.handle(put_cors, ctx).res.status == 200);
  CHECK(anonymous_get(svc) == 403);
}

TEST_CASE("service: UploadPartCopy reads its source only with read access to it", "[s3_service][acl]") {
  s3cors::test::memory_store store;
  store.add_bucket("media", now);
  store.add_bucket("drop", now);
  store.put("media", "secret.txt", "the secret", now);
  s3cors::cors::cors_registry cors;
  s3cors::s3::service svc(store, cors, with_credentials());
  svc.acls().set_file_acls({{"drop", "public-read-write"}});
  const auto created = svc.handle(make(method::post, "POST", "/drop/loot?uploads", false), ctx).res;
  REQUIRE(created.status == 200);
  const auto& xml = std::get<std::string>(created.body);
  const auto id_at = xml.find("<UploadId>") + 10;
  const std::string id = xml.substr(id_at, xml.find("</UploadId>") - id_at);
  request copy = make(method::put, "PUT", "/drop/loot?partNumber=1&uploadId=" + id, false);
  copy.headers.add("x-amz-copy-source", "/media/secret.txt");
  const auto refused = svc.handle(copy, ctx).res;
  CHECK(refused.status == 403);
  CHECK(store.list_parts("drop", id)->empty());
  // A readable source may be copied.
  store.put("drop", "mine.txt", "mine", now);
  request allowed = make(method::put, "PUT", "/drop/loot?partNumber=1&uploadId=" + id, false);
  allowed.headers.add("x-amz-copy-source", "/drop/mine.txt");
  CHECK(svc.handle(allowed, ctx).res.status == 200);
}

namespace {

// Two users of two accounts, and a colleague of alice's in her account.
const s3cors::auth::credential alice{"alice", "alice-secret",      "Alice",
                                     "",      "alice@example.com", "111111111111"};
const s3cors::auth::credential carol{"carol", "carol-secret", "", "", "", "111111111111"};
const s3cors::auth::credential bob{"bob", "bob-secret", "Bob", "", "", "222222222222"};

request as(const s3cors::auth::credential& who, method verb, std::string name, std::string target,
           std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = {}) {
  request req = make(verb, std::move(name), std::move(target), false);
  for (auto& [header, value] : headers) req.headers.add(header, value);
  req.body = std::move(body);
  s3cors::auth::sign_request(req, who, now);
  return req;
}

std::string body_of(const s3cors::response& res) {
  const auto* text = std::get_if<std::string>(&res.body);
  return text ? *text : std::string();
}

}  // namespace

TEST_CASE("service: each credential is a user; buckets and objects record their owner", "[s3_service][acl]") {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  s3cors::s3::service_options options;
  options.credentials = s3cors::auth::credential_set({alice, carol, bob});
  // ACLs on API buckets, as S3 made buckets before April 2023 (service_controls_test covers
  // today's defaults).
  options.s3_bucket_defaults = false;
  const s3cors::s3::service svc(store, cors, options);
  const std::string alice_id = s3cors::s3::default_canonical_id("alice");
  const std::string bob_id = s3cors::s3::default_canonical_id("bob");
  REQUIRE(alice_id.size() == 64);
  CHECK(alice_id != bob_id);

  REQUIRE(svc.handle(as(alice, method::put, "PUT", "/a-bucket"), ctx).res.status == 200);
  REQUIRE(svc.handle(as(alice, method::put, "PUT", "/a-bucket/k.txt", {}, "alice's"), ctx).res.status == 200);
  const auto listing = body_of(svc.handle(as(alice, method::get, "GET", "/"), ctx).res);
  CHECK_THAT(listing, Catch::Contains("<ID>" + alice_id + "</ID><DisplayName>Alice</DisplayName>"));
  CHECK_THAT(listing, Catch::Contains("<Name>a-bucket</Name>"));
  // bob's account owns none of it: not listed, not his to delete or configure.
  const auto bobs = body_of(svc.handle(as(bob, method::get, "GET", "/"), ctx).res);
  CHECK_THAT(bobs, !Catch::Contains("a-bucket"));
  CHECK_THAT(bobs, Catch::Contains("<DisplayName>Bob</DisplayName>"));
  CHECK(svc.handle(as(bob, method::get, "GET", "/a-bucket/k.txt"), ctx).res.status == 403);
  CHECK(svc.handle(as(bob, method::get, "GET", "/a-bucket?list-type=2"), ctx).res.status == 403);
  CHECK(svc.handle(as(bob, method::get, "GET", "/a-bucket?acl"), ctx).res.status == 403);
  CHECK(svc.handle(as(bob, method::delete_, "DELETE", "/a-bucket?cors"), ctx).res.status == 403);
  CHECK(svc.handle(as(bob, method::put, "PUT", "/a-bucket/k.txt", {}, "bob's"), ctx).res.status == 403);
  // carol shares alice's account: she is the owner too.
  CHECK(svc.handle(as(carol, method::get, "GET", "/a-bucket/k.txt"), ctx).res.status == 200);

  // GetObjectAcl and GetBucketAcl name the owner; fetch-owner too.
  const auto acl = body_of(svc.handle(as(alice, method::get, "GET", "/a-bucket/k.txt?acl"), ctx).res);
  CHECK_THAT(acl,
             Catch::Contains("<Owner><ID>" + alice_id + "</ID><DisplayName>Alice</DisplayName></Owner>"));
  CHECK_THAT(
      body_of(svc.handle(as(alice, method::get, "GET", "/a-bucket?list-type=2&fetch-owner=true"), ctx).res),
      Catch::Contains("<ID>" + alice_id + "</ID>"));

  // A public-read object is bob's to read; a public-read-write bucket is his to write in, and
  // what he writes is his (ObjectWriter): alice cannot read it without a grant.
  REQUIRE(
      svc.handle(as(alice, method::put, "PUT", "/a-bucket/k.txt?acl", {{"x-amz-acl", "public-read"}}), ctx)
          .res.status == 200);
  CHECK(svc.handle(as(bob, method::get, "GET", "/a-bucket/k.txt"), ctx).res.status == 200);
  REQUIRE(
      svc.handle(as(alice, method::put, "PUT", "/a-bucket?acl", {{"x-amz-acl", "public-read-write"}}), ctx)
          .res.status == 200);
  REQUIRE(svc.handle(as(bob, method::put, "PUT", "/a-bucket/bob.txt", {}, "bob's"), ctx).res.status == 200);
  CHECK(svc.handle(as(alice, method::get, "GET", "/a-bucket/bob.txt"), ctx).res.status == 403);
  CHECK_THAT(body_of(svc.handle(as(bob, method::get, "GET", "/a-bucket/bob.txt?acl"), ctx).res),
             Catch::Contains("<Owner><ID>" + bob_id + "</ID>"));
  CHECK(svc.handle(as(bob, method::delete_, "DELETE", "/a-bucket"), ctx).res.status == 403);
  // A restart finds the bucket's owner in its bucket document.
  const s3cors::s3::service restarted(store, cors, options);
  CHECK(restarted.handle(as(bob, method::delete_, "DELETE", "/a-bucket?cors"), ctx).res.status == 403);
  CHECK(restarted.handle(as(carol, method::delete_, "DELETE", "/a-bucket?cors"), ctx).res.status == 204);
}

TEST_CASE("service: grants to a user of another account, by header, e-mail or AccessControlPolicy",
          "[s3_service][acl][grants]") {
  s3cors::test::memory_store store;
  s3cors::cors::cors_registry cors;
  s3cors::s3::service_options options;
  options.credentials = s3cors::auth::credential_set({alice, carol, bob});
  // ACLs on API buckets, as S3 made buckets before April 2023 (service_controls_test covers
  // today's defaults).
  options.s3_bucket_defaults = false;
  const s3cors::s3::service svc(store, cors, options);
  const std::string alice_id = s3cors::s3::default_canonical_id("alice");
  const std::string bob_id = s3cors::s3::default_canonical_id("bob");
  auto status = [&](const request& req) { return svc.handle(req, ctx).res.status; };
  auto code_of = [&](const request& req) { return body_of(svc.handle(req, ctx).res); };

  REQUIRE(status(as(alice, method::put, "PUT", "/g-bucket")) == 200);
  REQUIRE(status(as(alice, method::put, "PUT", "/g-bucket/k.txt", {}, "alice's")) == 200);
  CHECK(status(as(bob, method::get, "GET", "/g-bucket/k.txt")) == 403);
  // PutObjectAcl with x-amz-grant-read id=...: bob reads it, and may not read its ACL.
  REQUIRE(status(as(alice, method::put, "PUT", "/g-bucket/k.txt?acl",
                    {{"x-amz-grant-read", "id=" + bob_id}})) == 200);
  CHECK(status(as(bob, method::get, "GET", "/g-bucket/k.txt")) == 200);
  CHECK(status(as(bob, method::get, "GET", "/g-bucket/k.txt?acl")) == 403);
  // The grant list replaced the owner's grant; alice still reads and writes the ACL.
  const auto acl = code_of(as(alice, method::get, "GET", "/g-bucket/k.txt?acl"));
  CHECK_THAT(acl, Catch::Contains("<ID>" + bob_id +
                                  "</ID><DisplayName>Bob</DisplayName></Grantee>"
                                  "<Permission>READ</Permission>"));
  CHECK_THAT(acl, !Catch::Contains("FULL_CONTROL"));

  // PutObject with a grant by e-mail address (alice's colleague carol is alice's account).
  REQUIRE(status(as(bob, method::put, "PUT", "/g-bucket/k.txt?acl", {{"x-amz-acl", "private"}})) == 403);
  REQUIRE(status(as(alice, method::put, "PUT", "/g-bucket/mail.txt",
                    {{"x-amz-grant-full-control", "emailAddress=\"alice@example.com\""}}, "x")) == 200);
  CHECK(status(as(bob, method::get, "GET", "/g-bucket/mail.txt")) == 403);
  CHECK_THAT(code_of(as(alice, method::put, "PUT", "/g-bucket/x.txt",
                        {{"x-amz-grant-read", "emailAddress=\"nobody@example.com\""}}, "x")),
             Catch::Contains("<Code>UnresolvableGrantByEmailAddress</Code>"));
  // Both kinds of header ACL; a header ACL with a body.
  const auto both = code_of(as(alice, method::put, "PUT", "/g-bucket/k.txt?acl",
                               {{"x-amz-acl", "private"}, {"x-amz-grant-read", "id=" + bob_id}}));
  CHECK_THAT(both,
             Catch::Contains("<Code>InvalidRequest</Code><Message>Specifying both Canned ACLs and Header "
                             "Grants is not allowed</Message>"));
  const std::string policy =
      "<AccessControlPolicy><Owner><ID>" + alice_id +
      "</ID></Owner><AccessControlList><Grant><Grantee "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:type=\"AmazonCustomerByEmail\"><EmailAddress>alice@example.com</EmailAddress>"
      "</Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList>"
      "</AccessControlPolicy>";
  CHECK_THAT(
      code_of(as(alice, method::put, "PUT", "/g-bucket/k.txt?acl", {{"x-amz-acl", "private"}}, policy)),
      Catch::Contains("<Code>UnexpectedContent</Code>"));
  CHECK_THAT(code_of(as(alice, method::put, "PUT", "/g-bucket?acl", {}, "<AccessControlPolicy>")),
             Catch::Contains("<Code>MalformedACLError</Code>"));
  // An AccessControlPolicy naming another Owner is refused; alice's own replaces bob's grant.
  std::string bobs_policy = policy;
  bobs_policy.replace(bobs_policy.find(alice_id), alice_id.size(), bob_id);
  CHECK(status(as(alice, method::put, "PUT", "/g-bucket/k.txt?acl", {}, bobs_policy)) == 403);
  REQUIRE(status(as(alice, method::put, "PUT", "/g-bucket/k.txt?acl", {}, policy)) == 200);
  CHECK(status(as(bob, method::get, "GET", "/g-bucket/k.txt")) == 403);

  // A bucket grant by header at CreateBucket: bob lists it; a restart keeps the grant list.
  REQUIRE(status(as(alice, method::put, "PUT", "/h-bucket",
                    {{"x-amz-grant-read", "id=\"" + bob_id + "\""}})) == 200);
  CHECK(status(as(bob, method::get, "GET", "/h-bucket?list-type=2")) == 200);
  const s3cors::s3::service restarted(store, cors, options);
  CHECK(restarted.handle(as(bob, method::get, "GET", "/h-bucket?list-type=2"), ctx).res.status == 200);
  CHECK(restarted.handle(as(bob, method::get, "GET", "/g-bucket?list-type=2"), ctx).res.status == 403);

  // CreateMultipartUpload's grants reach the object at Complete; CopyObject takes its own.
  REQUIRE(status(as(alice, method::put, "PUT", "/g-bucket/copy.txt",
                    {{"x-amz-copy-source", "/g-bucket/k.txt"}, {"x-amz-grant-read", "id=" + bob_id}})) ==
          200);
  CHECK(status(as(bob, method::get, "GET", "/g-bucket/copy.txt")) == 200);
  const auto created = code_of(
      as(alice, method::post, "POST", "/g-bucket/mp.txt?uploads", {{"x-amz-grant-read", "id=" + bob_id}}));
  const auto id_at = created.find("<UploadId>");
  REQUIRE(id_at != std::string::npos);
  const auto upload_id = created.substr(id_at + 10, created.find("</UploadId>") - id_at - 10);
  const auto part = svc.handle(
      as(alice, method::put, "PUT", "/g-bucket/mp.txt?partNumber=1&uploadId=" + upload_id, {}, "part"), ctx);
  REQUIRE(part.res.status == 200);
  const std::string etag(part.res.headers.find("ETag").value_or(""));
  REQUIRE(status(as(alice, method::post, "POST", "/g-bucket/mp.txt?uploadId=" + upload_id, {},
                    "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag +
                        "</ETag></Part></CompleteMultipartUpload>")) == 200);
  CHECK(status(as(bob, method::get, "GET", "/g-bucket/mp.txt")) == 200);
}
