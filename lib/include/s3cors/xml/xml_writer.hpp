#pragma once
// A tiny streaming XML writer for S3's response documents: elements and escaped text.
#include <string>
#include <string_view>
#include <vector>

namespace s3cors::xml {

/// Escapes &, <, >, " and ' for element text and attribute values.
[[nodiscard]] std::string escape(std::string_view text);

class xml_writer {
 public:
  /// Starts the document with S3's XML declaration.
  xml_writer();

  /// Opens <name> (with an optional xmlns attribute); must be matched by close().
  xml_writer& open(std::string_view name, std::string_view xmlns = {});
  xml_writer& close();
  /// Writes <name>escaped text</name>.
  xml_writer& element(std::string_view name, std::string_view text);

  /// The finished document; every open element must have been closed.
  [[nodiscard]] std::string str() &&;

 private:
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace s3cors::xml
