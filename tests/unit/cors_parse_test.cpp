#include "s3cors/cors/parse.hpp"

#include "s3cors/cors/render.hpp"
#include "s3cors/cors/validation.hpp"
#include "source_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

// Parsing, validation (PutBucketCors) and rendering (GetBucketCors) of docs/cors.md §1–§4.

namespace cors = s3cors::cors;

namespace {

constexpr std::string_view malformed_message =
    "The XML you provided was not well-formed or did not validate against our published schema";

std::string read_fixture(std::string_view name) {
  std::ifstream in(s3cors::test::source_dir().string() + "/tests/data/cors/" + std::string(name),
                   std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A one-rule XML document whose <CORSRule> body is `inner`.
std::string xml_rule(std::string_view inner) {
  return "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule>" +
         std::string(inner) + "</CORSRule></CORSConfiguration>";
}

std::string xml_rules(std::size_t n, std::string_view inner) {
  std::string doc = "<CORSConfiguration>";
  for (std::size_t i = 0; i < n; ++i) doc += "<CORSRule>" + std::string(inner) + "</CORSRule>";
  return doc + "</CORSConfiguration>";
}

constexpr std::string_view minimal = "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>";

cors::cors_configuration parsed(const s3cors::result<cors::cors_configuration, cors::validation_error>& r) {
  if (!r)
    FAIL("unexpected error: " << r.error().code << " / " << r.error().message << " / " << r.error().detail);
  return *r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// §2 the three formats

TEST_CASE("cors §2: the S3 XML example parses with every value verbatim", "[cors]") {
  const auto config = parsed(cors::parse_xml(read_fixture("s3-example.xml")));
  REQUIRE(config.rules.size() == 1);
  const auto& rule = config.rules[0];
  CHECK(rule.id == "player");
  CHECK(rule.allowed_origins == std::vector<std::string>{"http://localhost:8080", "https://*.example.com"});
  CHECK(rule.allowed_methods == std::vector<std::string>{"GET", "HEAD"});
  CHECK(rule.allowed_headers == std::vector<std::string>{"*"});
  CHECK(rule.expose_headers == std::vector<std::string>{"ETag"});
  CHECK(rule.max_age_seconds == 3000);
}

TEST_CASE("cors §2: the CLI object and the console array map to the same model as the XML", "[cors]") {
  const auto xml = parsed(cors::parse_xml(read_fixture("s3-example.xml")));
  CHECK(parsed(cors::parse_json(read_fixture("cli-example.json"))) == xml);
  const auto console = parsed(cors::parse_json(read_fixture("console-example.json")));
  REQUIRE(console.rules.size() == 1);
  CHECK(console.rules[0].allowed_origins == std::vector<std::string>{"http://localhost:8080"});
  CHECK(console.rules[0].allowed_methods == std::vector<std::string>{"GET", "HEAD"});
  CHECK(console.rules[0].expose_headers.empty());  // §2: an empty JSON list means "absent"
  CHECK_FALSE(console.rules[0].id.has_value());
  CHECK_FALSE(console.rules[0].max_age_seconds.has_value());
}

TEST_CASE("cors §2: the console example with two identical rules and no HEAD is valid", "[cors]") {
  const auto config = parsed(cors::parse_any(read_fixture("console-duplicate-rules.json")));
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0] == config.rules[1]);
  CHECK(config.rules[0].allowed_methods == std::vector<std::string>{"GET"});
}

TEST_CASE("cors §2: children of <CORSRule> come in any order; optional ones may be left out", "[cors]") {
  const auto config = parsed(cors::parse_xml(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<CORSConfiguration>\n  <CORSRule>\n"
      "    <MaxAgeSeconds>10</MaxAgeSeconds><AllowedMethod>GET</AllowedMethod>\n"
      "    <ExposeHeader>x-b</ExposeHeader><AllowedOrigin>http://www.example.com</AllowedOrigin>\n"
      "    <AllowedHeader>x-a</AllowedHeader><ID>z</ID><AllowedMethod>PUT</AllowedMethod>\n"
      "  </CORSRule>\n  "
      "<CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule>\n"
      "</CORSConfiguration>\n"));
  REQUIRE(config.rules.size() == 2);
  CHECK(config.rules[0].allowed_methods == std::vector<std::string>{"GET", "PUT"});
  CHECK(config.rules[0].id == "z");
  CHECK(config.rules[0].max_age_seconds == 10);
  CHECK(config.rules[1] == cors::cors_rule{std::nullopt, {"*"}, {"GET"}, {}, {}, std::nullopt});
}

TEST_CASE("cors §2: XML namespace is optional, comments and CDATA are fine", "[cors]") {
  const auto config = parsed(cors::parse_xml(
      "<CORSConfiguration><!-- c --><CORSRule><AllowedOrigin><![CDATA[http://a&b]]></AllowedOrigin>"
      "<AllowedMethod>GET</AllowedMethod><AllowedHeader>x-&amp;</AllowedHeader></CORSRule></"
      "CORSConfiguration>"));
  CHECK(config.rules.at(0).allowed_origins == std::vector<std::string>{"http://a&b"});
  CHECK(config.rules.at(0).allowed_headers == std::vector<std::string>{"x-&"});
}

TEST_CASE("cors §2 loader: the form is chosen by the first non-blank character", "[cors]") {
  struct row {
    std::string_view text;
    bool ok;
  };
  const auto r = GENERATE(values<row>({
      {"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
       "</CORSRule></CORSConfiguration>",
       true},
      {" \r\n\t<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</"
       "AllowedMethod>"
       "</CORSRule></CORSConfiguration>",
       true},
      {"\xEF\xBB\xBF<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET"
       "</AllowedMethod></CORSRule></CORSConfiguration>",
       true},
      {"\n  [{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"GET\"]}]", true},
      {"\xEF\xBB\xBF[{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"GET\"]}]", true},
      {"  {\"CORSRules\": [{\"AllowedOrigins\": [\"*\"], \"AllowedMethods\": [\"GET\"]}]}", true},
      {"", false},
      {"   \n", false},
      {"CORSRules: []", false},
      {"AllowedOrigins:\n  - '*'", false},
  }));
  CAPTURE(r.text);
  const auto result = cors::parse_any(r.text);
  CHECK(result.has_value() == r.ok);
  if (!r.ok) {
    CHECK(result.error().code == "MalformedXML");
    CHECK(result.error().message == malformed_message);
    CHECK_THAT(result.error().detail, Catch::Contains("<CORSConfiguration>") &&
                                          Catch::Contains("CORSRules") && Catch::Contains("console"));
  }
}

TEST_CASE("cors §2 loader: common paste errors get a JSON pointer and a precise hint", "[cors]") {
  struct row {
    std::string_view name;
    std::string_view text;
    std::string_view pointer;  // detail starts with it
    std::string_view hint;     // detail contains it
  };
  const auto r = GENERATE(values<row>({
      {"CloudFormation CorsRules", R"({"CorsRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]})",
       "/CorsRules: ", "CloudFormation"},
      {"CloudFormation property", R"({"CorsConfiguration": {"CorsRules": []}})",
       "/CorsConfiguration: ", "CloudFormation"},
      {"CloudFormation ExposedHeaders",
       R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposedHeaders": ["ETag"]}])",
       "/0/ExposedHeaders: ", "ExposeHeaders"},
      {"CloudFormation MaxAge",
       R"({"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "MaxAge": 1}]})",
       "/CORSRules/0/MaxAge: ", "MaxAgeSeconds"},
      {"CloudFormation Id", R"([{"Id": "x", "AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}])",
       "/0/Id: ", "use ID"},
      {"singular AllowedOrigin", R"([{"AllowedOrigin": ["*"], "AllowedMethods": ["GET"]}])",
       "/0/AllowedOrigin: ", "\"AllowedOrigins\""},
      {"singular AllowedMethod", R"([{"AllowedOrigins": ["*"], "AllowedMethod": "GET"}])",
       "/0/AllowedMethod: ", "\"AllowedMethods\""},
      {"CLI object wrapped in an array",
       R"([{"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}]}])",
       "/0: ", "wrapped in an array"},
      {"CORSRules given an object", R"({"CORSRules": {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}})",
       "/CORSRules: ", "must be an array"},
      {"a single rule object", R"({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]})", "", "single rule"},
      {"SDK parameter pasted", R"({"CORSConfiguration": {"CORSRules": []}})",
       "/CORSConfiguration: ", "paste its value"},
      {"lower-case corsRules", R"({"corsRules": []})", "/corsRules: ", "case-sensitive"},
      {"camelCase key", R"([{"allowedOrigins": ["*"], "AllowedMethods": ["GET"]}])",
       "/0/allowedOrigins: ", "case-sensitive"},
      {"unknown key", R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "Foo": 1}])",
       "/0/Foo: ", "ExposeHeaders"},
      {"key next to CORSRules", R"({"CORSRules": [], "Bucket": "b"})", "/Bucket: ", "CORSRules"},
      {"pointer escaping", R"([{"a/b~c": 1}])", "/0/a~1b~0c: ", "unknown key"},
      {"string instead of list", R"([{"AllowedOrigins": "*", "AllowedMethods": ["GET"]}])",
       "/0/AllowedOrigins: ", "[\"*\"]"},
      {"non-string item", R"({"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", 1]}]})",
       "/CORSRules/0/AllowedMethods/1: ", "strings"},
      {"null list", R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposeHeaders": null}])",
       "/0/ExposeHeaders: ", "omit the key"},
      {"quoted MaxAgeSeconds",
       R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "MaxAgeSeconds": "3000"}])",
       "/0/MaxAgeSeconds: ", "without quotes"},
      {"fractional MaxAgeSeconds",
       R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 1.5}])",
       "/0/MaxAgeSeconds: ", "whole number"},
      {"MaxAgeSeconds over int32",
       R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "MaxAgeSeconds": 2147483648}])",
       "/0/MaxAgeSeconds: ", "32-bit"},
      {"ID not a string", R"([{"ID": 7, "AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}])",
       "/0/ID: ", "string"},
      {"rule not an object", R"([["*"]])", "/0: ", "nested array"},
      {"not JSON", R"([{"AllowedOrigins": ["*"],}])", "", "not valid JSON"},
      {"scalar document", R"("CORSRules")", "", "expected"},
  }));
  CAPTURE(r.name);
  const auto result = cors::parse_json(r.text);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == "MalformedXML");
  CHECK(result.error().message == malformed_message);
  CHECK_THAT(result.error().detail,
             Catch::StartsWith(std::string(r.pointer)) && Catch::Contains(std::string(r.hint)));
}

