#include "s3cors/http/multipart_form.hpp"

#include "form_stream_driver.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using s3cors::http::max_post_pre_data_length;
using s3cors::http::multipart_boundary;
using s3cors::http::parse_multipart_form;
using s3cors::s3::error;

constexpr std::string_view boundary = "----WebKitFormBoundaryAauA5ite0s0Ci520";
const std::string content_type = "multipart/form-data; boundary=" + std::string(boundary);

struct file_part {
  std::optional<std::string> filename = "photo.jpg";
  std::string type = "image/jpeg";
  std::string data = "\xFF\xD8 jpeg \r\n bytes";
  std::string name = "file";
};

/// A body as browsers write it: fields, the file, fields after it, the close delimiter.
std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::optional<file_part>& file = file_part{},
                      const std::vector<std::pair<std::string, std::string>>& after = {}) {
  const std::string dash = "--" + std::string(boundary);
  std::string out;
  for (const auto& [name, value] : fields) {
    out += dash + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  if (file) {
    out += dash + "\r\nContent-Disposition: form-data; name=\"" + file->name + "\"";
    if (file->filename) out += "; filename=\"" + *file->filename + "\"";
    out += "\r\n";
    if (!file->type.empty()) out += "Content-Type: " + file->type + "\r\n";
    out += "\r\n" + file->data + "\r\n";
  }
  for (const auto& [name, value] : after) {
    out += dash + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
  }
  out += dash + "--\r\n";
  return out;
}

bool is_view_into(std::string_view view, std::string_view body) {
  return view.data() >= body.data() && view.data() + view.size() <= body.data() + body.size();
}

/// multipart_form_stream gives parse_multipart_form's answer however the body is cut.
void check_splits(std::string_view type, std::string_view body, bool is_exhaustive = true) {
  const auto failure = s3cors::test::check_every_split(type, body, is_exhaustive);
  if (failure) FAIL_CHECK(failure->plan << ": " << failure->problem);
}

void check_error(std::string_view type, std::string_view body, error expected) {
  CAPTURE(type, body);
  const auto form = parse_multipart_form(type, body);
  REQUIRE(form.has_error());
  CHECK(form.error().code == expected);
  check_splits(type, body);
}

}  // namespace

TEST_CASE("multipart_form: fields before the file and the file as a view into the body", "[multipart_form]") {
  const std::string body = form_body({{"key", "user/${filename}"}, {"acl", "public-read"}, {"empty", ""}});
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  REQUIRE(form->fields.size() == 3);
  CHECK(form->fields[0] == std::pair<std::string, std::string>{"key", "user/${filename}"});
  CHECK(form->fields[1] == std::pair<std::string, std::string>{"acl", "public-read"});
  CHECK(form->fields[2] == std::pair<std::string, std::string>{"empty", ""});
  CHECK(form->has_file);
  CHECK(form->has_filename);
  CHECK(form->filename == "photo.jpg");
  CHECK(form->file_content_type == "image/jpeg");
  CHECK(form->file == "\xFF\xD8 jpeg \r\n bytes");
  CHECK(is_view_into(form->file, body));
  CHECK(form->find("ACL") == std::optional<std::string_view>("public-read"));
  CHECK_FALSE(form->find("policy").has_value());
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: the boundary parameter, quoted or not", "[multipart_form]") {
  struct row {
    std::string_view type;
    std::optional<std::string_view> boundary;
  };
  const auto r = GENERATE(values<row>({
      {"multipart/form-data; boundary=abc", "abc"},
      {"multipart/form-data; boundary=\"abc\"", "abc"},
      {"multipart/form-data;boundary=abc", "abc"},
      {"Multipart/Form-Data; BOUNDARY=abc", "abc"},
      {"multipart/form-data; charset=utf-8; boundary=abc", "abc"},
      {"multipart/form-data; boundary=abc; charset=utf-8", "abc"},
      {"multipart/form-data; boundary=\"a b:c?\"", "a b:c?"},  // quoted: any bchars
      {"multipart/form-data; boundary=\"a\\\"b\"", "a\"b"},    // quoted-pair
      {"  multipart/form-data  ; boundary=abc  ", "abc"},
      {"multipart/form-data", std::nullopt},
      {"multipart/form-data;", std::nullopt},
      {"multipart/form-data; boundary=", std::nullopt},
      {"multipart/form-data; boundary=\"\"", std::nullopt},
      {"multipart/form-data; boundary=\"abc", std::nullopt},  // unterminated quote
      {"multipart/form-data; charset=utf-8", std::nullopt},
      {"multipart/mixed; boundary=abc", std::nullopt},
      {"text/plain; boundary=abc", std::nullopt},
      {"", std::nullopt},
  }));
  CAPTURE(r.type);
  const auto found = multipart_boundary(r.type);
  REQUIRE(found.has_value() == r.boundary.has_value());
  if (found) CHECK(*found == *r.boundary);
}

