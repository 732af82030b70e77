# LibTorch comes from the torch of one Python environment (GLASS_PYTHON), so that the library, the
# command and `import glass` run on the same runtime as the user's own PyTorch code.
#   GLASS_PYTHON   the interpreter (default: the Python that scikit-build-core runs, else python3)
# Sets GLASS_PYTHON, GLASS_TORCH_VERSION, GLASS_TORCH_LIB_DIR and GLASS_TORCH_CMAKE_PREFIX, and
# finds Torch.
set(GLASS_MIN_TORCH 2.6)  # AOTInductor's package loader (torch.export .pt2 files) arrived in 2.6

set(GLASS_PYTHON "" CACHE FILEPATH "Python whose torch (>= ${GLASS_MIN_TORCH}) glass builds against")
if(NOT GLASS_PYTHON)
  if(DEFINED SKBUILD AND Python_EXECUTABLE)
    set(GLASS_PYTHON ${Python_EXECUTABLE})
  else()
    find_program(GLASS_PYTHON_FOUND NAMES python3 python REQUIRED)
    set(GLASS_PYTHON ${GLASS_PYTHON_FOUND})
  endif()
  set(GLASS_PYTHON ${GLASS_PYTHON} CACHE FILEPATH "" FORCE)
endif()

# -I: an isolated interpreter, so that pip's build isolation (which hides the environment's
# site-packages through PYTHONPATH) still shows the torch of the environment being installed into.
execute_process(
  COMMAND ${GLASS_PYTHON} -I -c
    "import os, torch, torch.utils; print(torch.__version__.split('+')[0]); print(torch.utils.cmake_prefix_path); print(os.path.join(os.path.dirname(torch.__file__), 'lib'))"
  OUTPUT_VARIABLE glass_torch_lines OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE glass_torch_rc ERROR_QUIET)
if(NOT glass_torch_rc EQUAL 0)
  message(FATAL_ERROR "glass: ${GLASS_PYTHON} cannot import torch; install torch >= ${GLASS_MIN_TORCH} there "
                      "(pip install torch) or point -DGLASS_PYTHON at a Python that has it")
endif()
string(REPLACE "\n" ";" glass_torch_lines "${glass_torch_lines}")
list(GET glass_torch_lines 0 GLASS_TORCH_VERSION)
list(GET glass_torch_lines 1 GLASS_TORCH_CMAKE_PREFIX)
list(GET glass_torch_lines 2 GLASS_TORCH_LIB_DIR)
if(GLASS_TORCH_VERSION VERSION_LESS GLASS_MIN_TORCH)
  message(FATAL_ERROR "glass: torch ${GLASS_TORCH_VERSION} at ${GLASS_PYTHON} is too old; glass needs torch >= ${GLASS_MIN_TORCH}")
endif()
list(PREPEND CMAKE_PREFIX_PATH ${GLASS_TORCH_CMAKE_PREFIX})
find_package(Torch ${GLASS_MIN_TORCH} REQUIRED)
# glass is C++17; LibTorch's headers from 2.14 on need C++20, so against them it compiles as C++20
# (set after find_package: Torch's CUDA checks compile test projects with the standard in force).
if(GLASS_TORCH_VERSION VERSION_GREATER_EQUAL 2.14)
  set(CMAKE_CXX_STANDARD 20)
endif()
message(STATUS "glass: LibTorch ${GLASS_TORCH_VERSION} from ${GLASS_PYTHON}")
