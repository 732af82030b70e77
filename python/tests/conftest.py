"""Shared fixtures: the glass command built beside the module (GLASS_CLI, set by ctest), one thread
(the same seed and thread count give the same numbers in C++ and in Python)."""
import os
import shutil

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture
def cli():
    path = os.environ.get("GLASS_CLI") or shutil.which("glass")
    if not path:
        pytest.fail("GLASS_CLI is not set: run the tests through ctest, or set it to build/glass")
    return path
