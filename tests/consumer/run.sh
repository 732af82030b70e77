#!/usr/bin/env bash
# Installs the built glass into a scratch prefix, then configures, builds and runs the consumer
# project against it, as a user of find_package(glass) would. usage: run.sh BUILD_DIR SCRATCH_DIR
set -euo pipefail
build=$1
scratch=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$scratch"
mkdir -p "$scratch"
# The README's library example, as written there.
sed -n '/<!-- library-example -->/,/<!-- end library-example -->/p' "$here/../../README.md" | sed '1,2d;$d' | sed '$d' \
  > "$scratch/readme_example.cpp"
grep -q "int main" "$scratch/readme_example.cpp" || { echo "no library example in README.md"; exit 1; }
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$here" -B "$scratch/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DREADME_EXAMPLE="$scratch/readme_example.cpp" >/dev/null
cmake --build "$scratch/build" -j2 >/dev/null
OMP_NUM_THREADS=1 "$scratch/build/consumer"
OMP_NUM_THREADS=1 "$scratch/build/readme_example"
