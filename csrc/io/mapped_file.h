// SPDX-License-Identifier: Apache-2.0
// Read-only file mapping (RAII). On POSIX the file is mmap'ed and the descriptor closed at once; on
// Windows the bytes are read into memory, which costs RAM but keeps one code path above this class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fsllm::io {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  int64_t size() const { return size_; }
  // Drops the pages of [offset, offset + length) from this process's resident set once they have been read
  // (they stay in the page cache and fault back in if read again): a loader walking a 4 GB file tensor by
  // tensor would otherwise hold every page it has visited until the mapping closes.
  void release(int64_t offset, int64_t length) const;

 private:
  const uint8_t* data_ = nullptr;
  int64_t size_ = 0;
#ifdef _WIN32
  std::vector<uint8_t> bytes_;
#endif
};

}  // namespace fsllm::io
