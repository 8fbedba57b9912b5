#pragma once
// A StateStore held in memory: state survives a LocalHub being rebuilt on the
// same store (as a SQLite file would), not the process.

#include <memory>

#include "ports/state_store.hpp"

namespace offhub::emulator {

std::unique_ptr<ports::StateStore> MakeMemoryStateStore();

// A StateStore that keeps nothing (Load is empty, every write succeeds): for
// a hub whose state dies with its process (the emulator without a data dir,
// or --in-memory), where a second copy of every twin would only cost memory.
std::unique_ptr<ports::StateStore> MakeNullStateStore();

}  // namespace offhub::emulator
