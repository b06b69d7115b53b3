#ifndef BERTH_STORAGE_INTERNAL_ROCKS_CRC32C_H_
#define BERTH_STORAGE_INTERNAL_ROCKS_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace berth::storage::internal {

// RocksDB's CRC32c (Castagnoli, with its pre- and post-inversion) extended over `size` bytes,
// two ways. REQUIRES for the first: a CPU with SSE4.2.
uint32_t HardwareCrc32cExtend(uint32_t crc, const char* data, size_t size);
uint32_t BitwiseCrc32cExtend(uint32_t crc, const char* data, size_t size);

// Which code computes RocksDB's CRC32c in this process: "hardware" (ours, rocks_crc32c.cc),
// "library" (librocksdb's own table loop: the CPU lacks SSE4.2, or ours disagreed with it) or
// "bitwise". Database::Open logs it, which also keeps rocks_crc32c.o in every binary that opens
// a database: the override works only if the object is linked.
const char* RocksCrc32cImplementation();

}  // namespace berth::storage::internal

#endif  // BERTH_STORAGE_INTERNAL_ROCKS_CRC32C_H_
