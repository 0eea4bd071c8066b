// SPDX-License-Identifier: Apache-2.0
// MappedFile; see mapped_file.h.
#include "io/mapped_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#ifdef _WIN32
#include <fstream>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "core/error.h"

namespace fsllm::io {

#ifdef _WIN32
MappedFile::MappedFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  FSLLM_CHECK(in, ErrorCode::kCheckpoint, "cannot open " + path);
  size_ = static_cast<int64_t>(in.tellg());
  bytes_.resize(static_cast<size_t>(size_));
  in.seekg(0);
  FSLLM_CHECK(in.read(reinterpret_cast<char*>(bytes_.data()), size_), ErrorCode::kCheckpoint,
              "cannot read " + path);
  data_ = bytes_.data();
}
MappedFile::~MappedFile() = default;
void MappedFile::release(int64_t /*offset*/, int64_t /*length*/) const {}
#else
MappedFile::MappedFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  FSLLM_CHECK(fd >= 0, ErrorCode::kCheckpoint, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(ErrorCode::kCheckpoint, "cannot stat " + path + ": " + std::strerror(err));
  }
  size_ = static_cast<int64_t>(st.st_size);
  if (size_ > 0) {  // mmap of length 0 fails; an empty file simply has no bytes to hand out
    void* p = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);  // the mapping keeps the file referenced
    FSLLM_CHECK(p != MAP_FAILED, ErrorCode::kCheckpoint, "cannot map " + path + ": " + std::strerror(err));
    data_ = static_cast<const uint8_t*>(p);
  } else {
    ::close(fd);
  }
}
MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), static_cast<size_t>(size_));
}
void MappedFile::release(int64_t offset, int64_t length) const {
  if (data_ == nullptr || length <= 0) return;
  // Whole pages around the range: a page shared with a neighbouring tensor is simply read from the file again.
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(data_ + offset) & ~(page - 1);
  const auto end = reinterpret_cast<uintptr_t>(data_ + std::min(offset + length, size_));
  // Advice only: if the kernel declines, the pages are released at munmap as before.
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}
#endif

}  // namespace fsllm::io
