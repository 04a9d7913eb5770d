#include "s3cors/s3/access.hpp"

#include "s3cors/s3/owner.hpp"
#include "s3cors/xml/xml_writer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <array>
#include <cctype>
#include <mutex>
#include <type_traits>

namespace s3cors::s3 {
namespace {

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

std::string_view permission_name(permission p) noexcept {
  switch (p) {
    case permission::read:
      return "READ";
    case permission::write:
      return "WRITE";
    case permission::read_acp:
      return "READ_ACP";
    case permission::write_acp:
      return "WRITE_ACP";
    case permission::full_control:
      return "FULL_CONTROL";
  }
  return "READ";
}

bool party::same_owner(const party& other) const noexcept {
  if (!account_id.empty() && !other.account_id.empty()) return account_id == other.account_id;
  return canonical_id == other.canonical_id;
}

std::vector<grant> canned_grants(std::string_view canned_acl, const party& owner, const party& bucket_owner) {
  using enum permission;
  std::vector<grant> grants{{grant::kind::canonical_user, owner.canonical_id, full_control}};
  auto group = [&](std::string_view uri, permission p) {
    grants.push_back({grant::kind::group, std::string(uri), p});
  };
  auto to_bucket_owner = [&](permission p) {
    // On a bucket (or an object of the bucket's owner) the owner's FULL_CONTROL says it all.
    if (bucket_owner.canonical_id != owner.canonical_id)
      grants.push_back({grant::kind::canonical_user, bucket_owner.canonical_id, p});
  };
  if (canned_acl == "public-read") {
    group(all_users_uri, read);
  } else if (canned_acl == "public-read-write") {
    group(all_users_uri, read);
    group(all_users_uri, write);
  } else if (canned_acl == "authenticated-read") {
    group(authenticated_users_uri, read);
  } else if (canned_acl == "bucket-owner-read") {
    to_bucket_owner(read);
  } else if (canned_acl == "bucket-owner-full-control") {
    to_bucket_owner(full_control);
  } else if (canned_acl == "log-delivery-write") {
    group(log_delivery_uri, write);
    group(log_delivery_uri, read_acp);
  }
  return grants;
}

namespace {

// What an action needs: a permission on the bucket or on the object (S3's table of ACL
// permissions), a signature only, or the bucket owner.
enum class need : std::uint8_t { bucket_permission, object_permission, signature, bucket_owner };
struct action_rule {
  std::string_view action;
  need kind;
  permission what;
};
// READ on a bucket: s3:ListBucket, s3:ListBucketVersions and s3:ListBucketMultipartUploads; WRITE on a
// bucket: s3:PutObject and s3:DeleteObject (s3cors adds the uploader's own multipart steps, which S3 leaves
// to policies); READ_ACP/WRITE_ACP: the ACL's reads and writes; READ on an object: s3:GetObject. Every action
// not listed belongs to the bucket owner.
constexpr std::array<action_rule, 14> action_rules{{
    {"s3:AbortMultipartUpload", need::bucket_permission, permission::write},
    {"s3:CreateBucket", need::signature, permission::write},
    {"s3:DeleteObject", need::bucket_permission, permission::write},
    {"s3:GetBucketAcl", need::bucket_permission, permission::read_acp},
    {"s3:GetObject", need::object_permission, permission::read},
    {"s3:GetObjectAcl", need::object_permission, permission::read_acp},
    {"s3:ListAllMyBuckets", need::signature, permission::read},
    {"s3:ListBucket", need::bucket_permission, permission::read},
    {"s3:ListBucketMultipartUploads", need::bucket_permission, permission::read},
    {"s3:ListBucketVersions", need::bucket_permission, permission::read},
    {"s3:ListMultipartUploadParts", need::bucket_permission, permission::write},
    {"s3:PutBucketAcl", need::bucket_permission, permission::write_acp},
    {"s3:PutObject", need::bucket_permission, permission::write},
    {"s3:PutObjectAcl", need::object_permission, permission::write_acp},
}};

const action_rule* rule_of(std::string_view action) noexcept {
  for (const auto& rule : action_rules) {
    if (rule.action == action) return &rule;
  }
  return nullptr;
}

std::string grantee_name(const grant& g) {
  if (g.type == grant::kind::canonical_user) return "user " + g.grantee;
  if (g.grantee == all_users_uri) return "AllUsers";
  if (g.grantee == authenticated_users_uri) return "AuthenticatedUsers";
  if (g.grantee == log_delivery_uri) return "LogDelivery";
  return g.grantee;
}

bool is_public_grantee(const grant& g) noexcept {
  return g.type == grant::kind::group && (g.grantee == all_users_uri || g.grantee == authenticated_users_uri);
}

// The grant of the ACL that gives the principal the permission, if any.
const grant* matching_grant(const std::vector<grant>& acl, const std::optional<party>& principal,
                            permission needed, const public_access_block& block) noexcept {
  for (const grant& g : acl) {
    if (g.what != needed && g.what != permission::full_control) continue;
    if (is_public_grantee(g) && block.ignore_public_acls) continue;
    const bool matches =
        g.type == grant::kind::canonical_user
            ? principal && principal->canonical_id == g.grantee
            : g.grantee == all_users_uri || (g.grantee == authenticated_users_uri && principal);
    if (matches) return &g;
  }
  return nullptr;
}

}  // namespace

bool is_object_action(std::string_view action) noexcept {
  const action_rule* rule = rule_of(action);
  return rule && rule->kind == need::object_permission;
}

access_decision decide(const access_request& request) {
  auto allow = [](std::string trace) { return access_decision{true, std::move(trace)}; };
  auto deny = [](std::string trace) { return access_decision{false, std::move(trace)}; };
  const std::string_view action = request.action;
  // An explicit deny anywhere wins over every allow.
  if (request.policy == policy_decision::explicit_deny)
    return deny(
        fmt::format("{}: explicitly denied by the bucket policy ({})", action, request.policy_statement));

  const action_rule* rule = rule_of(action);
  const need kind = rule ? rule->kind : need::bucket_owner;
  const bool acls_enabled = request.ownership != object_ownership::bucket_owner_enforced;
  const bool is_bucket_owner = request.principal && request.principal->same_owner(request.bucket_owner);
  if (kind == need::signature) {
    if (request.principal) return allow(fmt::format("{}: any signed request may", action));
    return deny(fmt::format("{}: needs a signed request", action));
  }
  // The bucket owner may do anything to the bucket, its ACL and its configuration.
  if (kind != need::object_permission && is_bucket_owner)
    return allow(fmt::format("{}: the requester owns the bucket", action));

  // What the ACL has to grant, and on which resource. GetObject (or an object's ACL) on a
  // missing object needs READ on the bucket: the grantee may learn that it does not exist (404).
  const std::vector<grant>* acl = &request.bucket_acl;
  std::string_view resource = "bucket";
  permission needed = rule ? rule->what : permission::full_control;
  if (kind == need::object_permission) {
    if (!request.object) {
      if (is_bucket_owner)
        return allow(fmt::format("{}: no such object; the requester owns the bucket", action));
      needed = permission::read;
    } else {
      // BucketOwnerEnforced: the bucket owner owns every object.
      const party& owner = acls_enabled ? request.object->owner : request.bucket_owner;
      if (request.principal && request.principal->same_owner(owner))
        return allow(fmt::format("{}: the requester owns the object", action));
      acl = &request.object->acl;
      resource = "object";
    }
  }

  if (request.policy == policy_decision::allow)
    return allow(fmt::format("{}: allowed by the bucket policy ({})", action, request.policy_statement));
  if (kind == need::bucket_owner) return deny(fmt::format("{}: only the bucket owner may", action));
  if (!acls_enabled)
    return deny(fmt::format("{}: ACLs are disabled (BucketOwnerEnforced) and no policy allows it", action));
  if (const grant* g = matching_grant(*acl, request.principal, needed, request.public_access)) {
    return allow(fmt::format("{}: the {} ACL grants {} to {}", action, resource, permission_name(g->what),
                             grantee_name(*g)));
  }
  return deny(fmt::format("{}: no grant of {} on the {} to the {}", action, permission_name(needed), resource,
                          request.principal ? "requester" : "anonymous requester"));
}

std::string_view action_of(const operation& op) noexcept {
  return std::visit(
      [](const auto& o) -> std::string_view {
        using op_type = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<op_type, list_buckets_op>)
          return "s3:ListAllMyBuckets";
        else if constexpr (std::is_same_v<op_type, head_bucket_op>)
          return "s3:ListBucket";
        else if constexpr (std::is_same_v<op_type, get_object_op>)
          return "s3:GetObject";
        else if constexpr (std::is_same_v<op_type, get_bucket_cors_op>)
          return "s3:GetBucketCORS";
        // S3 has no s3:DeleteBucketCORS: DeleteBucketCors needs s3:PutBucketCORS.
        else if constexpr (std::is_same_v<op_type, put_bucket_cors_op> ||
                           std::is_same_v<op_type, delete_bucket_cors_op>)
          return "s3:PutBucketCORS";
        else if constexpr (std::is_same_v<op_type, create_bucket_op>)
          return "s3:CreateBucket";
        else if constexpr (std::is_same_v<op_type, delete_bucket_op>)
          return "s3:DeleteBucket";
        else if constexpr (std::is_same_v<op_type, get_bucket_location_op>)
          return "s3:GetBucketLocation";
        else if constexpr (std::is_same_v<op_type, put_object_op> ||
                           std::is_same_v<op_type, copy_object_op> || std::is_same_v<op_type, post_object_op>)
          return "s3:PutObject";
        else if constexpr (std::is_same_v<op_type, delete_object_op> ||
                           std::is_same_v<op_type, delete_objects_op>)
          return "s3:DeleteObject";
        else if constexpr (std::is_same_v<op_type, list_objects_op>)
          return "s3:ListBucket";
        else if constexpr (std::is_same_v<op_type, multipart_op>) {
          switch (o.what) {
            case multipart_op::kind::abort:
              return "s3:AbortMultipartUpload";
            case multipart_op::kind::list_parts:
              return "s3:ListMultipartUploadParts";
            case multipart_op::kind::list_uploads:
              return "s3:ListBucketMultipartUploads";
            default:
              return "s3:PutObject";
          }
        } else if constexpr (std::is_same_v<op_type, acl_op>) {
          if (o.key.empty()) return o.put ? "s3:PutBucketAcl" : "s3:GetBucketAcl";
          return o.put ? "s3:PutObjectAcl" : "s3:GetObjectAcl";
        } else if constexpr (std::is_same_v<op_type, tagging_op>) {
          // S3 has no s3:DeleteBucketTagging: DeleteBucketTagging needs s3:PutBucketTagging.
          if (o.key.empty())
            return o.what == tagging_op::kind::get ? "s3:GetBucketTagging" : "s3:PutBucketTagging";
          switch (o.what) {
            case tagging_op::kind::get:
              return "s3:GetObjectTagging";
            case tagging_op::kind::put:
              return "s3:PutObjectTagging";
            default:
              return "s3:DeleteObjectTagging";
          }
        } else if constexpr (std::is_same_v<op_type, list_object_versions_op>) {
          return "s3:ListBucketVersions";
        } else if constexpr (std::is_same_v<op_type, get_bucket_versioning_op>) {
          return "s3:GetBucketVersioning";
        } else if constexpr (std::is_same_v<op_type, bucket_policy_op>) {
          switch (o.what) {
            case bucket_policy_op::kind::get:
              return "s3:GetBucketPolicy";
            case bucket_policy_op::kind::put:
              return "s3:PutBucketPolicy";
            case bucket_policy_op::kind::remove:
              return "s3:DeleteBucketPolicy";
            default:
              return "s3:GetBucketPolicyStatus";
          }
        } else if constexpr (std::is_same_v<op_type, bucket_control_op>) {
          // The Delete operations need the Put actions, as in S3.
          const bool get = o.verb == bucket_control_op::kind::get;
          if (o.what == bucket_control_op::setting::ownership_controls)
            return get ? "s3:GetBucketOwnershipControls" : "s3:PutBucketOwnershipControls";
          return get ? "s3:GetBucketPublicAccessBlock" : "s3:PutBucketPublicAccessBlock";
        } else {
          return {};  // preflights and the health check are never authorised
        }
      },
      op);
}

namespace {

const known_user* user_by_id(const std::vector<known_user>& users, std::string_view id) {
  for (const known_user& u : users) {
    if (u.who.canonical_id == id) return &u;
  }
  return nullptr;
}

const known_user* user_by_email(const std::vector<known_user>& users, std::string_view email) {
  // E-mail addresses compare without regard to case, as mail domains do.
  auto lower = [](std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string wanted = lower(email);
  for (const known_user& u : users) {
    if (!u.email.empty() && lower(u.email) == wanted) return &u;
  }
  return nullptr;
}

std::optional<permission> permission_of(std::string_view name) noexcept {
  using enum permission;
  for (const permission p : {read, write, read_acp, write_acp, full_control}) {
    if (permission_name(p) == name) return p;
  }
  return std::nullopt;
}

bool is_group_uri(std::string_view uri) noexcept {
  return uri == all_users_uri || uri == authenticated_users_uri || uri == log_delivery_uri;
}

error_detail malformed_acl(std::string_view why) {
  return error_detail(error::malformed_acl_error).with("Detail", std::string(why));
}

error_detail unresolvable_email(std::string_view email) {
  return error_detail(error::unresolvable_grant_by_email_address).with("EmailAddress", std::string(email));
}

// The Grantee's xsi:type attribute, whatever prefix names the XML Schema instance namespace.
std::string_view grantee_type(const pugi::xml_node& grantee) {
  for (const pugi::xml_attribute a : grantee.attributes()) {
    const std::string_view name = a.name();
    if (name == "type" || name.ends_with(":type")) return a.value();
  }
  return {};
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string serialize_grants(const std::vector<grant>& grants) {
  auto list = nlohmann::json::array();
  for (const grant& g : grants) {
    list.push_back({{"type", g.type == grant::kind::group ? "group" : "user"},
                    {"grantee", g.grantee},
                    {"permission", permission_name(g.what)}});
  }
  return list.dump();
}

std::vector<grant> stored_grants(std::string_view stored, const party& owner, const party& bucket_owner) {
  if (!stored.starts_with('['))
    return canned_grants(stored.empty() ? "private" : stored, owner, bucket_owner);
  const auto doc = nlohmann::json::parse(stored, nullptr, false);
  std::vector<grant> out;
  if (!doc.is_array()) return out;  // unreadable: no grants (the owners keep their rights)
  for (const auto& item : doc) {
    if (!item.is_object()) continue;
    const auto type = item.value("type", std::string());
    const auto what = permission_of(item.value("permission", std::string()));
    const auto grantee = item.value("grantee", std::string());
    if (!what || grantee.empty() || (type != "user" && type != "group")) continue;
    out.push_back({type == "group" ? grant::kind::group : grant::kind::canonical_user, grantee, *what});
  }
  return out;
}

std::string render_access_control_policy(const party& owner, const std::vector<grant>& grants,
                                         const std::vector<known_user>& users) {
  constexpr std::string_view grantee_ns = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
  std::string list;
  for (const grant& g : grants) {
    if (g.type == grant::kind::canonical_user) {
      list += fmt::format("<Grant><Grantee {} xsi:type=\"CanonicalUser\"><ID>{}</ID>", grantee_ns,
                          xml::escape(g.grantee));
      if (g.grantee == owner.canonical_id) {
        list += fmt::format("<DisplayName>{}</DisplayName>", xml::escape(owner.display_name));
      } else if (const known_user* u = user_by_id(users, g.grantee)) {
        list += fmt::format("<DisplayName>{}</DisplayName>", xml::escape(u->who.display_name));
      }
      list += "</Grantee>";
    } else {
      list += fmt::format("<Grant><Grantee {} xsi:type=\"Group\"><URI>{}</URI></Grantee>", grantee_ns,
                          xml::escape(g.grantee));
    }
    list += fmt::format("<Permission>{}</Permission></Grant>", permission_name(g.what));
  }
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy xmlns=\"{}\"><Owner><ID>{}</ID>"
      "<DisplayName>{}</DisplayName></Owner><AccessControlList>{}</AccessControlList></AccessControlPolicy>",
      s3_xmlns, xml::escape(owner.canonical_id), xml::escape(owner.display_name), list);
}

result<access_control_policy, error_detail> parse_access_control_policy(
    std::string_view xml, const std::vector<known_user>& users) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8))
    return malformed_acl("not well-formed XML");
  const pugi::xml_node root = doc.document_element();
  if (local_name(root) != "AccessControlPolicy") return malformed_acl("the root is not AccessControlPolicy");
  const pugi::xml_node owner = child(root, "Owner");
  const pugi::xml_node list = child(root, "AccessControlList");
  if (!owner || !child(owner, "ID") || !list)
    return malformed_acl("Owner/ID and AccessControlList are required");
  access_control_policy out;
  out.owner_id = trimmed(child(owner, "ID").text().get());
  for (const pugi::xml_node node : list.children()) {
    if (node.type() != pugi::node_element) continue;
    if (local_name(node) != "Grant") return malformed_acl("AccessControlList holds Grant elements only");
    const pugi::xml_node grantee = child(node, "Grantee");
    const auto what = permission_of(trimmed(child(node, "Permission").text().get()));
    if (!grantee || !what) return malformed_acl("a Grant needs a Grantee and a known Permission");
    const std::string_view type = grantee_type(grantee);
    grant g;
    g.what = *what;
    if (type == "CanonicalUser") {
      g.grantee = trimmed(child(grantee, "ID").text().get());
      if (g.grantee.empty())
        return error_detail(error::invalid_argument).with("ArgumentName", "CanonicalUser/ID");
    } else if (type == "AmazonCustomerByEmail") {
      const std::string_view email = trimmed(child(grantee, "EmailAddress").text().get());
      if (email.empty()) return malformed_acl("AmazonCustomerByEmail needs an EmailAddress");
      const known_user* u = user_by_email(users, email);
      if (!u) return unresolvable_email(email);
      g.grantee = u->who.canonical_id;
    } else if (type == "Group") {
      g.type = grant::kind::group;
      g.grantee = trimmed(child(grantee, "URI").text().get());
      if (!is_group_uri(g.grantee)) {
        return error_detail(error::invalid_argument, "Invalid group uri")
            .with("ArgumentName", "Group/URI")
            .with("ArgumentValue", g.grantee);
      }
    } else {
      return malformed_acl("Grantee needs xsi:type CanonicalUser, AmazonCustomerByEmail or Group");
    }
    out.grants.push_back(std::move(g));
  }
  return out;
}

