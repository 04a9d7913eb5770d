#include "memory_store.hpp"

#include "s3cors/errc.hpp"
#include "s3cors/store/fs_store.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace s3cors::test {
namespace {

class string_object final : public store::readable_object {
 public:
  explicit string_object(std::shared_ptr<const std::string> content) noexcept
      : content_(std::move(content)) {}

  [[nodiscard]] std::uint64_t size() const noexcept override { return content_->size(); }
  [[nodiscard]] int native_handle() const noexcept override { return -1; }
  [[nodiscard]] bool is_resident(std::uint64_t, std::uint64_t) const noexcept override { return true; }
  void prefetch(std::uint64_t, std::uint64_t) const noexcept override {}
  [[nodiscard]] result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) const override {
    if (offset >= content_->size()) return std::size_t{0};
    const auto start = static_cast<std::size_t>(offset);
    const std::size_t count = std::min(out.size(), content_->size() - start);
    std::memcpy(out.data(), content_->data() + start, count);
    return count;
  }

 private:
  std::shared_ptr<const std::string> content_;
};

}  // namespace

void memory_store::add_bucket(std::string name, store::seconds_time creation) {
  if (!store::is_valid_bucket_name(name)) throw std::logic_error("memory_store: invalid bucket name " + name);
  const std::unique_lock lock{mutex_};
  buckets_[std::move(name)].creation = creation;
}

void memory_store::put(std::string_view bucket_name, std::string key, std::string content,
                       store::seconds_time last_modified, std::string content_type,
                       store::object_attributes attributes) {
  if (!store::is_valid_key(key)) throw std::logic_error("memory_store: key fs_store cannot map: " + key);
  store::object_info info;
  info.size = content.size();
  info.last_modified = last_modified;
  info.etag = store::md5_hex(content);
  if (!content_type.empty()) attributes.headers.emplace_back("Content-Type", std::move(content_type));
  attributes.etag.clear();
  if (!attributes.empty())
    info.attributes = std::make_shared<const store::object_attributes>(std::move(attributes));
  auto shared = std::make_shared<const std::string>(std::move(content));

  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end())
    throw std::logic_error("memory_store: add_bucket first: " + std::string{bucket_name});
  it->second.objects.insert_or_assign(std::move(key), object{std::move(info), std::move(shared)});
}

void memory_store::remove(std::string_view bucket_name, std::string_view key) {
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return;
  if (const auto object_it = it->second.objects.find(key); object_it != it->second.objects.end()) {
    it->second.objects.erase(object_it);
  }
}

result<std::vector<store::bucket_info>> memory_store::list_buckets() const {
  const std::shared_lock lock{mutex_};
  std::vector<store::bucket_info> out;
  out.reserve(buckets_.size());
  for (const auto& [name, b] : buckets_) out.push_back({name, b.creation});  // std::map: already sorted
  return out;
}

result<store::bucket_info> memory_store::stat_bucket(std::string_view bucket_name) const {
  if (!store::is_valid_bucket_name(bucket_name)) return make_error_code(errc::invalid_bucket_name);
  const std::shared_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  return store::bucket_info{it->first, it->second.creation};
}

// Callers hold the lock. Same order of checks as fs_store.
result<const memory_store::object*> memory_store::find(std::string_view bucket_name,
                                                       std::string_view key) const {
  if (!store::is_valid_bucket_name(bucket_name)) return make_error_code(errc::invalid_bucket_name);
  if (!store::is_valid_key(key)) return make_error_code(errc::invalid_key);
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto object_it = it->second.objects.find(key);
  if (object_it == it->second.objects.end()) return make_error_code(errc::no_such_key);
  return &object_it->second;
}

result<store::object_info> memory_store::stat(std::string_view bucket_name, std::string_view key) const {
  const std::shared_lock lock{mutex_};
  auto found = find(bucket_name, key);
  if (!found) return found.error();
  return (*found)->info;
}

