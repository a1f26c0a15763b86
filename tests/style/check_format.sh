#!/usr/bin/env bash
# Every C++ source tracked by git is formatted with the committed .clang-format.
set -u
cd "${BATCHWATCH_SOURCE_DIR:-$(dirname "$0")/../..}"
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 77; }
bad=0
while IFS= read -r f; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run: clang-format -i $f)"
    bad=1
  fi
done < <(git ls-files '*.cc' '*.h')
exit $bad
