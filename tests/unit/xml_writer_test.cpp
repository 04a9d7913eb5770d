#include "s3cors/xml/xml_writer.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using s3cors::xml::escape;
using s3cors::xml::xml_writer;

const std::string declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

}  // namespace

TEST_CASE("xml_writer: escape replaces exactly the five XML special characters", "[xml_writer]") {
  struct row {
    std::string_view text;
    std::string_view expected;
  };
  const auto r = GENERATE(values<row>({
      {"", ""},
      {"plain text 123", "plain text 123"},
      {"&", "&amp;"},
      {"<", "&lt;"},
      {">", "&gt;"},
      {"\"", "&quot;"},
      {"'", "&apos;"},
      {"a<b>&\"c'd", "a&lt;b&gt;&amp;&quot;c&apos;d"},
      {"&amp;", "&amp;amp;"},  // already-escaped text is escaped again
      {"<<>>", "&lt;&lt;&gt;&gt;"},
      {"caf\xc3\xa9 /;=?", "caf\xc3\xa9 /;=?"},  // UTF-8 and other punctuation pass through
      {"tab\tnew\nline", "tab\tnew\nline"},
  }));
  CAPTURE(r.text);
  CHECK(escape(r.text) == r.expected);
}

TEST_CASE("xml_writer: an empty document is just the declaration", "[xml_writer]") {
  xml_writer doc;
  CHECK(std::move(doc).str() == declaration);
}

TEST_CASE("xml_writer: element writes name and escaped text", "[xml_writer]") {
  xml_writer doc;
  doc.element("Key", "a&b <c> \"d\" 'e'");
  CHECK(std::move(doc).str() == declaration + "<Key>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Key>");
}

TEST_CASE("xml_writer: an element with empty text is written open and closed", "[xml_writer]") {
  xml_writer doc;
  doc.element("Prefix", "");
  CHECK(std::move(doc).str() == declaration + "<Prefix></Prefix>");
}

TEST_CASE("xml_writer: nested elements close in reverse order", "[xml_writer]") {
  xml_writer doc;
  doc.open("A")
      .open("B")
      .element("C", "1")
      .close()
      .element("D", "2")
      .open("E")
      .open("F")
      .close()
      .close()
      .close();
  CHECK(std::move(doc).str() == declaration + "<A><B><C>1</C></B><D>2</D><E><F></F></E></A>");
}

TEST_CASE("xml_writer: siblings at the top level are written in order", "[xml_writer]") {
  xml_writer doc;
  doc.open("A").close().element("B", "x");
  CHECK(std::move(doc).str() == declaration + "<A></A><B>x</B>");
}

TEST_CASE("xml_writer: open with xmlns adds the attribute", "[xml_writer]") {
  xml_writer doc;
  doc.open("ListAllMyBucketsResult", "http://s3.amazonaws.com/doc/2006-03-01/")
      .open("Buckets")
      .close()
      .close();
  CHECK(std::move(doc).str() ==
        declaration +
            "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Buckets></Buckets></ListAllMyBucketsResult>");
}

TEST_CASE("xml_writer: the xmlns value is escaped and the close tag has no attribute", "[xml_writer]") {
  xml_writer doc;
  doc.open("R", "urn:a\"b&c<d>'").close();
  CHECK(std::move(doc).str() == declaration + "<R xmlns=\"urn:a&quot;b&amp;c&lt;d&gt;&apos;\"></R>");
}

TEST_CASE("xml_writer: an empty xmlns writes no attribute", "[xml_writer]") {
  xml_writer doc;
  doc.open("R", "").close();
  CHECK(std::move(doc).str() == declaration + "<R></R>");
}

TEST_CASE("xml_writer: an S3 error document comes out byte for byte", "[xml_writer]") {
  xml_writer doc;
  doc.open("Error")
      .element("Code", "NoSuchKey")
      .element("Message", "The specified key does not exist.")
      .element("Key", "dir/a&b.ts")
      .element("RequestId", "REQID")
      .element("HostId", "HOSTID")
      .close();
  CHECK(std::move(doc).str() ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Key>dir/a&amp;b.ts</Key><RequestId>REQID</RequestId><HostId>HOSTID</HostId></Error>");
}

TEST_CASE("xml_writer: close without an open element is a logic_error", "[xml_writer]") {
  SECTION("nothing opened") {
    xml_writer doc;
    CHECK_THROWS_AS(doc.close(), std::logic_error);
  }
  SECTION("one close too many") {
    xml_writer doc;
    doc.open("A").open("B").close().close();
    CHECK_THROWS_AS(doc.close(), std::logic_error);
  }
  SECTION("element does not open anything") {
    xml_writer doc;
    doc.element("A", "x");
    CHECK_THROWS_AS(doc.close(), std::logic_error);
  }
}

TEST_CASE("xml_writer: str with unclosed elements is a logic_error", "[xml_writer]") {
  SECTION("one open") {
    xml_writer doc;
    doc.open("A");
    CHECK_THROWS_AS(std::move(doc).str(), std::logic_error);
  }
  SECTION("inner closed, outer open") {
    xml_writer doc;
    doc.open("A").open("B").element("C", "x").close();
    CHECK_THROWS_AS(std::move(doc).str(), std::logic_error);
  }
}
