#ifndef BERTH_STORAGE_VERIFIER_H_
#define BERTH_STORAGE_VERIFIER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/chunk_id.h"
#include "storage/chunk_store.h"

namespace berth::storage {

struct VerifyOptions {
  // Fast (false): every record's header and XXH3 checksum, and that it matches its index entry.
  // Deep (true): also decrypt, decompress and recompute every chunk id. Default: fast.
  bool deep = false;
  // Index entries read per scan; each scan is a fresh iterator, so verify runs beside writers
  // without pinning old data for long. Default: 512.
  size_t batch_size = 512;
  // Called after each batch with the chunks checked so far. May be empty.
  std::function<void(uint64_t chunks_checked)> progress;
};

struct VerifyProblem {
  ChunkId id;
  std::string message;
};

struct VerifyReport {
  uint64_t chunks = 0;          // records checked
  uint64_t stored_bytes = 0;    // bytes of the records checked
  std::vector<VerifyProblem> problems;
  bool clean() const { return problems.empty(); }
};

// Checks every chunk of the store, online. A problem in a chunk is reported with its id and
// the checking goes on; a non-OK result means the check itself could not run.
Result<VerifyReport> VerifyStore(const ChunkStore& store, const VerifyOptions& options = {});

}  // namespace berth::storage

#endif  // BERTH_STORAGE_VERIFIER_H_
