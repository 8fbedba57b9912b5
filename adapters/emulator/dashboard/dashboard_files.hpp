#pragma once
// The dashboard's static files (index.html, dashboard.js, dashboard.css, favicon.svg in
// this folder), compiled into the emulator by embed.cmake. The router serves
// them at / and /dashboard/<name> (rest/router.hpp says who gets a token).

#include <optional>
#include <span>
#include <string_view>

namespace offhub::emulator::dashboard {

struct EmbeddedFile {
  std::string_view name;  // "index.html"
  std::string_view body;
};

// Every file, in the order embed.cmake was given them (generated source).
std::span<const EmbeddedFile> Files();

struct StaticFile {
  std::string_view content_type;  // by the name's extension
  std::string_view body;
};
// The file of that name, if the dashboard has one.
std::optional<StaticFile> Find(std::string_view name);

// index.html's placeholder for the SAS token a loopback page is given.
inline constexpr std::string_view kTokenPlaceholder = "{{SAS}}";

}  // namespace offhub::emulator::dashboard
