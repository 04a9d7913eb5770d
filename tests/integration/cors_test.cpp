#include "server_fixture.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

using s3cors::test::header_fields;
using s3cors::test::send_request;
using s3cors::test::server_fixture;

// Bucket CORS through the in-process server; section numbers are those of docs/cors.md.
namespace {

constexpr const char* player_rules = R"([
  {"AllowedOrigins": ["https://player.example"], "AllowedMethods": ["GET", "HEAD"],
   "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag", "Content-Range"], "MaxAgeSeconds": 3000},
  {"AllowedOrigins": ["*"], "AllowedMethods": ["PUT"]}
])";

constexpr const char* vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

void check_no_cors_headers(const s3cors::test::http_response& res) {
  for (const auto& [name, value] : res.headers) {
    CAPTURE(name);
    CHECK_FALSE(Catch::startsWith(Catch::toLower(name), "access-control-"));
    CHECK(Catch::toLower(name) != "vary");
  }
}

}  // namespace

TEST_CASE("cors §9: a matching preflight is 200 with the rule's headers, no body, no Content-Type",
          "[integration][cors]") {
  server_fixture server;
  server.set_file_cors("media", player_rules);
  const auto res = send_request(server.port(), "OPTIONS", "/media/hls/master.m3u8",
                                {{"Origin", "https://player.example"},
                                 {"Access-Control-Request-Method", "GET"},
                                 {"Access-Control-Request-Headers", "Range, X-Custom"}});
  CHECK(res.status == 200);
  CHECK(res.body.empty());
  CHECK(res.header("Content-Length") == "0");
  CHECK_FALSE(res.header("Content-Type").has_value());
  CHECK(res.header("Access-Control-Allow-Origin") == "https://player.example");
  CHECK(res.header("Access-Control-Allow-Credentials") == "true");
  CHECK(res.header("Access-Control-Allow-Methods") == "GET, HEAD");
  CHECK(res.header("Access-Control-Allow-Headers") == "range, x-custom");
  CHECK(res.header("Access-Control-Expose-Headers") == "ETag, Content-Range");
  CHECK(res.header("Access-Control-Max-Age") == "3000");
  CHECK(res.header("Vary") == vary);
  CHECK(res.header("x-amz-request-id").has_value());
}

TEST_CASE("cors §8: refused preflights are S3's error documents without CORS headers",
          "[integration][cors]") {
  server_fixture server;
  server.write("plain/x.txt", "x");
  server.set_file_cors("media", player_rules);

  const auto wrong_origin =
      send_request(server.port(), "OPTIONS", "/media/a.ts",
                   {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}});
  CHECK(wrong_origin.status == 403);
  CHECK_THAT(wrong_origin.body, Catch::Contains("<Code>AccessForbidden</Code>"));
  CHECK_THAT(wrong_origin.body, Catch::Contains("evalution of Origin"));
  CHECK_THAT(wrong_origin.body, Catch::Contains("<Method>GET</Method><ResourceType>OBJECT</ResourceType>"));
  check_no_cors_headers(wrong_origin);

  const auto no_origin = send_request(server.port(), "OPTIONS", "/media/a.ts");
  CHECK(no_origin.status == 400);
  CHECK_THAT(no_origin.body, Catch::Contains("Insufficient information. Origin request header needed."));

  const auto no_config =
      send_request(server.port(), "OPTIONS", "/plain/x.txt", {{"Origin", "https://player.example"}});
  CHECK(no_config.status == 403);
  CHECK_THAT(no_config.body, Catch::Contains("CORSResponse: CORS is not enabled for this bucket."));
  CHECK_THAT(no_config.body, Catch::Contains("<Method>OPTIONS</Method><ResourceType>BUCKET</ResourceType>"));

  const auto no_bucket =
      send_request(server.port(), "OPTIONS", "/nothere/x", {{"Origin", "https://player.example"}});
  CHECK(no_bucket.status == 403);
  CHECK_THAT(no_bucket.body, Catch::Contains("CORSResponse: Bucket not found"));

  const auto no_method =
      send_request(server.port(), "OPTIONS", "/media/a.ts", {{"Origin", "https://player.example"}});
  CHECK(no_method.status == 400);
  CHECK_THAT(no_method.body, Catch::Contains("Invalid Access-Control-Request-Method: null"));
}

TEST_CASE("cors §10: actual responses carry the headers, errors included, only when a rule matches",
          "[integration][cors]") {
  server_fixture server;
  server.write("media/seg.ts", "0123456789");
  server.set_file_cors("media", player_rules);
  const header_fields player{{"Origin", "https://player.example"}};

  const auto ok = send_request(server.port(), "GET", "/media/seg.ts", player);
  CHECK(ok.status == 200);
  CHECK(ok.header("Access-Control-Allow-Origin") == "https://player.example");
  CHECK(ok.header("Access-Control-Allow-Methods") == "GET, HEAD");
  CHECK(ok.header("Access-Control-Expose-Headers") == "ETag, Content-Range");
  CHECK(ok.header("Vary") == vary);
  CHECK_FALSE(ok.header("Access-Control-Allow-Headers").has_value());

  header_fields ranged = player;
  ranged.emplace_back("Range", "bytes=0-1");
  CHECK(send_request(server.port(), "GET", "/media/seg.ts", ranged).header("Access-Control-Allow-Origin"));
  const auto missing = send_request(server.port(), "GET", "/media/none.ts", player);
  CHECK(missing.status == 404);
  CHECK(missing.header("Access-Control-Allow-Origin") == "https://player.example");
  header_fields too_far = player;
  too_far.emplace_back("Range", "bytes=100-");
  CHECK(send_request(server.port(), "GET", "/media/seg.ts", too_far).header("Access-Control-Allow-Origin"));

  // A PUT is judged against the PUT rule (origin *): Allow-Origin * and no credentials.
  const auto put =
      send_request(server.port(), "PUT", "/media/new.ts", {{"Origin", "https://any.example"}}, "x");
  CHECK(put.header("Access-Control-Allow-Origin") == "*");
  CHECK_FALSE(put.header("Access-Control-Allow-Credentials").has_value());

  check_no_cors_headers(
      send_request(server.port(), "GET", "/media/seg.ts", {{"Origin", "https://evil.example"}}));
  check_no_cors_headers(send_request(server.port(), "GET", "/media/seg.ts"));
  // §12.8: Access-Control-Request-Method on an actual request is what gets judged.
  check_no_cors_headers(
      send_request(server.port(), "GET", "/media/seg.ts",
                   {{"Origin", "https://player.example"}, {"Access-Control-Request-Method", "DELETE"}}));
}

