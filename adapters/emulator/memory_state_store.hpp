#pragma once
// A StateStore held in memory: state survives a LocalHub being rebuilt on the
// same store (as a SQLite file would), not the process.

#include <memory>

#include "ports/state_store.hpp"

namespace offhub::emulator {

std::unique_ptr<ports::StateStore> MakeMemoryStateStore();

}  // namespace offhub::emulator
