#!/usr/bin/env bash
# scripts/fuzz.sh [--update-corpus] [TARGET|all] [SECONDS]
#
# Fuzzes offhub's parsers of untrusted bytes with libFuzzer (the harnesses are
# tests/fuzz/<target>_fuzz.cpp; targets: rest_router query twin_patch
# job_request device_messages sas_and_connection_strings).
#
# - Installs clang, llvm (the symbolizer) and clang's runtime libraries with
#   apt-get when they are missing (Debian; needs root). Nothing else needs clang.
# - Configures and builds the `fuzz` preset (build-fuzz/) under the shared
#   build lock /tmp/offhub-build.lock.
# - Runs each TARGET (default: all) for SECONDS (default 600) in fork mode,
#   going on past crashes, timeouts and OOMs. The working corpus is
#   build-fuzz/fuzz/<target>/corpus, started from tests/fuzz/corpus/<target>/.
# - Every distinct new finding is copied to tests/fuzz/crashes/<target>/ as
#   <kind>--<where>--<sha1:8> (kind: sanitizer report, uncaught exception or
#   failed check; where: the first offhub frame). A finding whose
#   <kind>--<where> is already there is counted but not copied again.
#   Replay one: build-fuzz/bin/fuzz_<target> FILE (or ctest -R fuzz_replay_).
# - --update-corpus: afterwards, merges (-merge=1) the inputs that reach new
#   edges into tests/fuzz/corpus/<target>/ (keep it under ~200 files / 1 MB).
# Prints, per target: seconds, executions, crashes (all findings), and the
# new distinct ones saved.
#
# Environment: FUZZ_JOBS (parallel fuzzing jobs, default 1: CPUs are shared),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-max_len=65536"); FUZZ_ASCII_ONLY=1
# makes the harnesses skip non-ASCII input (tests/fuzz/README.md).
# Exit status: 0 no finding; 1 some target had findings; 2 usage error;
# 3 toolchain install, configure or build failed.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=(rest_router query twin_patch job_request device_messages sas_and_connection_strings)
UPDATE_CORPUS=0
POSITIONAL=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage; exit 0 ;;
    --update-corpus) UPDATE_CORPUS=1 ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *) POSITIONAL+=("$arg") ;;
  esac
