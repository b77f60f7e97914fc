// frontdoord — the front door of a city's 311 service.
//
//   frontdoord [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
//   frontdoord --check-config FILE
//   frontdoord --config-reference
//   frontdoord --version
#include <cstring>
#include <iostream>
#include <string>

#include "daemon/app.hpp"
#include "daemon/config/config.hpp"

namespace {

constexpr const char* kUsage =
    "usage: frontdoord [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
    "       frontdoord --check-config FILE\n"
    "       frontdoord --config-reference\n"
    "       frontdoord --version\n";

bool valid_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) return false;
  auto port = listen.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  return std::stoi(port) <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, listen, data_dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "frontdoord: " << name << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--version") {
      std::cout << "frontdoord " << FRONTDOOR_VERSION << "\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--config-reference") {
      std::cout << frontdoor::config_reference_markdown();
      return 0;
    } else if (arg == "--check-config") {
      std::string path = value("--check-config");
      try {
        frontdoor::load_config(path);
      } catch (const frontdoor::ConfigError& e) {
        std::cerr << e.what() << "\n";
        return 1;
      }
      std::cout << path << ": configuration is valid\n";
      return 0;
    } else if (arg == "--config") {
      config_path = value("--config");
    } else if (arg == "--listen") {
      listen = value("--listen");
      if (!valid_listen(listen)) {
        std::cerr << "frontdoord: --listen wants HOST:PORT, got '" << listen << "'\n";
        return 2;
      }
    } else if (arg == "--data-dir") {
      data_dir = value("--data-dir");
    } else {
      std::cerr << "frontdoord: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  frontdoor::Config config;
  try {
    config = frontdoor::load_config(config_path);
  } catch (const frontdoor::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  if (!listen.empty()) config.server.listen = listen;
  if (!data_dir.empty()) config.data_dir = data_dir;
  try {
    return frontdoor::run_daemon(config);
  } catch (const std::exception& e) {
    std::cerr << "frontdoord: " << e.what() << "\n";
    return 1;
  }
}
