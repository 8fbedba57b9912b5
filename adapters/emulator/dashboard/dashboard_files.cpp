#include "adapters/emulator/dashboard/dashboard_files.hpp"

namespace offhub::emulator::dashboard {

std::optional<StaticFile> Find(std::string_view name) {
  for (const auto& file : Files()) {
    if (file.name != name) continue;
    const auto type = name.ends_with(".html") ? "text/html; charset=utf-8"
                      : name.ends_with(".js") ? "text/javascript; charset=utf-8"
                      : name.ends_with(".css") ? "text/css; charset=utf-8"
                      : name.ends_with(".svg") ? "image/svg+xml"
                                               : "application/octet-stream";
    return StaticFile{type, file.body};
  }
  return std::nullopt;
}

}  // namespace offhub::emulator::dashboard