// ---------------------------------------------------------------------------------------------
// §1 what is accepted

TEST_CASE("cors §1: values S3 accepts are stored verbatim, nothing normalised", "[cors]") {
  const auto config = parsed(cors::parse_xml(xml_rule(
      "<AllowedOrigin>http://test.com:80</AllowedOrigin><AllowedOrigin></AllowedOrigin>"
      "<AllowedOrigin>*</AllowedOrigin><AllowedOrigin>https://test.com</AllowedOrigin>"
      "<AllowedOrigin>foo.suffix</AllowedOrigin><AllowedOrigin>localhost:4566</AllowedOrigin>"
      "<AllowedOrigin>start*end</AllowedOrigin><AllowedOrigin> spaced </AllowedOrigin>"
      "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
      "<AllowedMethod>DELETE</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>HEAD"
      "</AllowedMethod><AllowedHeader>X-Amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>"
      "<ExposeHeader>x-amz-Request-Id</ExposeHeader><ID></ID>")));
  const auto& rule = config.rules.at(0);
  CHECK(rule.allowed_origins == std::vector<std::string>{"http://test.com:80", "", "*", "https://test.com",
                                                         "foo.suffix", "localhost:4566", "start*end",
                                                         " spaced "});
  CHECK(rule.allowed_methods == std::vector<std::string>{"PUT", "GET", "DELETE", "POST", "HEAD"});
  CHECK(rule.allowed_headers == std::vector<std::string>{"X-Amz-*", "Content-Type"});
  CHECK(rule.expose_headers == std::vector<std::string>{"x-amz-Request-Id"});
  CHECK(rule.id == "");
}