result<std::optional<std::vector<grant>>, error_detail> grants_from_headers(
    const header_list& headers, const std::vector<known_user>& users) {
  using enum permission;
  static constexpr std::array<std::pair<std::string_view, permission>, 5> names{{
      {"x-amz-grant-read", read},
      {"x-amz-grant-write", write},
      {"x-amz-grant-read-acp", read_acp},
      {"x-amz-grant-write-acp", write_acp},
      {"x-amz-grant-full-control", full_control},
  }};
  std::optional<std::vector<grant>> out;
  for (const auto& [header, what] : names) {
    const auto value = headers.find(header);
    if (!value) continue;
    if (!out) out.emplace();
    auto invalid = [&, header = header] {
      return error_detail(error::invalid_argument)
          .with("ArgumentName", std::string(header))
          .with("ArgumentValue", std::string(*value));
    };
    std::string_view rest = *value;
    while (true) {
      const auto comma = rest.find(',');
      const std::string_view item = trimmed(rest.substr(0, comma));
      const auto equals = item.find('=');
      if (equals == std::string_view::npos) return invalid();
      const std::string_view key = trimmed(item.substr(0, equals));
      std::string_view text = trimmed(item.substr(equals + 1));
      if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
        text = text.substr(1, text.size() - 2);
      if (text.empty()) return invalid();
      grant g;
      g.what = what;
      if (key == "id") {
        g.grantee = text;
      } else if (key == "emailAddress") {
        const known_user* u = user_by_email(users, text);
        if (!u) return unresolvable_email(text);
        g.grantee = u->who.canonical_id;
      } else if (key == "uri") {
        if (!is_group_uri(text)) return invalid();
        g.type = grant::kind::group;
        g.grantee = text;
      } else {
        return invalid();
      }
      out->push_back(std::move(g));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
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

void acl_registry::set_owner(std::string_view bucket, std::optional<party> owner) {
  const std::unique_lock lock{mutex_};
  if (owner) {
    owners_.insert_or_assign(std::string(bucket), std::move(*owner));
  } else if (const auto it = owners_.find(bucket); it != owners_.end()) {
    owners_.erase(it);
  }
}

std::optional<party> acl_registry::owner(std::string_view bucket) const {
  const std::shared_lock lock{mutex_};
  if (const auto it = owners_.find(bucket); it != owners_.end()) return it->second;
  return std::nullopt;
}

std::string serialize_owner(const party& owner) {
  return nlohmann::json{
      {"id", owner.canonical_id}, {"name", owner.display_name}, {"account", owner.account_id}}
      .dump();
}

std::optional<party> parse_owner(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  party out;
  for (auto [field, name] : {std::pair{&out.canonical_id, "id"}, std::pair{&out.display_name, "name"},
                             std::pair{&out.account_id, "account"}}) {
    if (const auto it = doc.find(name); it != doc.end() && it->is_string()) *field = it->get<std::string>();
  }
  if (out.canonical_id.empty()) return std::nullopt;
  return out;
}

bool acl_registry::file_public_read(std::string_view bucket) const {
  const std::shared_lock lock{mutex_};
  if (api_.contains(bucket)) return false;
  const auto it = file_.find(bucket);
  return it != file_.end() && (it->second == "public-read" || it->second == "public-read-write");
}

std::optional<std::string> acl_registry::find(std::string_view bucket) const {
  const std::shared_lock lock{mutex_};
  if (const auto it = api_.find(bucket); it != api_.end()) return it->second;
  if (const auto it = file_.find(bucket); it != file_.end()) return it->second;
  return std::nullopt;
}

}  // namespace s3cors::s3
