#pragma once
// LibTorch's archives (torch.save, torch.jit.save, OutputArchive) are zip files whose reader in
// LibTorch 1.13 skips the entries' CRC-32 checks and trusts what it unpickles: a corrupt byte can
// corrupt the heap instead of raising an error (found by tests/test_loader_mutations.cpp). Every
// archive is checked here first, entry by entry, before LibTorch reads it.
#include <string>

namespace glass {

// Throws std::invalid_argument naming the file unless it is a well-formed zip archive whose
// every entry (stored or deflated) matches its CRC-32.
void check_zip_archive(const std::string& path);

}  // namespace glass