TEST_CASE("cors §1: MaxAgeSeconds is an xsd:int", "[cors]") {
  struct row {
    std::string_view text;
    std::optional<long long> value;
  };
  const auto r = GENERATE(values<row>({
      {"0", 0},
      {"3000", 3000},
      {" 3000\n", 3000},
      {"+5", 5},
      {"-1", -1},
      {"2147483647", 2147483647LL},
      {"-2147483648", -2147483648LL},
      {"2147483648", std::nullopt},
      {"", std::nullopt},
      {"abc", std::nullopt},
      {"1.5", std::nullopt},
      {"1e3", std::nullopt},
      {"0x10", std::nullopt},
      {"+-1", std::nullopt},
  }));
  CAPTURE(r.text);
  const auto result = cors::parse_xml(
      xml_rule(std::string(minimal) + "<MaxAgeSeconds>" + std::string(r.text) + "</MaxAgeSeconds>"));
  if (r.value) {
    REQUIRE(result.has_value());
    CHECK(result->rules.at(0).max_age_seconds == r.value);
  } else {
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code == "MalformedXML");
    CHECK_THAT(result.error().detail, Catch::StartsWith("/CORSConfiguration/CORSRule[1]/MaxAgeSeconds: "));
  }
}

TEST_CASE("cors §1: ID up to 255 characters, counted as characters not bytes", "[cors]") {
  CHECK(
      cors::parse_xml(xml_rule(std::string(minimal) + "<ID>" + std::string(255, 'a') + "</ID>")).has_value());
  std::string umlauts;
  for (int i = 0; i < 255; ++i) umlauts += "\xC3\xA4";  // 255 × 'ä' = 510 bytes
  CHECK(cors::parse_xml(xml_rule(std::string(minimal) + "<ID>" + umlauts + "</ID>")).has_value());
  const auto too_long =
      cors::parse_xml(xml_rule(std::string(minimal) + "<ID>" + std::string(256, 'a') + "</ID>"));
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error().code == "InvalidArgument");  // §3: code [UNCERTAIN], recommended
  CHECK(too_long.error().message == "ID length should not exceed allowed limit of 255");
  CHECK_THAT(too_long.error().detail, Catch::StartsWith("/CORSConfiguration/CORSRule[1]/ID: "));
}

