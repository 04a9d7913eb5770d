#include "s3cors/s3/bucket_controls.hpp"

#include "s3cors/http/request.hpp"
#include "s3cors/s3/owner.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <mutex>
#include <utility>

namespace s3cors::s3 {
namespace {

// Element names without a namespace prefix, as S3 accepts both.
std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The element children of a node (comments and declarations skipped).
template <typename F>
bool each_element(const pugi::xml_node& node, F&& f) {
  for (const pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    if (!f(child)) return false;
  }
  return true;
}

constexpr std::array<std::pair<object_ownership, std::string_view>, 3> ownership_names{{
    {object_ownership::bucket_owner_enforced, "BucketOwnerEnforced"},
    {object_ownership::bucket_owner_preferred, "BucketOwnerPreferred"},
    {object_ownership::object_writer, "ObjectWriter"},
}};

}  // namespace

std::string_view ownership_name(object_ownership o) noexcept {
  for (const auto& [value, name] : ownership_names) {
    if (value == o) return name;
  }
  return "ObjectWriter";
}

std::optional<object_ownership> parse_ownership_name(std::string_view name) noexcept {
  for (const auto& [value, known] : ownership_names) {
    if (known == name) return value;
  }
  return std::nullopt;
}

result<object_ownership, error_detail> parse_ownership_controls(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size()) || local_name(doc.document_element()) != "OwnershipControls")
    return error_detail(error::malformed_xml);
  // S3 takes exactly one Rule with one ObjectOwnership.
  std::optional<object_ownership> found;
  bool ok = each_element(doc.document_element(), [&](const pugi::xml_node& rule) {
    if (local_name(rule) != "Rule" || found) return false;
    return each_element(rule, [&](const pugi::xml_node& field) {
      if (local_name(field) != "ObjectOwnership" || found) return false;
      found = parse_ownership_name(field.text().as_string());
      return found.has_value();
    });
  });
  if (!ok || !found) return error_detail(error::malformed_xml);
  return *found;
}

std::string render_ownership_controls(object_ownership o) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OwnershipControls xmlns=\"{}\"><Rule><ObjectOwnership>{}"
      "</ObjectOwnership></Rule></OwnershipControls>",
      s3_xmlns, ownership_name(o));
}

result<public_access_block, error_detail> parse_public_access_block(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size()) ||
      local_name(doc.document_element()) != "PublicAccessBlockConfiguration")
    return error_detail(error::malformed_xml);
  public_access_block out;
  bool ok = each_element(doc.document_element(), [&](const pugi::xml_node& field) {
    const std::string_view name = local_name(field);
    bool* slot = name == "BlockPublicAcls"         ? &out.block_public_acls
                 : name == "IgnorePublicAcls"      ? &out.ignore_public_acls
                 : name == "BlockPublicPolicy"     ? &out.block_public_policy
                 : name == "RestrictPublicBuckets" ? &out.restrict_public_buckets
                                                   : nullptr;
    if (!slot) return false;
    const std::string_view value = field.text().as_string();
    if (value != "true" && value != "false") return false;
    *slot = value == "true";
    return true;
  });
  if (!ok) return error_detail(error::malformed_xml);
  return out;
}

std::string render_public_access_block(const public_access_block& block) {
  auto flag = [](bool b) { return b ? "true" : "false"; };
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PublicAccessBlockConfiguration xmlns=\"{}\">"
      "<BlockPublicAcls>{}</BlockPublicAcls><IgnorePublicAcls>{}</IgnorePublicAcls>"
      "<BlockPublicPolicy>{}</BlockPublicPolicy><RestrictPublicBuckets>{}</RestrictPublicBuckets>"
      "</PublicAccessBlockConfiguration>",
      s3_xmlns, flag(block.block_public_acls), flag(block.ignore_public_acls),
      flag(block.block_public_policy), flag(block.restrict_public_buckets));
}

std::optional<error_detail> acl_refusal(object_ownership ownership, const public_access_block& block,
                                        const std::optional<std::string>& acl, const party& owner,
                                        const party& bucket_owner, bool on_bucket) {
  if (!acl) return std::nullopt;
  const std::vector<grant> grants = stored_grants(*acl, owner, bucket_owner);
  if (ownership == object_ownership::bucket_owner_enforced) {
    // ACLs are disabled: only the bucket owner's full control may be asked for.
    const bool owner_full_control =
        is_canned_acl(*acl)
            ? *acl == "bucket-owner-full-control" || (on_bucket && *acl == "private")
            : !grants.empty() && std::all_of(grants.begin(), grants.end(), [&](const grant& g) {
                return g.type == grant::kind::canonical_user && g.grantee == bucket_owner.canonical_id &&
                       g.what == permission::full_control;
              });
    if (!owner_full_control) return error_detail(error::access_control_list_not_supported);
  }
  const bool is_public = std::any_of(grants.begin(), grants.end(), [](const grant& g) {
    return g.type == grant::kind::group &&
           (g.grantee == all_users_uri || g.grantee == authenticated_users_uri);
  });
  if (block.block_public_acls && is_public) return error_detail(error::access_denied);
  return std::nullopt;
}

void bucket_controls_registry::set_ownership(std::string_view bucket, std::optional<object_ownership> o) {
  const std::unique_lock lock{mutex_};
  if (o) {
    ownership_.insert_or_assign(std::string(bucket), *o);
  } else if (const auto it = ownership_.find(bucket); it != ownership_.end()) {
    ownership_.erase(it);
  }
}

std::optional<object_ownership> bucket_controls_registry::ownership(std::string_view bucket) const {
  const std::shared_lock lock{mutex_};
  if (const auto it = ownership_.find(bucket); it != ownership_.end()) return it->second;
  return std::nullopt;
}

void bucket_controls_registry::set_public_access_block(std::string_view bucket,
                                                       std::optional<public_access_block> block) {
  const std::unique_lock lock{mutex_};
  if (block) {
    blocks_.insert_or_assign(std::string(bucket), *block);
  } else if (const auto it = blocks_.find(bucket); it != blocks_.end()) {
    blocks_.erase(it);
  }
}

std::optional<public_access_block> bucket_controls_registry::find_public_access_block(
    std::string_view bucket) const {
  const std::shared_lock lock{mutex_};
  if (const auto it = blocks_.find(bucket); it != blocks_.end()) return it->second;
  return std::nullopt;
}

}  // namespace s3cors::s3