TEST_CASE("multipart_form: a boundary is 1 to 70 characters", "[multipart_form]") {
  CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'x')) == std::string(70, 'x'));
  CHECK_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')).has_value());
}

TEST_CASE("multipart_form: another media type is S3's 412 PreconditionFailed", "[multipart_form]") {
  const std::string body = form_body({{"key", "k"}});
  const auto type = GENERATE(as<std::string_view>{}, "", "text/plain", "application/x-www-form-urlencoded",
                             "multipart/mixed; boundary=----WebKitFormBoundaryAauA5ite0s0Ci520");
  CAPTURE(type);
  const auto form = parse_multipart_form(type, body);
  REQUIRE(form.has_error());
  CHECK(form.error().code == error::precondition_failed);
  CHECK(form.error().message.empty());  // the table's "At least one of the pre-conditions ..."
  REQUIRE(form.error().fields.size() == 1);
  CHECK(form.error().fields[0] ==
        std::pair<std::string, std::string>{"Condition",
                                            "Bucket POST must be of the enclosure-type multipart/form-data"});
  check_splits(type, body);
}

TEST_CASE("multipart_form: no usable boundary is MalformedPOSTRequest", "[multipart_form]") {
  const std::string body = form_body({{"key", "k"}});
  const auto type = GENERATE(as<std::string_view>{}, "multipart/form-data",
                             "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
                             "multipart/form-data; charset=utf-8");
  check_error(type, body, error::malformed_post_request);
}

TEST_CASE("multipart_form: a body without the file is S3's InvalidArgument", "[multipart_form]") {
  const auto body =
      GENERATE(as<std::string>{}, form_body({{"key", "k"}}, std::nullopt), form_body({}, std::nullopt),
               "--" + std::string(boundary) + "--\r\n", "--" + std::string(boundary) + "--");
  CAPTURE(body);
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_error());
  CHECK(form.error().code == error::invalid_argument);
  CHECK(form.error().message == "POST requires exactly one file upload per request.");
  REQUIRE(form.error().fields.size() == 2);
  CHECK(form.error().fields[0] == std::pair<std::string, std::string>{"ArgumentName", "file"});
  CHECK(form.error().fields[1] == std::pair<std::string, std::string>{"ArgumentValue", "0"});
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: the file is the part named file, in any case, even without a filename",
          "[multipart_form]") {
  file_part file;
  file.name = GENERATE("file", "File", "FILE");
  file.filename = std::nullopt;
  file.type.clear();
  const std::string body = form_body({{"key", "k"}}, file);
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  CHECK(form->has_file);
  CHECK_FALSE(form->has_filename);
  CHECK(form->filename.empty());
  CHECK(form->file_content_type.empty());
  CHECK(form->file == file.data);
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: a part with a filename but another name is a field", "[multipart_form]") {
  file_part not_the_file;
  not_the_file.name = "upload";
  const std::string body = form_body({{"key", "k"}}, not_the_file);
  check_error(content_type, body, error::invalid_argument);  // no file
}

