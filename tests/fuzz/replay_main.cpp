// The `main` of a fuzz harness outside the fuzz preset: replays inputs
// through LLVMFuzzerTestOneInput, so the corpora and every crash found run
// as ordinary CTest tests with gcc (presets default and asan).
//
// Usage: fuzz_<target> PATH...   (each PATH a file, or a directory read
// recursively; files in name order). A missing PATH is skipped with a note
// (a target may have no crashes yet); no input at all is an error (exit 2).
// A failing input ends the process as it would under libFuzzer; its name is
// printed before it runs.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> InputsUnder(const fs::path& root) {
  std::vector<fs::path> out;
  if (fs::is_regular_file(root)) return {root};
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Replay(const fs::path& file) {
  std::fprintf(stderr, "replay %s\n", file.c_str());
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes, so ASan sees reads past the end as libFuzzer would.
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(copy.data(), copy.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path root(argv[i]);
    if (!fs::exists(root)) {
      std::fprintf(stderr, "no inputs at %s (skipped)\n", root.c_str());
      continue;
    }
    const auto inputs = InputsUnder(root);
    for (const auto& file : inputs) Replay(file);
    std::printf("%zu inputs from %s\n", inputs.size(), root.c_str());
    replayed += inputs.size();
  }
  if (replayed == 0) {
    std::fprintf(stderr, "usage: %s PATH... (no input found)\n", argc > 0 ? argv[0] : "fuzz_target");
    return 2;
  }
  std::printf("replayed %zu inputs, none failed\n", replayed);
  return 0;
}
