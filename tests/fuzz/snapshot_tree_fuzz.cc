// Fuzz target for snapshot/'s decoders (tree objects, list objects, snapshot records): any bytes
// give an object or a clean error, and whatever decodes encodes back to the very same bytes,
// since each format has one spelling per object. The first input byte picks the decoder.
#include <cstddef>
#include <cstdint>

#include "snapshot/chunk_list.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/tree_object.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  berth::ByteView input(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto tree = berth::snapshot::DecodeTree(input);
      if (tree.ok()) {
        auto again = tree->pages.empty() ? berth::snapshot::EncodeTree(*tree)
                                         : berth::snapshot::EncodePagedTop(*tree);
        if (!again.ok() || *again != berth::Bytes(input.begin(), input.end())) __builtin_trap();
        auto totals = berth::snapshot::PeekTreeTotals(input);
        if (!totals.ok() || *totals != tree->totals()) __builtin_trap();
        auto head = berth::snapshot::PeekTreeHead(input);
        if (!head.ok() || head->totals != tree->totals() || head->self != tree->self) {
          __builtin_trap();
        }
      }
      break;
    }
    case 1: {
      auto list = berth::snapshot::DecodeListObject(input);
      if (list.ok()) {
        auto again = berth::snapshot::EncodeListObject(*list);
        if (!again.ok() || *again != berth::Bytes(input.begin(), input.end())) __builtin_trap();
      }
      break;
    }
    default: {
      auto record = berth::snapshot::DecodeSnapshotRecord(input);
      if (record.ok()) {
        auto again = berth::snapshot::EncodeSnapshotRecord(*record);
        if (!again.ok() || *again != berth::Bytes(input.begin(), input.end())) __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