TEST_CASE("multipart_form: an empty filename is kept apart from none", "[multipart_form]") {
  file_part file;
  file.filename = "";
  file.data.clear();
  const std::string body = form_body({}, file);
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  CHECK(form->has_filename);
  CHECK(form->filename.empty());
  CHECK(form->file.empty());
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: filenames keep their path and quoted-pairs", "[multipart_form]") {
  file_part file;
  file.filename = GENERATE("C:\\\\Program Files\\\\photo.jpg", "dir/photo.jpg");
  const std::string body = form_body({}, file);
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  // A backslash in a quoted-string escapes the next character (RFC 9110 §5.6.4).
  CHECK(form->filename == (file.filename->front() == 'C' ? "C:\\Program Files\\photo.jpg" : "dir/photo.jpg"));
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: fields after the file are ignored, well-formed or not", "[multipart_form]") {
  const std::string dash = "--" + std::string(boundary);
  std::string body = form_body({{"key", "k"}}, file_part{}, {{"submit", "Upload"}, {"policy", "late"}});
  auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  REQUIRE(form->fields.size() == 1);
  CHECK_FALSE(form->find("submit").has_value());
  CHECK_FALSE(form->find("policy").has_value());
  check_splits(content_type, body);

  // Garbage, another file, or no close delimiter after the file's end change nothing.
  body =
      dash + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata\r\n" + dash + "\r\nnot a header";
  form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  CHECK(form->file == "data");
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: field names are kept as sent and repeated fields stay apart", "[multipart_form]") {
  const std::string body = form_body({{"X-Amz-Meta-Tag", "a"}, {"x-amz-meta-tag", "b"}});
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  REQUIRE(form->fields.size() == 2);
  CHECK(form->fields[0].first == "X-Amz-Meta-Tag");
  CHECK(form->fields[1].first == "x-amz-meta-tag");
  CHECK(form->find("x-amz-meta-TAG") == std::optional<std::string_view>("a"));
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: the boundary inside data is data unless it ends a delimiter line",
          "[multipart_form]") {
  const std::string dash = "--" + std::string(boundary);
  file_part file;
  file.data = GENERATE_COPY(as<std::string>{},
                            dash,                             // not after a CRLF
                            "x" + dash + "\r\n",              // not at a line start
                            "line\r\n" + dash + "X\r\nmore",  // a longer boundary-like line
                            "line\r\n" + dash + "-\r\n",      // one dash is not a close
                            "line\r\n" + dash + "--X",        // close then other bytes
                            "line\r\n" + dash.substr(0, dash.size() - 1) + "\r\n",  // a prefix
                            "\r\n\r\n", "--\r\n--", std::string("nul\0byte", 8));
  CAPTURE(file.data);
  const std::string body = form_body({{"key", "k"}}, file);
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  CHECK(form->file == file.data);
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: RFC 2046 framing: preamble, padding, header-less parts, LWSP",
          "[multipart_form]") {
  const std::string dash = "--" + std::string(boundary);
  const std::string body = "This is the preamble.\r\n" + dash + " \t\r\n" +  // transport padding
                           "\r\nno headers: skipped\r\n" + dash + "\r\n" +   // a part without headers
                           "Content-Disposition: attachment; name=\"key\"\r\n\r\nno\r\n" +  // not form-data
                           dash + "\r\n" + "Content-Disposition: form-data\r\n\r\nno name\r\n" + dash +
                           "\r\n" + "content-disposition:form-data;name=key\r\nX-Other: 1\r\n\r\nk\r\n" +
                           dash + "\r\n" +
                           "Content-Disposition: form-data;\r\n name=\"file\"; filename=\"f\"\r\n\r\nF\r\n" +
                           dash + "--  \r\nepilogue";
  const auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  REQUIRE(form->fields.size() == 1);
  CHECK(form->fields[0] == std::pair<std::string, std::string>{"key", "k"});
  CHECK(form->filename == "f");  // a folded header line is joined
  CHECK(form->file == "F");
  check_splits(content_type, body);
}