done
[[ ${#POSITIONAL[@]} -le 2 ]] || { usage >&2; exit 2; }
WHICH=${POSITIONAL[0]:-all}
SECONDS_EACH=${POSITIONAL[1]:-600}
[[ $SECONDS_EACH =~ ^[0-9]+$ && $SECONDS_EACH -gt 0 ]] || { echo "fuzz.sh: SECONDS must be a positive integer" >&2; exit 2; }
if [[ $WHICH == all ]]; then
  SELECTED=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $WHICH "* ]]; then
  SELECTED=("$WHICH")
else
  echo "fuzz.sh: unknown target '$WHICH' (one of: ${TARGETS[*]} all)" >&2
  exit 2
fi
JOBS=${FUZZ_JOBS:-1}
BUILD=$ROOT/build-fuzz

# --- toolchain ---------------------------------------------------------------
fuzzer_links() {
  local dir
  dir=$(mktemp -d)
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$dir/t.cpp"
  clang++ -fsanitize=fuzzer,address,undefined "$dir/t.cpp" -o "$dir/t" >/dev/null 2>&1
  local rc=$?
  rm -rf "$dir"
  return $rc
}

apt_install() {
  echo "fuzz.sh: installing $*" >&2
  if [[ $(id -u) -ne 0 ]]; then echo "fuzz.sh: need root to install $*" >&2; exit 3; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2; } ||
    { echo "fuzz.sh: apt-get install $* failed" >&2; exit 3; }
}

ensure_toolchain() {
  command -v clang++ >/dev/null || apt_install clang
  command -v llvm-symbolizer >/dev/null || apt_install llvm
  if ! fuzzer_links; then
    # libFuzzer and the sanitizer runtimes of Debian's clang N: libclang-rt-N-dev.
    apt_install "libclang-rt-$(clang++ -dumpversion | cut -d. -f1)-dev"
    fuzzer_links || { echo "fuzz.sh: clang++ -fsanitize=fuzzer still does not link" >&2; exit 3; }
  fi
}

build() {
  export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/offhub-ccache} CCACHE_BASEDIR=$ROOT CCACHE_NOHASHDIR=1
  local targets=()
  for t in "${SELECTED[@]}"; do targets+=("fuzz_$t"); done
  cd "$ROOT"
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    flock /tmp/offhub-build.lock cmake --preset fuzz >&2 || exit 3
  fi
  flock /tmp/offhub-build.lock cmake --build --preset fuzz -j2 --target "${targets[@]}" >&2 || exit 3
}

# --- findings ------------------------------------------------------------------
# "<kind>--<where>" of a finding, from the log of replaying it. <where>: the
# first two frames in offhub's code (adapters, domain, ports, apps), else the
# first harness frame, else the first frame outside the runtimes (a stack
# overflow's trace shows only the top of the recursion).
signature() {
  local log=$1 kind="" where="" pattern
  for pattern in 'FUZZ CHECK FAILED' 'json\.exception\.[a-z_]+\.[0-9]+' "throwing an instance of '[^']+'" \
                 'AddressSanitizer: [a-z-]+' 'LeakSanitizer' 'runtime error' 'libFuzzer: [a-z-]+'; do
    kind=$(grep -m1 -oE "$pattern" "$log" || true)
    [[ -n $kind ]] && break
  done
  kind=${kind#json.exception.}
  kind=${kind#throwing an instance of }
  kind=${kind#AddressSanitizer: }
  kind=${kind#libFuzzer: }
  if [[ $kind == 'FUZZ CHECK FAILED' ]]; then
    kind=check
    where=$(grep -m1 -oE '\([a-z_]+\.cpp:[0-9]+\)' "$log" | tr -d '()' | tr ':' '-' || true)
  elif [[ $kind == 'runtime error' ]]; then
    kind=ubsan
    where=$(grep -m1 -oE '[a-z_]+\.(cpp|hpp):[0-9]+' "$log" | tr ':' '-' || true)
  else
    where=$(grep -E '^ *#[0-9]+ 0x[0-9a-f]+ in ' "$log" | awk '
      function short(line,   f, n, parts, words) {
        sub(/^ *#[0-9]+ 0x[0-9a-f]+ in /, "", line)
        sub(/ [^ ]*( \(BuildId: [0-9a-f]+\))?$/, "", line)  # the location
        f = line
        while (gsub(/<[^<>]*>/, "", f) > 0) {}
        gsub(/\(anonymous namespace\)::|\[abi:[a-z0-9]+\]/, "", f)
        sub(/\(.*/, "", f)
        if (f ~ /(^| )(std::|__|fuzzer::|operator|decltype|raise$|abort$|main$|_start$)/ || f == "") return ""
        n = split(f, words, " "); f = words[n]; sub(/^offhub::/, "", f)
        n = split(f, parts, "::")
        return n > 1 ? parts[n-1] "-" parts[n] : parts[n]
      }
      { name = short($0); if (name == "") next }
      /\/(adapters|domain|ports|apps)\// { if (own < 2) ownf[++own] = name; next }
      /\/tests\/fuzz\// { if (!harness) harness = name; next }
      { if (!other) other = name }
      END {
        if (own == 2) print ownf[1] "-from-" ownf[2]
        else if (own == 1) print ownf[1]
        else if (harness) print harness
        else print other
      }' || true)
  fi
  kind=$(echo "${kind:-unknown}" | tr -c 'A-Za-z0-9_.\n-' '_')
  where=$(echo "${where:-unknown}" | tr -c 'A-Za-z0-9_.\n-' '_')
  echo "${kind}--${where}"
}

# Copies each distinct new finding of target $1 into tests/fuzz/crashes/$1/; prints how many.
save_findings() {
  local t=$1 bin=$2 artifacts=$3 saved=0 file sig log
  local dest=$ROOT/tests/fuzz/crashes/$t
  mkdir -p "$dest"
  log=$(mktemp)
  for file in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*; do
    [[ -f $file ]] || continue
    "$bin" -timeout=10 -rss_limit_mb=2048 "$file" >"$log" 2>&1 || true
    sig=$(signature "$log")
    if compgen -G "$dest/${sig}--*" >/dev/null; then continue; fi
    cp "$file" "$dest/${sig}--$(sha1sum "$file" | cut -c1-8)"
    echo "  new: tests/fuzz/crashes/$t/${sig}--$(sha1sum "$file" | cut -c1-8)" >&2
    saved=$((saved + 1))
  done
  rm -f "$log"
  echo "$saved"
}

update_corpus() {
  local t=$1 bin=$2 work=$3 dest=$ROOT/tests/fuzz/corpus/$t
  "$bin" -merge=1 -use_counters=0 -timeout=10 "$dest" "$work" >"$BUILD/fuzz/$t/merge.log" 2>&1 || true
  local files bytes
  files=$(find "$dest" -type f | wc -l)
  bytes=$(du -sb "$dest" | cut -f1)
  echo "  corpus: $files files, $bytes bytes in tests/fuzz/corpus/$t" >&2
  if [[ $files -gt 200 || $bytes -gt 1048576 ]]; then
    echo "  corpus: over ~200 files / 1 MB: prune tests/fuzz/corpus/$t" >&2
  fi
}

# --- run ---------------------------------------------------------------------
ensure_toolchain
build
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
summary=$(printf '%-28s %8s %12s %8s %10s' target seconds executions crashes new_saved)
for t in "${SELECTED[@]}"; do
  bin=$BUILD/bin/fuzz_$t
  work=$BUILD/fuzz/$t
  mkdir -p "$work/corpus" "$ROOT/tests/fuzz/corpus/$t"
  rm -rf "$work/artifacts" && mkdir -p "$work/artifacts"
  echo "fuzz.sh: $t for ${SECONDS_EACH}s (log: $work/run.log)" >&2
  started=$(date +%s)
  # shellcheck disable=SC2086
  "$bin" -fork="$JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$SECONDS_EACH" \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" -print_final_stats=1 ${FUZZ_ARGS:-} \
    "$work/corpus" "$ROOT/tests/fuzz/corpus/$t" >"$work/run.log" 2>&1 || true
  elapsed=$(($(date +%s) - started))
  # Fork mode's progress lines: "#<execs>: cov: .. oom/timeout/crash: a/b/c time: ..".
  last=$(grep -E '^#[0-9]+' "$work/run.log" | tail -n1 || true)
  execs=$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#' || true)
  counts=$(echo "$last" | grep -oE 'oom/timeout/crash: [0-9]+/[0-9]+/[0-9]+' | grep -oE '[0-9]+/[0-9]+/[0-9]+' || true)
  findings=0
  if [[ -n $counts ]]; then IFS=/ read -r ooms timeouts crashes <<<"$counts"; findings=$((ooms + timeouts + crashes)); fi
  artifacts=$(find "$work/artifacts" -type f | wc -l)
  [[ $artifacts -gt $findings ]] && findings=$artifacts
  saved=$(save_findings "$t" "$bin" "$work/artifacts")
  [[ $UPDATE_CORPUS -eq 1 ]] && update_corpus "$t" "$bin" "$work/corpus"
  [[ $findings -gt 0 ]] && status=1
  summary+=$'\n'$(printf '%-28s %8s %12s %8s %10s' "$t" "$elapsed" "${execs:-?}" "$findings" "$saved")
done
echo "$summary"
exit $status
