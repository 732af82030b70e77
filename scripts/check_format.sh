#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted as .clang-format says, with the clang-format the
# project venv pins (requirements-dev.txt: one version on Debian 12 and 13 alike; Debian's own
# differ between releases). Fix with: scripts/check_format.sh --fix
#   GLASS_CLANG_FORMAT  the clang-format to use (default: the one next to GLASS_PYTHON, else .venv's)
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${GLASS_CLANG_FORMAT:-}
if [ -z "$tool" ]; then
  for dir in "$(dirname "${GLASS_PYTHON:-.venv/bin/python}")" .venv/bin; do
    [ -x "$dir/clang-format" ] && tool="$dir/clang-format" && break
  done
fi
# 77: ctest reports the test as skipped (a GLASS_PYTHON of the user's own may lack the tool).
[ -n "$tool" ] || { echo "check_format: no clang-format (pip install clang-format==19.1.7)" >&2; exit 77; }
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--fix" ]; then
  "$tool" -i "${files[@]}"
  exit 0
fi
"$tool" --dry-run --Werror "${files[@]}"
echo "check_format: ${#files[@]} files formatted ($("$tool" --version))"
