#pragma once
// Starts the real http_server in-process on 127.0.0.1, port 0, over a fresh temp data root.
// Readiness is start() returning; the destructor stops the server.
#include "s3cors/cors/registry.hpp"
#include "s3cors/faults/fault_service.hpp"
#include "s3cors/net/fault_handler.hpp"
#include "s3cors/net/http_server.hpp"
#include "s3cors/net/service_handler.hpp"
#include "s3cors/s3/service.hpp"
#include "s3cors/store/fs_store.hpp"
#include "temp_dir.hpp"

#include <cstdint>
#include <memory>

namespace s3cors::test {

class server_fixture {
 public:
  explicit server_fixture(net::server_options options = quiet_options(), s3::service_options service = {});
  ~server_fixture();

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] const temp_dir& root() const noexcept { return root_; }
  /// Writes a file below the data root (creating buckets as directories).
  std::filesystem::path write(const std::filesystem::path& relative, std::string_view content) const {
    return root_.write(relative, content);
  }
  void stop();
  /// The store the server serves from.
  [[nodiscard]] store::fs_store& store() noexcept { return *store_; }
  /// The registry the server evaluates CORS from (as the config file would fill it).
  [[nodiscard]] cors::cors_registry& cors() noexcept { return cors_; }
  /// Media faults, as the server wires them (net::with_faults): no rule, an empty index until
  /// a test calls faults().rebuild_index().
  [[nodiscard]] faults::fault_service& faults() noexcept { return *faults_; }
  /// Sets a bucket's configuration as the config file would; text in any accepted form.
  void set_file_cors(const std::string& bucket, std::string_view text);

  [[nodiscard]] static net::server_options quiet_options();

 private:
  temp_dir root_;
  cors::cors_registry cors_;
  std::unique_ptr<store::fs_store> store_;
  std::unique_ptr<s3::service> service_;
  std::unique_ptr<faults::fault_service> faults_;
  std::unique_ptr<net::http_server> server_;
  std::uint16_t port_ = 0;
};

}  // namespace s3cors::test