TEST_CASE("cors API: Put/Get/DeleteBucketCors, and the API's rules win over the file's",
          "[integration][cors]") {
  server_fixture server;
  server.write("media/a.ts", "x");
  server.set_file_cors("media", player_rules);
  const std::string xml =
      "<CORSConfiguration><CORSRule><AllowedOrigin>https://api.example</AllowedOrigin>"
      "<AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";

  const auto put =
      send_request(server.port(), "PUT", "/media?cors", {{"Content-Type", "application/xml"}}, xml);
  CHECK(put.status == 200);
  CHECK(put.body.empty());

  const auto got = send_request(server.port(), "GET", "/media?cors");
  CHECK(got.status == 200);
  CHECK_THAT(got.body, Catch::Contains("<AllowedOrigin>https://api.example</AllowedOrigin>"));
  CHECK_THAT(got.body, Catch::Contains("<MaxAgeSeconds>60</MaxAgeSeconds>"));

  const auto api_preflight =
      send_request(server.port(), "OPTIONS", "/media/a.ts",
                   {{"Origin", "https://api.example"}, {"Access-Control-Request-Method", "GET"}});
  CHECK(api_preflight.status == 200);
  const auto file_preflight =
      send_request(server.port(), "OPTIONS", "/media/a.ts",
                   {{"Origin", "https://player.example"}, {"Access-Control-Request-Method", "GET"}});
  CHECK(file_preflight.status == 403);

  // Persisted outside the key namespace: never an object.
  CHECK(send_request(server.port(), "GET", "/media/cors.xml").status == 404);
  CHECK(std::filesystem::exists(server.root().path() / ".s3cors/buckets/media/cors.xml"));

  const auto deleted = send_request(server.port(), "DELETE", "/media?cors");
  CHECK(deleted.status == 204);
  CHECK(send_request(server.port(), "DELETE", "/media?cors").status == 204);
  // The file's rules apply again.
  const auto back = send_request(server.port(), "GET", "/media?cors");
  CHECK(back.status == 200);
  CHECK_THAT(back.body, Catch::Contains("https://player.example"));
}

TEST_CASE("cors API: GetBucketCors without configuration, invalid documents and digests",
          "[integration][cors]") {
  server_fixture server;
  const auto none = send_request(server.port(), "GET", "/media?cors");
  CHECK(none.status == 404);
  CHECK_THAT(none.body, Catch::Contains("<Code>NoSuchCORSConfiguration</Code>"));
  CHECK_THAT(none.body, Catch::Contains("<Message>The CORS configuration does not exist</Message>"));
  CHECK_THAT(none.body, Catch::Contains("<BucketName>media</BucketName>"));

  CHECK(send_request(server.port(), "GET", "/nothere?cors").status == 404);

  const auto empty = send_request(server.port(), "PUT", "/media?cors", {}, "<CORSConfiguration/>");
  CHECK(empty.status == 400);
  CHECK_THAT(empty.body, Catch::Contains("<Code>MalformedXML</Code>"));

  const auto bad_method = send_request(
      server.port(), "PUT", "/media?cors", {},
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>MYMETHOD</AllowedMethod>"
      "</CORSRule></CORSConfiguration>");
  CHECK(bad_method.status == 400);
  CHECK_THAT(bad_method.body, Catch::Contains("<Code>InvalidRequest</Code>"));
  CHECK_THAT(bad_method.body,
             Catch::Contains("Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD"));

  const std::string valid =
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
      "</CORSRule></CORSConfiguration>";
  const auto wrong_md5 =
      send_request(server.port(), "PUT", "/media?cors", {{"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}}, valid);
  CHECK(wrong_md5.status == 400);
  CHECK_THAT(wrong_md5.body, Catch::Contains("<Code>BadDigest</Code>"));
  CHECK(send_request(server.port(), "GET", "/media?cors").status == 404);
}

TEST_CASE("cors: the debug header explains the decision only when enabled", "[integration][cors]") {
  s3cors::s3::service_options with_header;
  with_header.cors_debug_header = true;
  server_fixture server(server_fixture::quiet_options(), with_header);
  server.write("media/a.ts", "x");
  server.set_file_cors("media", player_rules);
  const auto refused =
      send_request(server.port(), "GET", "/media/a.ts", {{"Origin", "https://evil.example"}});
  CHECK_THAT(refused.header("x-s3cors-cors").value_or(""), Catch::Contains("origin"));

  server_fixture strict;
  strict.write("media/a.ts", "x");
  strict.set_file_cors("media", player_rules);
  CHECK_FALSE(send_request(strict.port(), "GET", "/media/a.ts", {{"Origin", "https://evil.example"}})
                  .header("x-s3cors-cors"));
}