TEST_CASE("cors §1: 1 to 100 rules", "[cors]") {
  CHECK(parsed(cors::parse_xml(xml_rules(1, minimal))).rules.size() == 1);
  CHECK(parsed(cors::parse_xml(xml_rules(100, minimal))).rules.size() == 100);
  const auto too_many = cors::parse_xml(xml_rules(101, minimal));
  REQUIRE_FALSE(too_many.has_value());
  CHECK(too_many.error().code == "MalformedXML");  // §3: code [UNCERTAIN], MalformedXML recommended
  CHECK(too_many.error().message == malformed_message);
  CHECK_THAT(too_many.error().detail, Catch::Contains("101 rules"));
}

TEST_CASE("cors §1: the XML document is limited to 64 KB", "[cors]") {
  const std::string base = xml_rule(minimal);
  const std::string at_limit = base + std::string(cors::max_document_bytes - base.size(), ' ');
  REQUIRE(at_limit.size() == 65536);
  CHECK(cors::parse_xml(at_limit).has_value());
  const auto over = cors::parse_xml(at_limit + " ");
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().code == "MalformedXML");  // §3: code [UNCERTAIN], MalformedXML recommended
  CHECK(over.error().message == malformed_message);
  CHECK_THAT(over.error().detail, Catch::Contains("65537 bytes"));
}

TEST_CASE("cors §1: JSON input is held to the 64 KB limit of the XML the CLI would send", "[cors]") {
  std::string json = R"({"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": [)";
  for (int i = 0; i < 3000; ++i)
    json += (i ? ",\"" : "\"") + std::string("https://o") + std::to_string(i) + ".example\"";
  json += "]}]}";
  const auto result = cors::parse_json(json);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == "MalformedXML");
  CHECK_THAT(result.error().detail, Catch::StartsWith("/CORSRules: ") && Catch::Contains("65536"));
}

// ---------------------------------------------------------------------------------------------
// §3 PutBucketCors errors

