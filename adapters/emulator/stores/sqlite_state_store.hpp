#pragma once
// A StateStore in a SQLite file: the emulator's state survives restarts
// (`offhub-emulator --data-dir DIR`, file DIR/state.db). Documents are kept in
// IoT Hub's own JSON (devices, twins, jobs, device-job records), one row each.
// WAL journal, synchronous=NORMAL: a crash may lose the last moments, never
// leave a half-written row.

#include <filesystem>
#include <memory>

#include "ports/state_store.hpp"

namespace offhub::emulator {

// Opens or creates the file, owner-only (0600, its -wal and -shm files too:
// it holds every device's keys). Fails (500 ServerError naming the file and
// SQLite's reason) when it cannot be opened or is not an offhub state file.
domain::Result<std::unique_ptr<ports::StateStore>> MakeSqliteStateStore(const std::filesystem::path& file);

}  // namespace offhub::emulator
