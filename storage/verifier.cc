#include "storage/verifier.h"

#include <optional>

namespace berth::storage {

namespace {

// Checks one chunk: its record against its index entry, and in deep mode its content.
void CheckOne(const ChunkStore& store, const ChunkInfo& info, bool deep, VerifyReport* report) {
  auto problem = [&](std::string message) {
    report->problems.push_back({info.id, std::move(message)});
  };
  auto record = store.GetRecord(info.id);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      // Swept since the index was scanned? Then it is gone from the index too.
      auto still = store.Has(info.id);
      if (still.ok() && !*still) return;
      return problem("index entry has no record");
    }
    return problem(record.status().message());
  }
  ++report->chunks;
  report->stored_bytes += record->size();
  auto header = CheckRecord(*record);
  if (!header.ok()) return problem(header.status().message());
  if (info.kind != header->kind || info.plaintext_size != header->plaintext_size ||
      info.stored_size != record->size()) {
    return problem("index entry disagrees with the record");
  }
  if (!deep) return;
  RecordHeader decoded_header;
  Bytes plaintext;
  Status decoded = store.codec().Decode(info.id, *record, &decoded_header, &plaintext);
  if (!decoded.ok()) return problem(decoded.message());
  if (!(store.hasher().Hash(plaintext) == info.id)) problem("content does not hash to its id");
}

}  // namespace

Result<VerifyReport> VerifyStore(const ChunkStore& store, const VerifyOptions& options) {
  const size_t batch_size = std::max<size_t>(options.batch_size, 1);
  VerifyReport report;
  std::optional<ChunkId> after;
  std::vector<ChunkInfo> batch;
  do {
    RETURN_IF_ERROR(store.ScanIndex(after, batch_size, &batch));
    for (const ChunkInfo& info : batch) CheckOne(store, info, options.deep, &report);
    if (!batch.empty()) after = batch.back().id;
    if (options.progress) options.progress(report.chunks);
  } while (batch.size() == batch_size);
  return report;
}

}  // namespace berth::storage