TEST_CASE("cors §3: MalformedXML for documents the schema refuses", "[cors]") {
  struct row {
    std::string_view name;
    std::string text;
    std::string_view detail_prefix;
  };
  const auto r = GENERATE(values<row>({
      {"no <CORSRule> at all [REC put-cors-exc-empty]", "<CORSConfiguration/>", "/CORSConfiguration: "},
      {"empty <CORSRule/> [ISSUE vgw#1863]", "<CORSConfiguration><CORSRule/></CORSConfiguration>",
       "/CORSConfiguration/CORSRule[1]: "},
      {"rule without AllowedOrigin", xml_rule("<AllowedMethod>GET</AllowedMethod>"),
       "/CORSConfiguration/CORSRule[1]: "},
      {"rule without AllowedMethod", xml_rule("<AllowedOrigin>*</AllowedOrigin>"),
       "/CORSConfiguration/CORSRule[1]: "},
      {"second rule without AllowedMethod",
       "<CORSConfiguration><CORSRule>" + std::string(minimal) +
           "</CORSRule><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>"
           "</CORSConfiguration>",
       "/CORSConfiguration/CORSRule[2]: "},
      {"not well-formed", "<CORSConfiguration><CORSRule></CORSConfiguration>", ""},
      {"not XML at all", "hello", ""},
      {"empty body", "", ""},
      {"unknown element in rule", xml_rule(std::string(minimal) + "<Foo>1</Foo>"),
       "/CORSConfiguration/CORSRule[1]/Foo: "},
      {"plural element name", xml_rule(std::string(minimal) + "<AllowedHeaders>*</AllowedHeaders>"),
       "/CORSConfiguration/CORSRule[1]/AllowedHeaders: "},
      {"unknown element in configuration", "<CORSConfiguration><Rule/></CORSConfiguration>",
       "/CORSConfiguration/Rule: "},
      {"wrong root", "<CORSRule>" + std::string(minimal) + "</CORSRule>", "/CORSRule: "},
      {"two roots", xml_rule(minimal) + xml_rule(minimal), ""},
      {"two <ID>", xml_rule(std::string(minimal) + "<ID>a</ID><ID>b</ID>"),
       "/CORSConfiguration/CORSRule[1]/ID[2]: "},
      {"two <MaxAgeSeconds>",
       xml_rule(std::string(minimal) + "<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2"
                                       "</MaxAgeSeconds>"),
       "/CORSConfiguration/CORSRule[1]/MaxAgeSeconds[2]: "},
      {"non-integer MaxAgeSeconds", xml_rule(std::string(minimal) + "<MaxAgeSeconds>soon</MaxAgeSeconds>"),
       "/CORSConfiguration/CORSRule[1]/MaxAgeSeconds: "},
      {"element inside a value",
       xml_rule("<AllowedOrigin><b>*</b></AllowedOrigin><AllowedMethod>GET</AllowedMethod>"),
       "/CORSConfiguration/CORSRule[1]/AllowedOrigin[1]: "},
      {"text inside a rule", xml_rule(std::string(minimal) + "oops"), "/CORSConfiguration/CORSRule[1]: "},
      {"structure first: rule 2 lacks a method while rule 1 has a bad one",
       "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>MYMETHOD</AllowedMethod>"
       "</CORSRule><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>",
       "/CORSConfiguration/CORSRule[2]: "},
  }));
  CAPTURE(r.name, r.text);
  const auto result = cors::parse_xml(r.text);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == "MalformedXML");
  CHECK(result.error().message == malformed_message);
  CHECK_THAT(result.error().detail, Catch::StartsWith(std::string(r.detail_prefix)));
  CHECK_FALSE(result.error().detail.empty());
}

