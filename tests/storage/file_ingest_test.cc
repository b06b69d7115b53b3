#include "storage/file_ingest.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <numeric>

#include "base/file.h"
#include "tests/storage/store_fixture.h"

namespace berth::storage {
namespace {

using berth::testing::RandomBytes;
using berth::testing::TextBytes;

class IngestTest : public StoreTest {
 protected:
  IngestedFile Ingest(const Bytes& content) {
    std::string path = dir_.Sub("input");
    EXPECT_OK(WriteFileAtomically(path, content));
    UniqueFd fd(open(path.c_str(), O_RDONLY));
    FileIngester ingester(*store_, chunker_, /*batch_bytes=*/100000);
    auto file = ingester.Ingest(fd.get(), path);
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    return file.ok() ? *file : IngestedFile{};
  }
  Bytes Reassemble(const IngestedFile& file) {
    Bytes out;
    for (const ChunkRef& ref : file.chunks) {
      auto chunk = store_->Get(ref.id);
      EXPECT_TRUE(chunk.ok());
      if (!chunk.ok()) break;
      EXPECT_EQ(chunk->size(), ref.length);
      out.insert(out.end(), chunk->begin(), chunk->end());
    }
    return out;
  }
  Chunker chunker_;
};

TEST_F(IngestTest, StoresAFileThatReassemblesExactly) {
  Bytes content = RandomBytes(3 << 20, 1);
  IngestedFile file = Ingest(content);
  EXPECT_EQ(file.size, content.size());
  EXPECT_EQ(file.chunks.size(), chunker_.Split(content).size());
  EXPECT_EQ(file.new_chunks, file.chunks.size());
  EXPECT_EQ(Reassemble(file), content);
}

TEST_F(IngestTest, SecondCopyStoresNothingNew) {
  Bytes content = TextBytes(2 << 20, 2);
  IngestedFile first = Ingest(content);
  IngestedFile second = Ingest(content);
  EXPECT_GT(first.new_stored_bytes, 0u);
  EXPECT_EQ(second.new_chunks, 0u);
  EXPECT_EQ(second.new_stored_bytes, 0u);
}

TEST_F(IngestTest, RepeatedChunksWithinAFileAreStoredOnce) {
  Bytes zeros(2 << 20, 0);
  IngestedFile file = Ingest(zeros);
  EXPECT_EQ(file.chunks.size(), 8u);  // cut at max size
  EXPECT_EQ(file.new_chunks, 1u);
  EXPECT_EQ(Reassemble(file), zeros);
}

TEST_F(IngestTest, EmptyFileHasNoChunks) {
  IngestedFile file = Ingest({});
  EXPECT_EQ(file.size, 0u);
  EXPECT_TRUE(file.chunks.empty());
}

TEST_F(IngestTest, ReadErrorIsReported) {
  UniqueFd fd(open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY));
  FileIngester ingester(*store_, chunker_);
  auto file = ingester.Ingest(fd.get(), "a directory");
  EXPECT_EQ(file.status().ToErrno(), EISDIR);
}

}  // namespace
}  // namespace berth::storage