result<store::opened_object> memory_store::open(std::string_view bucket_name, std::string_view key) const {
  const std::shared_lock lock{mutex_};
  auto found = find(bucket_name, key);
  if (!found) return found.error();
  return store::opened_object{(*found)->info, std::make_shared<const string_object>((*found)->content)};
}

// std::map orders std::string keys by char_traits<char>::compare, which compares as
// unsigned char: UTF-8 byte order, as S3 lists.
result<std::vector<store::listed_object>> memory_store::list_objects(
    std::string_view bucket_name, const store::list_page_request& page) const {
  if (!store::is_valid_bucket_name(bucket_name)) return make_error_code(errc::invalid_bucket_name);
  const std::shared_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  std::vector<store::listed_object> out;
  const auto& objects = it->second.objects;
  const std::string_view first = std::max<std::string_view>(page.start_after, page.prefix);
  for (auto object_it = objects.lower_bound(first); object_it != objects.end(); ++object_it) {
    const std::string& key = object_it->first;
    if (key <= page.start_after) continue;
    if (!key.starts_with(page.prefix) || out.size() > page.max_keys) break;
    const store::object_info& info = object_it->second.info;
    out.push_back({key, info.size, info.last_modified, info.etag});
  }
  return out;
}

result<std::optional<std::string>> memory_store::get_bucket_document(std::string_view bucket_name,
                                                                     std::string_view name) const {
  const std::shared_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto doc = it->second.documents.find(name);
  if (doc == it->second.documents.end()) return std::optional<std::string>{};
  return std::optional<std::string>{doc->second};
}

result<void> memory_store::put_bucket_document(std::string_view bucket_name, std::string_view name,
                                               std::string_view content) {
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  it->second.documents.insert_or_assign(std::string(name), std::string(content));
  return {};
}

result<void> memory_store::delete_bucket_document(std::string_view bucket_name, std::string_view name) {
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  if (const auto doc = it->second.documents.find(name); doc != it->second.documents.end()) {
    it->second.documents.erase(doc);
  }
  return {};
}

result<void> memory_store::create_bucket(std::string_view bucket_name) {
  if (!store::is_valid_bucket_name(bucket_name)) return make_error_code(errc::invalid_bucket_name);
  const std::unique_lock lock{mutex_};
  if (buckets_.contains(bucket_name)) return make_error_code(errc::bucket_exists);
  buckets_.emplace(std::string(bucket_name), bucket{});
  return {};
}

result<void> memory_store::delete_bucket(std::string_view bucket_name) {
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  if (!it->second.objects.empty()) return make_error_code(errc::bucket_not_empty);
  buckets_.erase(it);
  return {};
}

namespace {

// Holds an upload's bytes until commit.
class memory_writer final : public store::object_writer {
 public:
  [[nodiscard]] result<void> write(std::string_view piece) override {
    content.append(piece);
    return {};
  }
  [[nodiscard]] result<void> copy_from(const store::readable_object& source, std::uint64_t offset,
                                       std::uint64_t length) override {
    std::string buffer(static_cast<std::size_t>(length), '\0');
    std::size_t done = 0;
    while (done < buffer.size()) {
      auto n = source.read_at(offset + done, std::span<char>(buffer.data() + done, buffer.size() - done));
      if (!n) return n.error();
      if (*n == 0) return make_error_code(errc::no_such_key);
      done += *n;
    }
    content += buffer;
    return {};
  }
  [[nodiscard]] std::uint64_t size() const noexcept override { return content.size(); }

  std::string bucket;
  std::string upload_id;
  int part_number = 0;
  std::string content;
};

}  // namespace

result<std::shared_ptr<const store::object_attributes>> memory_store::attributes_of(
    std::string_view bucket_name, std::string_view key) const {
  auto info = stat(bucket_name, key);
  if (!info) return info.error();
  return info->attributes;
}