TEST_CASE("cors §3: InvalidRequest messages are S3's, to the byte", "[cors]") {
  struct row {
    std::string_view name;
    std::string inner;
    std::string_view message;
    std::string_view detail_prefix;
  };
  const auto r = GENERATE(values<row>({
      {"method outside the five [REC put-cors-exc]",
       "<AllowedOrigin>*</AllowedOrigin><AllowedOrigin>https://test.com</AllowedOrigin>"
       "<AllowedMethod>GET</AllowedMethod><AllowedMethod>MYMETHOD</AllowedMethod>",
       "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD",
       "/CORSConfiguration/CORSRule[1]/AllowedMethod[2]: "},
      {"OPTIONS is refused [DOC]", "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>OPTIONS</AllowedMethod>",
       "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS",
       "/CORSConfiguration/CORSRule[1]/AllowedMethod[1]: "},
      {"no '*' method", "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>*</AllowedMethod>",
       "Found unsupported HTTP method in CORS config. Unsupported method is *",
       "/CORSConfiguration/CORSRule[1]/AllowedMethod[1]: "},
      {"methods are case-sensitive [UNCERTAIN]",
       "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod>",
       "Found unsupported HTTP method in CORS config. Unsupported method is get",
       "/CORSConfiguration/CORSRule[1]/AllowedMethod[1]: "},
      {"empty <AllowedMethod/> [ISSUE vgw#1863]", "<AllowedOrigin>*</AllowedOrigin><AllowedMethod/>",
       "Found unsupported HTTP method in CORS config. Unsupported method is ",
       "/CORSConfiguration/CORSRule[1]/AllowedMethod[1]: "},
      {"origin with two '*' [ISSUE vgw#1870]",
       "<AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>",
       "AllowedOrigin \"*example*.com\" can not have more than one wildcard.",
       "/CORSConfiguration/CORSRule[1]/AllowedOrigin[1]: "},
      {"origin '**'",
       "<AllowedOrigin>http://a</AllowedOrigin><AllowedOrigin>**</AllowedOrigin>"
       "<AllowedMethod>GET</AllowedMethod>",
       "AllowedOrigin \"**\" can not have more than one wildcard.",
       "/CORSConfiguration/CORSRule[1]/AllowedOrigin[2]: "},
      {"allowed header with two '*'",
       "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x-*-*</"
       "AllowedHeader>",
       "AllowedHeader \"x-*-*\" can not have more than one wildcard.",
       "/CORSConfiguration/CORSRule[1]/AllowedHeader[1]: "},
      {"expose header '*' [ISSUE noobaa#8954]",
       "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader>",
       "ExposeHeader \"*\" contains wildcard. We currently do not support wildcard for ExposeHeader.",
       "/CORSConfiguration/CORSRule[1]/ExposeHeader[1]: "},
      {"expose header with one '*' inside",
       "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>ETag</ExposeHeader>"
       "<ExposeHeader>x-amz-*</ExposeHeader>",
       "ExposeHeader \"x-amz-*\" contains wildcard. We currently do not support wildcard for ExposeHeader.",
       "/CORSConfiguration/CORSRule[1]/ExposeHeader[2]: "},
      {"order: methods before origins",
       "<AllowedOrigin>*a*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>",
       "Found unsupported HTTP method in CORS config. Unsupported method is PATCH",
       "/CORSConfiguration/CORSRule[1]/AllowedMethod[1]: "},
      {"order: origins before allowed headers",
       "<AllowedHeader>**</AllowedHeader><AllowedOrigin>*a*</AllowedOrigin><AllowedMethod>GET</"
       "AllowedMethod>",
       "AllowedOrigin \"*a*\" can not have more than one wildcard.",
       "/CORSConfiguration/CORSRule[1]/AllowedOrigin[1]: "},
      {"order: allowed headers before expose headers",
       "<ExposeHeader>*</ExposeHeader><AllowedHeader>**</AllowedHeader><AllowedOrigin>*</AllowedOrigin>"
       "<AllowedMethod>GET</AllowedMethod>",
       "AllowedHeader \"**\" can not have more than one wildcard.",
       "/CORSConfiguration/CORSRule[1]/AllowedHeader[1]: "},
  }));
  CAPTURE(r.name);
  const auto result = cors::parse_xml(xml_rule(r.inner));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == "InvalidRequest");
  CHECK(result.error().message == r.message);
  CHECK_THAT(result.error().detail, Catch::StartsWith(std::string(r.detail_prefix)));
}

