#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: unit, integration, alert rules,
# deployment checks, container image and end to end (CTest), then the unit and integration
# suites again under AddressSanitizer + UndefinedBehaviorSanitizer, then each fuzzer briefly on
# its seed corpus; meanwhile, in the background, a real Kubernetes control plane is built (cached
# in ~/.cache) and the tests against it run. Prints each stage's time and ends with one summary
# line: "summary: N passed, N failed". docs/testing.md describes the stages.
#
# Environment: BATCHWATCH_SKIP_SANITIZE=1, BATCHWATCH_SKIP_REALK8S=1 and BATCHWATCH_SKIP_FUZZ=1
# skip those stages (local iteration only; CI runs everything). JOBS sets build parallelism
# (default: nproc).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-$(nproc)}

stage_times=()
stage_started=$SECONDS
# Records how long the stage that just ended took (printed before the summary).
end_stage() {
  local took=$((SECONDS - stage_started))
  stage_times+=("$(printf '%-30s %3dm%02ds' "$1" $((took / 60)) $((took % 60)))")
  stage_started=$SECONDS
}

bash scripts/setup.sh || { echo "setup failed"; echo "summary: 0 passed, 1 failed"; exit 1; }
end_stage "setup (packages)"

passed=0
failed=0
failures=()
excerpts=()
skipped=()

# The real Kubernetes control plane (tests/realk8s) is built from source once and cached outside
# the checkout (scripts/k8s-build.sh; ~6 min on 2 idle cores). It is built in the background
# while the C++ builds and tests run, and its tests (about 4 min, mostly waiting for minute
# boundaries, made to pass on a loaded machine) run in the background too, as soon as both the
# control plane and the optimised build are there: they overlap the other stages instead of
# adding to them. The optimised build's outcome reaches the background through $build_result.
k8s_log="$root/build-k8s.log"
realk8s_log="$root/build/ctest-realk8s.log"
build_result="$root/build-result"
rm -f "$build_result" "$root/build-k8s.times"
if [ "${BATCHWATCH_SKIP_REALK8S:-0}" != 1 ]; then
  echo "=== building the Kubernetes control plane in the background (log: $k8s_log)"
  setsid bash -c '
    started=$SECONDS
    bash scripts/k8s-build.sh >"$1" 2>&1 || exit 3
    built=$SECONDS
    while [ ! -e "$2" ]; do sleep 2; done
    waited=$SECONDS
    [ "$(cat "$2")" = ok ] || exit 4
    ctest --test-dir build --output-on-failure --no-tests=error -L realk8s >"$3" 2>&1
    echo "$((built - started)) $((waited - built)) $((SECONDS - waited))" >"$4"
  ' realk8s "$k8s_log" "$build_result" "$realk8s_log" "$root/build-k8s.times" &
  k8s_pid=$!
  # Its own process group: stopped with everything it started if this script ends first.
  trap 'kill -- -"$k8s_pid" 2>/dev/null' EXIT
fi

# Runs ctest in build dir $1 with extra args; adds its counts to the totals.
run_ctest() {
  local dir=$1 stage=$2
  shift 2
  local log="$dir/ctest-$stage.log"
  ctest --test-dir "$dir" --output-on-failure --no-tests=error "$@" 2>&1 | tee "$log"
  count_ctest "$log" "$stage"
}

# Adds the counts of the ctest output in $1 (stage $2) to the totals.
count_ctest() {
  local log=$1 stage=$2
  local line
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
    failures+=("$stage: ctest produced no result")
    return
  fi
  local nfail ntotal
  nfail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  ntotal=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((passed + ntotal - nfail))
  failed=$((failed + nfail))
  # Skipped tests (exit 77, e.g. no container runtime) pass but are named in the summary.
  while IFS= read -r t; do skipped+=("$stage: $t"); done < <(
    sed -n '/The following tests did not run/,/^$/p' "$log" | grep -E '\(Skipped\)' |
      sed -E 's/^\s+[0-9]+ - //')
  if [ "$nfail" -gt 0 ]; then
    while IFS= read -r t; do
      failures+=("$stage: $t")
      excerpts+=("$(failure_excerpt "$log" "$stage" "$t")")
    done < <(
      sed -n '/The following tests FAILED/,$p' "$log" | grep -E '^\s+[0-9]+ - ' | sed -E 's/^\s+//')
  fi
}

# Prints a short excerpt of why test $3 ("N - name (Failed)") of the ctest log $1 (stage $2)
# failed: its error-looking lines and its last lines. The whole output is in the log; the
# excerpt is printed again just above the summary, where a CI page's tail shows it.
failure_excerpt() {
  local log=$1 stage=$2 name
  name=$(sed -E 's/^[0-9]+ - //; s/ \([^)]*\)$//' <<<"$3")
  echo "--- $stage: $name (whole output: ${log#"$root"/})"
  # The test's block: from its result line to the next test's start or result line.
  awk -v name="$name" '
    $0 ~ /^ *[0-9]+\/[0-9]+ Test +#[0-9]+: / { inblock = (index($0, " " name " ") > 0) && /\*\*\*/; next }
    $0 ~ /^ *Start +[0-9]+: / { inblock = 0; next }
    /^[0-9]+% tests passed/ { inblock = 0 }
    inblock { print }
  ' "$log" >"$log.excerpt"
  { grep -E -i -m 8 'error|assert|fail|traceback|timeout|timed out|expected' "$log.excerpt"
    echo "  [...]"
    tail -n 8 "$log.excerpt"; } | cut -c1-240
  rm -f "$log.excerpt"
}