result<std::unique_ptr<store::object_writer>> memory_store::create_object_writer(
    std::string_view bucket_name) {
  if (auto found = stat_bucket(bucket_name); !found) return found.error();
  auto writer = std::make_unique<memory_writer>();
  writer->bucket = std::string(bucket_name);
  return std::unique_ptr<store::object_writer>(std::move(writer));
}

result<store::object_info> memory_store::commit_object(store::object_writer& writer,
                                                       std::string_view bucket_name, std::string_view key,
                                                       std::string_view etag,
                                                       const store::object_attributes& attributes,
                                                       const store::write_condition& condition) {
  auto& held = dynamic_cast<memory_writer&>(writer);
  if (!store::is_valid_key(key)) return make_error_code(errc::invalid_key);
  // One writer at a time evaluates its condition and publishes, as fs_store's key lock does.
  const std::lock_guard commit_lock{commit_mutex_};
  {
    const std::shared_lock lock{mutex_};
    const auto it = buckets_.find(bucket_name);
    if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
    const auto current = it->second.objects.find(key);
    if (const auto failed = store::check_write_condition(
            condition, current == it->second.objects.end() ? nullptr : &current->second.info))
      return failed;
  }
  put(bucket_name, std::string(key), std::move(held.content), store::seconds_time{}, "", attributes);
  const std::unique_lock lock{mutex_};
  auto& info = buckets_.find(bucket_name)->second.objects.find(key)->second.info;
  info.etag = std::string(etag);
  return info;
}

result<void> memory_store::set_attributes(std::string_view bucket_name, std::string_view key,
                                          const store::object_attributes& attributes) {
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto found = it->second.objects.find(key);
  if (found == it->second.objects.end()) return make_error_code(errc::no_such_key);
  store::object_attributes kept = attributes;
  kept.etag.clear();
  found->second.info.attributes =
      kept.empty() ? nullptr : std::make_shared<const store::object_attributes>(std::move(kept));
  return {};
}

result<void> memory_store::delete_object(std::string_view bucket_name, std::string_view key) {
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  if (const auto found = it->second.objects.find(key); found != it->second.objects.end()) {
    it->second.objects.erase(found);
  }
  return {};
}

void memory_store::set_now(store::seconds_time now) {
  const std::unique_lock lock{mutex_};
  now_ = now;
}

result<std::string> memory_store::create_upload(std::string_view bucket_name, std::string_view key,
                                                const store::object_attributes& attributes) {
  if (!store::is_valid_bucket_name(bucket_name)) return make_error_code(errc::invalid_bucket_name);
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  if (!store::is_valid_key(key)) return make_error_code(errc::invalid_key);
  std::string id = "upload-" + std::to_string(next_upload_++);
  it->second.uploads.emplace(id, upload{std::string(key), now_, {}, attributes});
  return id;
}

result<std::unique_ptr<store::object_writer>> memory_store::create_part_writer(std::string_view bucket_name,
                                                                               std::string_view upload_id,
                                                                               int part_number) {
  if (auto found = get_upload(bucket_name, upload_id); !found) return found.error();
  auto writer = std::make_unique<memory_writer>();
  writer->bucket = std::string(bucket_name);
  writer->upload_id = std::string(upload_id);
  writer->part_number = part_number;
  return std::unique_ptr<store::object_writer>(std::move(writer));
}

result<store::part_info> memory_store::commit_part(
    store::object_writer& writer, std::string_view etag,
    const std::vector<std::pair<std::string, std::string>>& checksums) {
  auto& held = dynamic_cast<memory_writer&>(writer);
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(held.bucket);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto found = it->second.uploads.find(held.upload_id);
  if (found == it->second.uploads.end()) return make_error_code(errc::no_such_upload);
  store::part_info info{held.part_number, held.content.size(), std::string(etag), now_, checksums};
  found->second.parts.insert_or_assign(held.part_number, part{info, std::move(held.content)});
  return info;
}