TEST_CASE("cors §3: per rule in document order — rule 1's expose error before rule 2's method error",
          "[cors]") {
  const auto result = cors::parse_xml(
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
      "<ExposeHeader>*</ExposeHeader></CORSRule><CORSRule><AllowedOrigin>*</AllowedOrigin>"
      "<AllowedMethod>FOO</AllowedMethod></CORSRule></CORSConfiguration>");
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message ==
        "ExposeHeader \"*\" contains wildcard. We currently do not support wildcard for ExposeHeader.");
}

TEST_CASE("cors §3: '*' next to other origins is not an error [REC put-cors-exc, minio#15874]", "[cors]") {
  CHECK(cors::parse_json(R"([{"AllowedOrigins": ["*", "http://localhost:8000"], "AllowedMethods": ["GET"]}])")
            .has_value());
}

TEST_CASE("cors §3: JSON input reports S3's error with a JSON pointer", "[cors]") {
  struct row {
    std::string_view text;
    std::string_view code;
    std::string_view message;
    std::string_view pointer;
  };
  const auto r = GENERATE(values<row>({
      {R"({"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "OPTIONS"]}]})",
       "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS",
       "/CORSRules/0/AllowedMethods/1: "},
      {R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}, {"AllowedOrigins": ["a", "*b*"], "AllowedMethods": ["GET"]}])",
       "InvalidRequest", "AllowedOrigin \"*b*\" can not have more than one wildcard.",
       "/1/AllowedOrigins/1: "},
      {R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposeHeaders": ["*"]}])", "InvalidRequest",
       "ExposeHeader \"*\" contains wildcard. We currently do not support wildcard for ExposeHeader.",
       "/0/ExposeHeaders/0: "},
      {R"([{"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["a", "*-*"]}])",
       "InvalidRequest", "AllowedHeader \"*-*\" can not have more than one wildcard.",
       "/0/AllowedHeaders/1: "},
      {R"([{"ID": "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345", "AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}])",
       "InvalidArgument", "ID length should not exceed allowed limit of 255", "/0/ID: "},
      {R"([])", "MalformedXML", malformed_message, ""},
      {R"({"CORSRules": []})", "MalformedXML", malformed_message, "/CORSRules: "},
      {R"([{"AllowedOrigins": [], "AllowedMethods": ["GET"]}])", "MalformedXML", malformed_message, "/0: "},
      {R"([{"AllowedOrigins": ["*"]}])", "MalformedXML", malformed_message, "/0: "},
      {R"([{}])", "MalformedXML", malformed_message, "/0: "},
  }));
  CAPTURE(r.text);
  const auto result = cors::parse_json(r.text);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().code == r.code);
  CHECK(result.error().message == r.message);
  CHECK_THAT(result.error().detail, Catch::StartsWith(std::string(r.pointer)));
}

TEST_CASE("cors §3: validate() applies the same rules to a model built in code", "[cors]") {
  cors::cors_configuration config{{cors::cors_rule{std::nullopt, {"*"}, {"GET"}, {}, {}, std::nullopt}}};
  CHECK(cors::validate(config).has_value());
  config.rules[0].allowed_methods.push_back("TRACE");
  auto e = cors::validate(config);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code == "InvalidRequest");
  CHECK(e.error().message == "Found unsupported HTTP method in CORS config. Unsupported method is TRACE");
  CHECK_THAT(e.error().detail, Catch::StartsWith("rules[0].allowed_methods[1]: "));
  config.rules[0].allowed_methods = {"GET"};
  config.rules[0].max_age_seconds = 1LL << 40;
  e = cors::validate(config);
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().code == "MalformedXML");
  CHECK(cors::validate(cors::cors_configuration{}).error().code == "MalformedXML");
}

// ---------------------------------------------------------------------------------------------
// §4 GetBucketCors rendering

TEST_CASE("cors §4: GetBucketCors body, golden", "[cors]") {
  const auto config = parsed(cors::parse_xml(read_fixture("s3-example.xml")));
  CHECK(cors::to_xml(config) == read_fixture("s3-example.golden.xml"));
}

TEST_CASE("cors §4: only elements that were set appear; empty JSON lists are omitted", "[cors]") {
  const auto config = parsed(cors::parse_json(
      R"([{"AllowedHeaders": [], "AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "ExposeHeaders": []}])"));
  CHECK(cors::to_xml(config) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule><AllowedMethod>GET</AllowedMethod>"
        "<AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>");
  CHECK(cors::to_json(config) == R"({"CORSRules":[{"AllowedMethods":["GET"],"AllowedOrigins":["*"]}]})");
}