TEST_CASE("multipart_form: malformed bodies are MalformedPOSTRequest", "[multipart_form]") {
  const std::string dash = "--" + std::string(boundary);
  const auto body =
      GENERATE_COPY(as<std::string>{}, "", "garbage", dash, dash + "X\r\n",
                    // LF-only line ends
                    dash + "\nContent-Disposition: form-data; name=\"file\"\n\ndata\n" + dash + "--\n",
                    // a header line without a colon
                    dash + "\r\nContent-Disposition form-data\r\n\r\nx\r\n" + dash + "--\r\n",
                    // headers never end
                    dash + "\r\nContent-Disposition: form-data; name=\"file\"\r\n",
                    // the file never ends
                    dash + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata",
                    dash + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata\r\n" + dash,
                    // a field never ends
                    dash + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk");
  check_error(content_type, body, error::malformed_post_request);
}

TEST_CASE("multipart_form: every truncation of a body parses or fails cleanly", "[multipart_form]") {
  const std::string body = form_body({{"key", "user/${filename}"}, {"acl", "private"}});
  const std::string_view whole = body;
  // The file ends at the close delimiter, complete once its "--" is in (the CRLF is optional).
  const std::size_t complete_from = body.size() - 2;
  for (std::size_t n = 0; n <= body.size(); ++n) {
    CAPTURE(n);
    const std::string_view prefix = whole.substr(0, n);
    const auto form = parse_multipart_form(content_type, prefix);
    if (n >= complete_from) {
      REQUIRE(form.has_value());
      CHECK(form->file == file_part{}.data);
      CHECK(is_view_into(form->file, prefix));
    } else {
      REQUIRE(form.has_error());
      CHECK((form.error().code == error::malformed_post_request ||
             form.error().code == error::invalid_argument));
    }
    check_splits(content_type, prefix);
  }
}

TEST_CASE("multipart_form: garbage and mutated bodies never crash", "[multipart_form]") {
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  const auto next = [&state] {
    state ^= state << 13U;
    state ^= state >> 7U;
    state ^= state << 17U;
    return state;
  };
  const std::string valid = form_body({{"key", "k"}, {"acl", "private"}});
  const std::string alphabet = "-\r\n\"; =:abcfilenamFILE" + std::string(boundary);
  for (int round = 0; round < 3000; ++round) {
    std::string body;
    if (round % 2 == 0) {
      body = valid;
      const auto flips = 1 + next() % 4;
      for (std::uint64_t i = 0; i < flips; ++i) {
        body[next() % body.size()] = alphabet[next() % alphabet.size()];
      }
      if (next() % 3 == 0) body.resize(next() % body.size());
    } else {
      body.resize(next() % 300);
      for (char& c : body)
        c = next() % 2 == 0 ? alphabet[next() % alphabet.size()] : static_cast<char>(next());
      if (next() % 2 == 0) body = "--" + std::string(boundary) + "\r\n" + body;
    }
    const auto form = parse_multipart_form(content_type, body);
    if (form.has_value()) {
      CHECK(form->has_file);
      CHECK(is_view_into(form->file, body));
    } else {
      const auto code = form.error().code;
      CHECK((code == error::malformed_post_request || code == error::invalid_argument));
    }
    check_splits(content_type, body, false);
  }
}

TEST_CASE("multipart_form: at most 20 KB may precede the file's content", "[multipart_form]") {
  // Everything before the file part's content counts: fields, part headers, boundaries.
  // Exactly the limit: accepted.
  std::string body = form_body({{"key", "k"}, {"x-ignore-pad", ""}});
  const std::size_t with_pad = body.find(file_part{}.data);
  std::string pad(max_post_pre_data_length - with_pad, 'p');
  body = form_body({{"key", "k"}, {"x-ignore-pad", pad}});
  REQUIRE(body.find(file_part{}.data) == max_post_pre_data_length);
  CHECK(parse_multipart_form(content_type, body).has_value());
  check_splits(content_type, body);

  // One byte more: S3's MaxPostPreDataLengthExceeded.
  body = form_body({{"key", "k"}, {"x-ignore-pad", pad + "p"}});
  auto form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_error());
  CHECK(form.error().code == error::max_post_pre_data_length_exceeded);
  REQUIRE(form.error().fields.size() == 1);
  CHECK(form.error().fields[0] == std::pair<std::string, std::string>{"MaxPostPreDataLengthBytes", "20480"});
  check_splits(content_type, body);

  // A large file misnamed: its content counts as a field, as on S3.
  file_part misnamed;
  misnamed.name = "upload";
  misnamed.data = std::string(100000, 'x');
  body = form_body({{"key", "k"}}, misnamed);
  form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_error());
  CHECK(form.error().fields.at(0).first == "MaxPostPreDataLengthBytes");
  check_splits(content_type, body);

  // An over-long unterminated field too.
  body = "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" +
         std::string(30000, 'a');
  form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_error());
  CHECK(form.error().fields.at(0).first == "MaxPostPreDataLengthBytes");
  check_splits(content_type, body);

  // The file itself has no such limit.
  file_part big;
  big.data = std::string(1 << 20, 'b');
  body = form_body({{"key", "k"}}, big);
  form = parse_multipart_form(content_type, body);
  REQUIRE(form.has_value());
  CHECK(form->file.size() == big.data.size());
  check_splits(content_type, body);
}
