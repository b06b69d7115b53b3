#include "snapshot/object_io.h"

#include <string>

namespace berth::snapshot {

namespace {

Status LoadObject(const storage::ChunkStore& chunks, const storage::ChunkId& id,
                  storage::ChunkKind want, Bytes* bytes) {
  storage::ChunkKind kind;
  RETURN_IF_ERROR(chunks.Get(id, bytes, &kind));
  if (kind != want) {
    return DataLossError("object " + id.ToHex() + " is a " + storage::ChunkKindName(kind) +
                         " chunk, not a " + storage::ChunkKindName(want));
  }
  return Status::Ok();
}

}  // namespace

Result<TreeObject> LoadTree(const storage::ChunkStore& chunks, const storage::ChunkId& id) {
  Bytes bytes;
  RETURN_IF_ERROR(LoadObject(chunks, id, storage::ChunkKind::kTree, &bytes));
  auto tree = DecodeTree(bytes);
  if (!tree.ok()) return tree.status().WithContext("tree " + id.ToHex());
  // A paged directory: its entries come from its pages, checked to continue one another.
  for (const TreePage& ref : tree->pages) {
    RETURN_IF_ERROR(LoadObject(chunks, ref.id, storage::ChunkKind::kTree, &bytes));
    auto page = DecodeTree(bytes);
    Status checked = page.ok() ? CheckTreePage(*page, ref, tree->entries) : page.status();
    if (!checked.ok()) return checked.WithContext("tree " + id.ToHex());
    for (TreeEntry& e : page->entries) tree->entries.push_back(std::move(e));
  }
  if (!tree->pages.empty() && tree->entries.size() <= kMaxEntriesPerObject) {
    return DataLossError("tree " + id.ToHex() + ": a paged directory of only " +
                         std::to_string(tree->entries.size()) + " entries (not canonical)");
  }
  return tree;
}

Result<Totals> LoadTreeTotals(const storage::ChunkStore& chunks, const storage::ChunkId& id) {
  Bytes bytes;
  RETURN_IF_ERROR(LoadObject(chunks, id, storage::ChunkKind::kTree, &bytes));
  auto totals = PeekTreeTotals(bytes);
  if (!totals.ok()) return totals.status().WithContext("tree " + id.ToHex());
  return totals;
}

Result<ListObject> LoadList(const storage::ChunkStore& chunks, const storage::ChunkId& id) {
  Bytes bytes;
  RETURN_IF_ERROR(LoadObject(chunks, id, storage::ChunkKind::kList, &bytes));
  auto list = DecodeListObject(bytes);
  if (!list.ok()) return list.status().WithContext("list " + id.ToHex());
  return list;
}

Status ObjectWriter::Add(const EncodedObject& object) {
  if (!in_batch_.insert(object.id).second) return Status::Ok();
  ASSIGN_OR_RETURN(storage::PutResult put,
                   chunks_->AddToBatch(&batch_, object.kind, object.bytes, object.id));
  if (put.added) {
    pending_.insert(object.id);
    ++written_;
    bytes_written_ += put.stored_size;
    pending_bytes_ += put.stored_size;
  } else {
    ++reused_;
  }
  if (pending_bytes_ >= batch_bytes_) return Flush(/*sync=*/false);
  return Status::Ok();
}

Status ObjectWriter::Flush(bool sync) {
  if (batch_.Count() > 0) RETURN_IF_ERROR(chunks_->database()->Write(&batch_, sync));
  batch_.Clear();
  in_batch_.clear();
  pending_.clear();
  pending_bytes_ = 0;
  return Status::Ok();
}

}  // namespace berth::snapshot
