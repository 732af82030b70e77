#!/usr/bin/env bash
# Installs what glass.cpp needs on Debian 12 and builds it. Idempotent; run as root (or with sudo).
#   GLASS_BUILD_DIR  build directory (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
PACKAGES=(build-essential cmake libtorch-dev libcli11-dev nlohmann-json3-dev libpng-dev
          libgtest-dev libbenchmark-dev libopenblas0-openmp libtcmalloc-minimal4 zlib1g-dev
          dataset-fashion-mnist python3-torch python3-numpy python3-matplotlib
          python3-dev pybind11-dev python3-pytest libgloo-dev openmpi-bin)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# LibTorch calls whatever libblas.so.3 is selected. OpenBLAS built for OpenMP shares LibTorch's
# OpenMP thread pool, so --threads governs both and the two never oversubscribe the cores; it
# ran at 157 GFLOP/s against 3 GFLOP/s for the reference BLAS (docs/benchmarks.md).
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  target=/usr/lib/$arch/openblas-openmp/$lib
  [ -e "$target" ] && $SUDO update-alternatives --set "$lib-$arch" "$target" >/dev/null
done

build=${GLASS_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j"$(nproc)"

# `import glass` from Debian's /usr/bin/python3: a .pth file in its site folder names the built
# package (build/python/glass: the module and its Python files).
site=$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')
$SUDO mkdir -p "$site"
echo "$(cd "$build" && pwd)/python" | $SUDO tee "$site/glass-cpp.pth" >/dev/null
