#include "s3cors/xml/xml_writer.hpp"

#include <stdexcept>

namespace s3cors::xml {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

xml_writer::xml_writer() : out_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

xml_writer& xml_writer::open(std::string_view name, std::string_view xmlns) {
  out_ += '<';
  out_ += name;
  if (!xmlns.empty()) {
    out_ += " xmlns=\"";
    out_ += escape(xmlns);
    out_ += '"';
  }
  out_ += '>';
  open_.emplace_back(name);
  return *this;
}

xml_writer& xml_writer::close() {
  if (open_.empty()) throw std::logic_error("xml_writer::close without open element");
  out_ += "</";
  out_ += open_.back();
  out_ += '>';
  open_.pop_back();
  return *this;
}

xml_writer& xml_writer::element(std::string_view name, std::string_view text) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  out_ += escape(text);
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

std::string xml_writer::str() && {
  if (!open_.empty()) throw std::logic_error("xml_writer::str with unclosed elements");
  return std::move(out_);
}

}  // namespace s3cors::xml
