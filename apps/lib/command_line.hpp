#pragma once
// What every offhub program does with its command line and its errors, so
// they all behave alike: --help exits 0, bad usage 2, and a failure is one
// line "program: Name (number): message" on stderr.

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string_view>

#include "domain/errors.hpp"

namespace offhub::apps {

// nullopt: go on. Otherwise the exit code, after CLI11 printed the help or
// what is wrong with the arguments.
inline std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return std::nullopt;
}

inline void PrintError(std::string_view program, const domain::Error& error) {
  std::cerr << program << ": " << error.name() << " (" << error.number() << "): " << error.message() << "\n";
}

}  // namespace offhub::apps
