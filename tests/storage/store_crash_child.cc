// Child process for crash_test.cc: writes one large batch of chunks into a data dir, telling
// the parent on stdout just before the write starts, so the parent can kill it mid-write.
//   store_crash_child DATA_DIR SEED COUNT
// Chunk i of the batch is RandomChunk(SEED, i), which the parent recomputes to check contents.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/data_dir.h"
#include "tests/storage/crash_payload.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR SEED COUNT\n", argv[0]);
    return 2;
  }
  const uint64_t seed = std::strtoull(argv[2], nullptr, 10);
  const int count = std::atoi(argv[3]);
  auto dir = berth::storage::DataDir::Open(argv[1], {});
  if (!dir.ok()) {
    std::fprintf(stderr, "%s\n", dir.status().ToString().c_str());
    return 1;
  }
  std::vector<berth::Bytes> payloads;
  std::vector<berth::storage::ChunkInput> inputs;
  for (int i = 0; i < count; ++i) payloads.push_back(berth::storage::CrashPayload(seed, i));
  for (const auto& p : payloads) inputs.push_back({berth::storage::ChunkKind::kData, p});
  std::printf("writing\n");
  std::fflush(stdout);
  auto written = (*dir)->chunks().PutBatch(inputs, /*sync=*/true);
  if (!written.ok()) {
    std::fprintf(stderr, "%s\n", written.status().ToString().c_str());
    return 1;
  }
  std::printf("done\n");
  std::fflush(stdout);
  return 0;
}
