#!/usr/bin/env bash
# The test command: installs what is missing, builds from scratch-or-cache,
# and runs the whole suite twice: optimised (then builds the .deb, installs it
# and runs the door-lock scenario from it), then under ASan+UBSan.
#   scripts/test.sh            both presets
#   scripts/test.sh default    one preset (default | asan)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The official Node SDKs for the compatibility tests, pinned by package-lock.json.
if [[ ! -d tests/compat/node_modules ]] || [[ tests/compat/package-lock.json -nt tests/compat/node_modules ]]; then
  (cd tests/compat && npm ci --no-audit --no-fund --loglevel=error)
fi
# The official Python SDKs, pinned by requirements.txt, in a virtual environment
# of their own (remade when the pins change).
python_compat=tests/compat/python
if [[ ! -f $python_compat/.venv/installed ]] || [[ $python_compat/requirements.txt -nt $python_compat/.venv/installed ]]; then
  python="$(command -v python3.11 || command -v python3)"
  "$python" -m venv --clear "$python_compat/.venv"
  "$python_compat/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$python_compat/requirements.txt"
  touch "$python_compat/.venv/installed"
fi
# The official Java SDKs, pinned by pom.xml, with Maven's plugins, into a Maven
# repository of their own: the test runs offline from it.
java_compat=tests/compat/java
if [[ ! -f $java_compat/.m2/resolved ]] || [[ $java_compat/pom.xml -nt $java_compat/.m2/resolved ]]; then
  resolve_dir="$(mktemp -d)"
  mvn -B -q --no-transfer-progress -f "$java_compat/pom.xml" -Dmaven.repo.local="$PWD/$java_compat/.m2" \
    -Dcompat.build.directory="$resolve_dir" -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false test
  rm -rf "$resolve_dir"
  touch "$java_compat/.m2/resolved"
fi
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/offhub-ccache}"
# Paths relative to the checkout, so every clone shares the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

presets=("$@")
if ((${#presets[@]} == 0)); then presets=(default asan); fi

for preset in "${presets[@]}"; do
  echo "== offhub: configure, build and test ($preset) =="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
  ctest --preset "$preset"
  # The .deb, installed as a user would, runs the tutorial (scripts/deb-test.sh).
  if [[ $preset == default ]]; then scripts/deb-test.sh; fi
done