result<std::vector<store::part_info>> memory_store::list_parts(std::string_view bucket_name,
                                                               std::string_view upload_id) const {
  const std::shared_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto found = it->second.uploads.find(upload_id);
  if (found == it->second.uploads.end()) return make_error_code(errc::no_such_upload);
  std::vector<store::part_info> out;
  for (const auto& [number, p] : found->second.parts) out.push_back(p.info);  // std::map: sorted
  return out;
}

result<store::upload_info> memory_store::get_upload(std::string_view bucket_name,
                                                    std::string_view upload_id) const {
  const std::shared_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto found = it->second.uploads.find(upload_id);
  if (found == it->second.uploads.end()) return make_error_code(errc::no_such_upload);
  return store::upload_info{found->first, found->second.key, found->second.initiated,
                            found->second.attributes.checksum_algorithm,
                            found->second.attributes.checksum_type};
}

result<std::vector<store::upload_info>> memory_store::list_uploads(std::string_view bucket_name) const {
  const std::shared_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  std::vector<store::upload_info> out;
  for (const auto& [id, u] : it->second.uploads) out.push_back({id, u.key, u.initiated, {}, {}});
  std::stable_sort(out.begin(), out.end(), [](const store::upload_info& a, const store::upload_info& b) {
    if (a.key != b.key) return a.key < b.key;
    return a.initiated < b.initiated;
  });
  return out;
}

result<store::object_info> memory_store::complete_upload(std::string_view bucket_name,
                                                         std::string_view upload_id,
                                                         const std::vector<int>& part_numbers,
                                                         std::string_view multipart_etag,
                                                         const store::upload_completion& completion) {
  const std::lock_guard commit_lock{commit_mutex_};
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto found = it->second.uploads.find(upload_id);
  if (found == it->second.uploads.end()) return make_error_code(errc::no_such_upload);
  std::string content;
  for (const int number : part_numbers) {
    const auto p = found->second.parts.find(number);
    if (p == found->second.parts.end()) return make_error_code(errc::no_such_upload);
    content += p->second.content;
  }
  store::object_info info;
  info.size = content.size();
  info.last_modified = now_;
  info.etag = std::string(multipart_etag);
  const auto current = it->second.objects.find(found->second.key);
  if (const auto failed = store::check_write_condition(
          completion.condition, current == it->second.objects.end() ? nullptr : &current->second.info))
    return failed;
  store::object_attributes attributes = found->second.attributes;
  attributes.parts = completion.parts;
  if (!completion.checksums.empty()) attributes.checksums = completion.checksums;
  attributes.checksum_type = completion.checksum_type;
  attributes.checksum_algorithm.clear();
  if (!attributes.empty()) info.attributes = std::make_shared<const store::object_attributes>(attributes);
  it->second.objects.insert_or_assign(found->second.key,
                                      object{info, std::make_shared<const std::string>(std::move(content))});
  it->second.uploads.erase(found);
  return info;
}

result<void> memory_store::abort_upload(std::string_view bucket_name, std::string_view upload_id) {
  const std::unique_lock lock{mutex_};
  const auto it = buckets_.find(bucket_name);
  if (it == buckets_.end()) return make_error_code(errc::no_such_bucket);
  const auto found = it->second.uploads.find(upload_id);
  if (found == it->second.uploads.end()) return make_error_code(errc::no_such_upload);
  it->second.uploads.erase(found);
  return {};
}

result<std::size_t> memory_store::remove_uploads_older_than(store::seconds_time cutoff) {
  const std::unique_lock lock{mutex_};
  std::size_t removed = 0;
  for (auto& [name, b] : buckets_) {
    removed += std::erase_if(b.uploads, [&](const auto& entry) { return entry.second.initiated < cutoff; });
  }
  return removed;
}

}  // namespace s3cors::test
