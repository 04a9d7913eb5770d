#include "server_fixture.hpp"

#include "s3cors/cors/parse.hpp"

#include <stdexcept>

namespace s3cors::test {

net::server_options server_fixture::quiet_options() {
  net::server_options options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.level = net::log_level::warn;
  options.shutdown_grace = std::chrono::milliseconds(2000);
  return options;
}

server_fixture::server_fixture(net::server_options options, s3::service_options service) {
  net::set_log_level(options.level);
  root_.make_dir("media");
  store_ = std::make_unique<store::fs_store>(store::fs_store_options{root_.path(), false});
  service_ = std::make_unique<s3::service>(*store_, cors_, std::move(service));
  faults_ = std::make_unique<faults::fault_service>(*store_, *service_, s3::routing_options{});
  server_ = std::make_unique<net::http_server>(options,
                                               net::with_faults(net::service_handler(*service_), *faults_));
  port_ = server_->start();
}

server_fixture::~server_fixture() {
  stop();
}

void server_fixture::set_file_cors(const std::string& bucket, std::string_view text) {
  auto parsed = cors::parse_any(text);
  if (!parsed) throw std::invalid_argument("fixture CORS document: " + parsed.error().message);
  std::map<std::string, cors::config_ptr, std::less<>> configs{
      {bucket, std::make_shared<const cors::cors_configuration>(std::move(*parsed))}};
  cors_.set_file_configs(std::move(configs), nullptr);
}

void server_fixture::stop() {
  if (server_) server_->stop();
}

}  // namespace s3cors::test
