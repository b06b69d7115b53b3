#ifndef BERTH_FS_INTERNAL_PREFIX_ITERATOR_H_
#define BERTH_FS_INTERNAL_PREFIX_ITERATOR_H_

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <utility>

#include "fs/internal/keys.h"

namespace berth::fs::internal {

// An iterator over the keys of one family that start with `prefix` (a project's, a directory's,
// an inode's): RocksDB stops at the prefix's end itself, rather than stepping past it over keys
// (and tombstones) that belong to others. Not positioned: Seek first.
class PrefixIterator {
 public:
  PrefixIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, const std::string& prefix)
      : end_(PrefixEnd(prefix)), upper_(end_) {
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper_;
    it_.reset(db->NewIterator(options, family));
  }
  PrefixIterator(const PrefixIterator&) = delete;
  PrefixIterator& operator=(const PrefixIterator&) = delete;

  rocksdb::Iterator* operator->() const { return it_.get(); }
  rocksdb::Iterator& operator*() const { return *it_; }

 private:
  const std::string end_;
  const rocksdb::Slice upper_;  // points into end_; the iterator reads it
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace berth::fs::internal

#endif  // BERTH_FS_INTERNAL_PREFIX_ITERATOR_H_