TEST_CASE("cors §4: rules in stored order, values verbatim, escaped where XML needs it", "[cors]") {
  const cors::cors_configuration config{{
      cors::cors_rule{
          "b&<>\"'", {"http://test.com:80", "", "https://x"}, {"PUT", "GET"}, {"X-B", "x-a"}, {"ETag"}, 0},
      cors::cors_rule{std::nullopt, {"*"}, {"HEAD"}, {}, {}, -5},
  }};
  const std::string xml = cors::to_xml(config);
  CHECK(
      xml ==
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration "
      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><CORSRule><ID>b&amp;&lt;&gt;\"'</ID>"
      "<AllowedHeader>X-B</AllowedHeader><AllowedHeader>x-a</AllowedHeader><AllowedMethod>PUT</AllowedMethod>"
      "<AllowedMethod>GET</AllowedMethod><AllowedOrigin>http://test.com:80</AllowedOrigin><AllowedOrigin>"
      "</AllowedOrigin><AllowedOrigin>https://x</AllowedOrigin><ExposeHeader>ETag</ExposeHeader>"
      "<MaxAgeSeconds>0</MaxAgeSeconds></CORSRule><CORSRule><AllowedMethod>HEAD</AllowedMethod>"
      "<AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>-5</MaxAgeSeconds></CORSRule></CORSConfiguration>");
  CHECK(parsed(cors::parse_xml(xml)) == config);
  CHECK(
      cors::to_json(config) ==
      R"({"CORSRules":[{"ID":"b&<>\"'","AllowedHeaders":["X-B","x-a"],"AllowedMethods":["PUT","GET"],)"
      R"("AllowedOrigins":["http://test.com:80","","https://x"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":0},)"
      R"({"AllowedMethods":["HEAD"],"AllowedOrigins":["*"],"MaxAgeSeconds":-5}]})");
}

TEST_CASE("cors §2/§4: round trip for all three input forms", "[cors]") {
  const auto fixture = GENERATE(as<std::string_view>{}, "s3-example.xml", "cli-example.json",
                                "console-example.json", "console-duplicate-rules.json");
  CAPTURE(fixture);
  const auto config = parsed(cors::parse_any(read_fixture(fixture)));
  const std::string xml = cors::to_xml(config);
  const std::string json = cors::to_json(config);
  CHECK(parsed(cors::parse_xml(xml)) == config);
  CHECK(parsed(cors::parse_json(json)) == config);
  CHECK(parsed(cors::parse_any(xml)) == config);
  CHECK(parsed(cors::parse_any(json)) == config);
  // Rendering is a fixed point.
  CHECK(cors::to_xml(parsed(cors::parse_xml(xml))) == xml);
  CHECK(cors::to_json(parsed(cors::parse_json(json))) == json);
}

TEST_CASE("cors §4: a carriage return survives the XML round trip", "[cors]") {
  const cors::cors_configuration config{{cors::cors_rule{"a\r\nb", {"*"}, {"GET"}, {}, {}, std::nullopt}}};
  CHECK(parsed(cors::parse_xml(cors::to_xml(config))) == config);
}

TEST_CASE("cors §4: no configuration is 404 NoSuchCORSConfiguration with the wire's message", "[cors]") {
  CHECK(cors::no_cors_configuration_message == "The CORS configuration does not exist");
}

// Found by fuzz_cors_json: nlohmann throws out_of_range (not parse_error) for a number that
// overflows a double, which used to escape parse_json and abort the process.
TEST_CASE("cors parse: a JSON number too large for a double is malformed, not a crash", "[cors]") {
  for (const char* text :
       {"1e999", "[1e400]",
        R"({"CORSRules":[{"AllowedMethods":["GET"],"AllowedOrigins":["*"],"MaxAgeSeconds":1e400}]})"}) {
    CAPTURE(text);
    const auto parsed = s3cors::cors::parse_any(text);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code == "MalformedXML");
  }
}
