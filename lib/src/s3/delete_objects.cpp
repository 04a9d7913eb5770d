#include "s3cors/s3/delete_objects.hpp"

#include "s3cors/s3/owner.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <pugixml.hpp>

#include <algorithm>

namespace s3cors::s3 {
namespace {

constexpr std::size_t max_delete_keys = 1000;

// Element names without a namespace prefix, as S3 accepts both.
std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

}  // namespace

result<delete_request, error_detail> parse_delete_request(std::string_view body) {
  pugi::xml_document doc;
  // White space is content: a key of spaces ("<Key>   </Key>") names that object.
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single))
    return error_detail(error::malformed_xml);
  const pugi::xml_node root = doc.document_element();
  if (local_name(root) != "Delete") return error_detail(error::malformed_xml);
  delete_request out;
  for (const pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = local_name(child);
    if (name == "Quiet") {
      out.quiet = std::string_view(child.text().get()) == "true";
    } else if (name == "Object") {
      std::optional<std::string> key;
      for (const pugi::xml_node field : child.children()) {
        if (field.type() == pugi::node_element && local_name(field) == "Key") key = field.text().get();
      }
      if (!key) return error_detail(error::malformed_xml);
      out.keys.push_back(std::move(*key));
    } else {
      return error_detail(error::malformed_xml);
    }
  }
  if (out.keys.empty() || out.keys.size() > max_delete_keys) return error_detail(error::malformed_xml);
  return out;
}

std::string render_delete_result(const delete_request& request, const std::vector<delete_failure>& failures) {
  xml::xml_writer doc;
  doc.open("DeleteResult", s3_xmlns);
  for (const auto& key : request.keys) {
    const bool failed =
        std::any_of(failures.begin(), failures.end(), [&](const delete_failure& f) { return f.key == key; });
    if (!failed && !request.quiet) doc.open("Deleted").element("Key", key).close();
  }
  for (const auto& failure : failures) {
    doc.open("Error")
        .element("Key", failure.key)
        .element("Code", failure.code)
        .element("Message", failure.message);
    doc.close();
  }
  doc.close();
  return std::move(doc).str();
}

}  // namespace s3cors::s3
