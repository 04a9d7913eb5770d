#include "s3cors/xml/xml_writer.hpp"

#include <stdexcept>

namespace s3cors::xml {

namespace {

// Appends text with the five XML specials escaped; runs without one are copied whole.
void append_escaped(std::string& out, std::string_view text) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string_view entity;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&apos;";
        break;
      default:
        continue;
    }
    out.append(text.substr(start, i - start));
    out.append(entity);
    start = i + 1;
  }
  out.append(text.substr(start));
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text);
  return out;
}

xml_writer::xml_writer() : out_("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") {}

xml_writer& xml_writer::open(std::string_view name, std::string_view xmlns) {
  out_ += '<';
  out_ += name;
  if (!xmlns.empty()) {
    out_ += " xmlns=\"";
    append_escaped(out_, xmlns);
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
  append_escaped(out_, text);
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
