#!/usr/bin/env bash
# The CUDA build, compiled and linked where there is no GPU: a venv with the CUDA 13 build of torch
# (2.14.1 and its nvidia-* wheels, several GB), nvcc for CMake's CUDA checks, and the library,
# the command, the tests, the benchmarks and the Python module built against that LibTorch.
# TORCH_CUDA_ARCH_LIST (default 8.0;9.0: A100, H100/H200) stands in for the GPU detection. Nothing
# runs (no GPU here); a machine with one runs scripts/test.sh with GLASS_PYTHON set to
# this venv's python.
#   GLASS_CUDA_VENV       the venv (default: .venv-cuda)
#   GLASS_CUDA_BUILD_DIR  the build (default: build-cuda)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${GLASS_CUDA_VENV:-.venv-cuda}
build=${GLASS_CUDA_BUILD_DIR:-build-cuda}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import torch, numpy' 2>/dev/null || "$venv/bin/pip" install -q torch==2.14.1 numpy
# The toolkit: CUDA_HOME, else /usr/local/cuda, else the folder above the nvcc on PATH.
cuda_root=${CUDA_HOME:-}
[ -n "$cuda_root" ] || { [ -x /usr/local/cuda/bin/nvcc ] && cuda_root=/usr/local/cuda; } || true
[ -n "$cuda_root" ] || { n=$(command -v nvcc) && cuda_root=$(dirname "$(dirname "$(readlink -f "$n")")"); } || true
nvcc=$cuda_root/bin/nvcc
[ -x "$nvcc" ] || { echo "check_cuda_build: no nvcc (CUDA 13's compiler): set CUDA_HOME" >&2; exit 1; }
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The CUDA libraries LibTorch links (cuBLAS, NVRTC, ...) come with torch's nvidia-* wheels, not
# with the machine's CUDA, which may hold little more than nvcc and the runtime.
cuda_libs=$(find "$site/nvidia" -maxdepth 3 -type d -name lib | paste -sd ';')
cuda_incs=$(find "$site/nvidia" -maxdepth 3 -type d -name include | paste -sd ';')
# The wheels ship versioned names only (libnvrtc.so.13), which find_library does not try.
nvrtc=$(find "$site/nvidia" -name 'libnvrtc.so.*' | head -1)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGLASS_PYTHON="$(cd "$venv" && pwd)/bin/python" \
  -DCMAKE_CUDA_COMPILER="$nvcc" -DCUDAToolkit_ROOT="$cuda_root" -DCUDA_TOOLKIT_ROOT_DIR="$cuda_root" \
  -DCMAKE_LIBRARY_PATH="$cuda_libs" -DCMAKE_INCLUDE_PATH="$cuda_incs" -DCUDA_nvrtc_LIBRARY="$nvrtc" -DCUDA_NVRTC_LIB="$nvrtc" \
  -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-8.0;9.0}" -DGLASS_BUILD_TESTS=ON -DGLASS_BUILD_CLI=ON -DGLASS_BUILD_BENCH=ON -DGLASS_BUILD_PYTHON=ON
[ "${GLASS_CUDA_CONFIGURE_ONLY:-0}" = 1 ] && exit 0
cmake --build "$build" -j"$(nproc)"
echo "check_cuda_build: the library, command, tests, benchmarks and Python module compiled and linked against" \
     "$("$venv/bin/python" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)')"
