#include "config_loader.hpp"

#include "s3cors/cors/parse.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace s3cors::app {

std::string read_text_file(const std::filesystem::path& path) {
  // Configuration and CORS documents are small: a larger file (or /dev/zero) is a mistake,
  // refused before it fills the memory.
  constexpr std::size_t max_size = 1024 * 1024;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  std::string text(max_size + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_size) {
    throw std::runtime_error(fmt::format("{} is larger than 1 MiB: not a configuration file", path.string()));
  }
  return text;
}

config::server_config load_config_file(const std::filesystem::path& path) {
  auto parsed = config::parse_config(read_text_file(path));
  if (!parsed) {
    const auto& e = parsed.error();
    throw std::runtime_error(fmt::format("invalid config file {}: {}{}{}", path.string(), e.pointer,
                                         e.pointer.empty() ? "" : ": ", e.message));
  }
  return std::move(*parsed);
}

void check_data_root(const std::filesystem::path& root) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    throw std::runtime_error(fmt::format("data root '{}' is not a directory", root.string()));
  }
}

namespace {

cors::config_ptr load_one(const config::bucket_settings& settings, const std::filesystem::path& base_dir,
                          std::string_view what, std::vector<std::filesystem::path>& files) {
  std::string text;
  std::string source = "inline";
  if (settings.cors_file) {
    const std::filesystem::path file = base_dir / *settings.cors_file;
    files.push_back(file);
    source = file.string();
    text = read_text_file(file);
  } else if (settings.cors_inline) {
    text = *settings.cors_inline;
  } else {
    return nullptr;
  }
  auto parsed = cors::parse_any(text);
  if (!parsed) {
    const auto& e = parsed.error();
    throw std::runtime_error(fmt::format("CORS configuration for {} ({}) is invalid: {}: {}{}{}", what,
                                         source, e.code, e.message, e.detail.empty() ? "" : " — ", e.detail));
  }
  return std::make_shared<const cors::cors_configuration>(std::move(*parsed));
}

}  // namespace

file_cors load_file_cors(const config::server_config& config, const std::filesystem::path& base_dir) {
  file_cors out;
  for (const auto& [bucket, settings] : config.buckets) {
    if (auto loaded = load_one(settings, base_dir, "bucket " + bucket, out.files)) {
      out.buckets.emplace(bucket, std::move(loaded));
    }
  }
  if (config.default_cors)
    out.default_config = load_one(*config.default_cors, base_dir, "default_cors", out.files);
  return out;
}

std::vector<std::string> load_api_cors(const store::object_store& store, cors::cors_registry& registry) {
  std::vector<std::string> warnings;
  auto buckets = store.list_buckets();
  if (!buckets) return {"cannot list buckets to load their CORS configurations"};
  for (const auto& bucket : *buckets) {
    auto document = store.get_bucket_document(bucket.name, "cors.xml");
    if (!document || !*document) continue;
    auto parsed = cors::parse_xml(**document);
    if (!parsed) {
      warnings.push_back(fmt::format("ignoring stored CORS configuration of bucket {}: {}", bucket.name,
                                     parsed.error().message));
      continue;
    }
    registry.set_api_config(bucket.name,
                            std::make_shared<const cors::cors_configuration>(std::move(*parsed)));
  }
  return warnings;
}

file_watch::stamp file_watch::stamp_of(const std::filesystem::path& file) {
  struct ::stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return {true, static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec,
          static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino)};
}

void file_watch::watch(std::vector<std::filesystem::path> files) {
  stamps_.clear();
  for (auto& file : files) {
    const stamp current = stamp_of(file);
    stamps_.emplace_back(std::move(file), current);
  }
}

bool file_watch::changed() const {
  for (const auto& [file, recorded] : stamps_) {
    if (!(stamp_of(file) == recorded)) return true;
  }
  return false;
}

}  // namespace s3cors::app
