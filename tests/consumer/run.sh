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
# The installed headers are self-contained: every project include names an installed header, and
# the library's internal helpers are not installed.
include_dir="$scratch/prefix/include"
for internal in io/zip_check.h util/particle_scalars.h; do
  [ ! -e "$include_dir/glass/$internal" ] || { echo "internal header glass/$internal was installed"; exit 1; }
done
missing=0
while IFS= read -r header; do
  for inc in $(sed -n 's/^#include "\(glass\/[^"]*\)".*/\1/p' "$header"); do
    [ -e "$include_dir/$inc" ] || { echo "${header#$include_dir/} includes $inc, which is not installed"; missing=1; }
  done
done < <(find "$include_dir/glass" -name '*.h')
[ "$missing" -eq 0 ] || exit 1
cmake -S "$here" -B "$scratch/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DREADME_EXAMPLE="$scratch/readme_example.cpp" >/dev/null
cmake --build "$scratch/build" -j2 >/dev/null
OMP_NUM_THREADS=1 "$scratch/build/consumer"
OMP_NUM_THREADS=1 "$scratch/build/readme_example"