# ccache keeps compiled objects outside the checkout (~/.cache/batchwatch/ccache, 2 GiB at most),
# so a later run (CI on a new checkout of mostly the same sources) recompiles only what changed.
# CCACHE_BASEDIR makes the paths relative and CCACHE_NOHASHDIR leaves the build directory out of
# the hash (the -g builds would hash it): another checkout's objects are hits too.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/batchwatch/ccache}
  export CCACHE_BASEDIR=$root CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G} CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

build() {
  local dir=$1 stage=$2
  shift 2
  echo "=== build ($stage)"
  if ! { cmake -S "$root" -B "$dir" -G Ninja "${launcher[@]}" "$@" >"$dir.configure.log" 2>&1 || {
           cat "$dir.configure.log"; false; }; } ||
     ! cmake --build "$dir" -j "$jobs"; then
    failed=$((failed + 1))
    failures+=("$stage: build failed")
    return 1
  fi
}

# 1. Everything, optimised build.
if build "$root/build" main -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBATCHWATCH_TESTS=ON \
     -DBATCHWATCH_BENCHMARKS=ON; then
  echo ok >"$build_result"
  end_stage "build (optimised)"
  echo "=== tests"
  run_ctest "$root/build" main -j 2 -LE realk8s
  end_stage "tests (optimised)"
else
  echo failed >"$build_result"
fi

# 2. Unit and integration suites under ASan + UBSan (LeakSanitizer included in ASan).
if [ "${BATCHWATCH_SKIP_SANITIZE:-0}" != 1 ]; then
  if build "$root/build-asan" sanitize -DCMAKE_BUILD_TYPE=Debug -DBATCHWATCH_SANITIZE=ON \
       -DBATCHWATCH_BENCHMARKS=OFF; then
    end_stage "build (sanitizers)"
    echo "=== tests under sanitizers"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_ctest "$root/build-asan" sanitize -L 'unit|integration' -j 2
    end_stage "tests (sanitizers)"
  fi
fi

# 3. Fuzzers, briefly, on their committed seed corpora (clang + libFuzzer), two at a time.
if [ "${BATCHWATCH_SKIP_FUZZ:-0}" != 1 ] && ls fuzz/fuzz_*.cc >/dev/null 2>&1; then
  if build "$root/build-fuzz" fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
       -DBATCHWATCH_FUZZ=ON -DBATCHWATCH_TESTS=OFF -DBATCHWATCH_BENCHMARKS=OFF; then
    end_stage "build (fuzzers)"
    echo "=== fuzzers"
    # Runs fuzzer $1 on a copy of its corpus; its exit status is the fuzzer's.
    fuzz_one() {
      local name=$1 corpus="fuzz/corpus/${1#fuzz_}" work rc=0
      work=$(mktemp -d)
      [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
      "$root/build-fuzz/fuzz/$name" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=0 "$work" >"$root/build-fuzz/$name.log" 2>&1 || rc=$?
      rm -rf "$work"
      return $rc
    }
    names=()
    for src in fuzz/fuzz_*.cc; do names+=("$(basename "$src" .cc)"); done
    for ((i = 0; i < ${#names[@]}; i += 2)); do
      pids=()
      for name in "${names[@]:i:2}"; do
        fuzz_one "$name" &
        pids+=("$!:$name")
      done
      for entry in "${pids[@]}"; do
        name=${entry#*:}
        if wait "${entry%%:*}"; then
          passed=$((passed + 1))
          echo "fuzz $name: ok"
        else
          failed=$((failed + 1))
          failures+=("fuzz: $name (see build-fuzz/$name.log)")
          tail -n 40 "$root/build-fuzz/$name.log"
        fi
      done
    done
    end_stage "fuzzers"
  fi
fi

# 4. The real control plane's tests, started in the background above: wait for them.
if [ -n "${k8s_pid:-}" ]; then
  echo "=== waiting for the real control plane's tests (background)"
  rc=0
  wait "$k8s_pid" || rc=$?
  end_stage "realk8s (rest, waited)"
  if [ "$rc" = 3 ]; then
    tail -n 40 "$k8s_log"
    failed=$((failed + 1))
    failures+=("realk8s: scripts/k8s-build.sh failed (see $k8s_log)")
  elif [ "$rc" != 4 ]; then  # 4: the optimised build failed, already counted
    cat "$realk8s_log"
    count_ctest "$realk8s_log" realk8s
    if read -r built waited tested <"$root/build-k8s.times" 2>/dev/null; then
      stage_times+=("$(printf '%-30s %3dm%02ds' "  k8s build (background)" $((built / 60)) $((built % 60)))")
      stage_times+=("$(printf '%-30s %3dm%02ds' "  realk8s tests (background)" $((tested / 60)) $((tested % 60)))")
    fi
  fi
fi

echo
echo "stage times:"
for t in "${stage_times[@]}"; do echo "  $t"; done
echo "test suite took $((SECONDS / 60))m$((SECONDS % 60))s"
if [ ${#skipped[@]} -gt 0 ]; then
  echo "SKIPPED (counted as passed; each test printed why):"
  for t in "${skipped[@]}"; do echo "  $t"; done
fi
if [ ${#excerpts[@]} -gt 0 ]; then
  echo "WHY (excerpts of the failed tests' output):"
  for e in "${excerpts[@]:0:4}"; do echo "$e"; done
fi
if [ ${#failures[@]} -gt 0 ]; then
  echo "FAILED:"
  for f in "${failures[@]}"; do echo "  $f"; done
fi
echo "summary: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
