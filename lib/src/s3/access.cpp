#include "s3cors/s3/access.hpp"

#include "s3cors/s3/owner.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <array>
#include <mutex>

namespace s3cors::s3 {
namespace {

constexpr std::string_view all_users = "http://acs.amazonaws.com/groups/global/AllUsers";

std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& node, std::string_view name) {
  for (const pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  }
  return {};
}

}  // namespace

bool is_canned_acl(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 8> names = {
      "private",       "public-read",       "public-read-write",         "authenticated-read",
      "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write"};
  for (const auto known : names) {
    if (name == known) return true;
  }
  return false;
}

bool anonymous_may(anonymous_access access, std::string_view bucket_acl,
                   std::string_view object_acl) noexcept {
  if (access == anonymous_access::write) return bucket_acl == "public-read-write";
  return bucket_acl == "public-read" || bucket_acl == "public-read-write" || object_acl == "public-read" ||
         object_acl == "public-read-write";
}

std::string render_access_control_policy(std::string_view canned_acl) {
  constexpr std::string_view grantee_ns = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
  std::string grants = fmt::format(
      "<Grant><Grantee {} xsi:type=\"CanonicalUser\"><ID>{}</ID><DisplayName>{}</DisplayName></Grantee>"
      "<Permission>FULL_CONTROL</Permission></Grant>",
      grantee_ns, owner_id, owner_name);
  auto everyone = [&](std::string_view permission) {
    grants += fmt::format(
        "<Grant><Grantee {} xsi:type=\"Group\"><URI>{}</URI></Grantee><Permission>{}</Permission></Grant>",
        grantee_ns, all_users, permission);
  };
  if (canned_acl == "public-read" || canned_acl == "public-read-write") everyone("READ");
  if (canned_acl == "public-read-write") everyone("WRITE");
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy xmlns=\"{}\"><Owner><ID>{}</ID>"
      "<DisplayName>{}</DisplayName></Owner><AccessControlList>{}</AccessControlList></AccessControlPolicy>",
      s3_xmlns, owner_id, owner_name, grants);
}

result<std::string, error_detail> canned_acl_from_policy(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8))
    return error_detail(error::malformed_xml);
  const pugi::xml_node root = doc.document_element();
  const pugi::xml_node list = child(root, "AccessControlList");
  if (local_name(root) != "AccessControlPolicy" || !list) return error_detail(error::malformed_xml);
  bool read = false;
  bool write = false;
  for (const pugi::xml_node grant : list.children()) {
    if (grant.type() != pugi::node_element) continue;
    if (local_name(grant) != "Grant") return error_detail(error::malformed_xml);
    const pugi::xml_node grantee = child(grant, "Grantee");
    const std::string_view permission = child(grant, "Permission").text().get();
    if (!grantee || permission.empty()) return error_detail(error::malformed_xml);
    if (const pugi::xml_node uri = child(grantee, "URI");
        uri && std::string_view(uri.text().get()) == all_users) {
      if (permission == "READ") {
        read = true;
        continue;
      }
      if (permission == "WRITE") {
        write = true;
        continue;
      }
    } else if (child(grantee, "ID") && permission == "FULL_CONTROL") {
      continue;  // the owner: the one principal s3cors has
    }
    return error_detail(error::not_implemented,
                        "A header you provided implies functionality that is not implemented")
        .with("Detail", "s3cors keeps canned ACLs only: grants to everyone (READ, WRITE) and the owner");
  }
  if (write && !read) {
    return error_detail(error::not_implemented,
                        "A header you provided implies functionality that is not implemented")
        .with("Detail",
              "s3cors keeps canned ACLs only: WRITE for everyone needs READ too (public-read-write)");
  }
  return std::string(write ? "public-read-write" : read ? "public-read" : "private");
}

void acl_registry::set_file_acls(std::map<std::string, std::string, std::less<>> by_bucket) {
  const std::unique_lock lock{mutex_};
  file_ = std::move(by_bucket);
}

void acl_registry::set_api_acl(std::string_view bucket, std::optional<std::string> acl) {
  const std::unique_lock lock{mutex_};
  if (acl) {
    api_.insert_or_assign(std::string(bucket), std::move(*acl));
  } else if (const auto it = api_.find(bucket); it != api_.end()) {
    api_.erase(it);
  }
}

std::optional<std::string> acl_registry::find(std::string_view bucket) const {
  const std::shared_lock lock{mutex_};
  if (const auto it = api_.find(bucket); it != api_.end()) return it->second;
  if (const auto it = file_.find(bucket); it != file_.end()) return it->second;
  return std::nullopt;
}

}  // namespace s3cors::s3
