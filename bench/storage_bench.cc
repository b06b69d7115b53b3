// Micro benchmarks of storage/: chunker, chunk ids, record codec and chunk store, each over the
// same 64 MiB corpus, as bytes per CPU-second. Two corpora: text-like (zstd -3 compresses it
// about 3x, like source code) and random (incompressible, the codec's worst case).
//
// All benchmarks measure the CPU time of the whole process, so RocksDB's background flush
// threads count against the store benchmarks as they would against a real write.
//
//   storage_bench [--benchmark_filter=...]    run the benchmarks
//   storage_bench --write_corpus DIR          write DIR/text.bin and DIR/random.bin, the exact
//                                             bytes benchmarked, for the reference tools
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "storage/chunk_id.h"
#include "storage/chunk_store.h"
#include "storage/chunker.h"
#include "storage/data_dir.h"
#include "storage/record.h"
#include "storage/secret_key.h"

namespace berth::storage {
namespace {

constexpr size_t kCorpusSize = 64u << 20;
constexpr size_t kPieceSize = 64u << 10;  // the chunker's average chunk size

enum Corpus { kText, kRandom };

// splitmix64: fixed seeds make every run, on every machine, benchmark the same bytes.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(((Next() >> 32) * n) >> 32); }

 private:
  uint64_t state_;
};

// Words drawn at random from a small vocabulary, skewed towards the first words as natural
// language and code favour a few common tokens; separated by spaces and some newlines. No long
// runs repeat, so nothing deduplicates, yet zstd -3 finds about 3x: the ratio of source trees.
Bytes MakeText() {
  constexpr uint32_t kVocabulary = 1024;
  Rng rng(0x62657274682d7478);
  std::vector<std::string> words(kVocabulary);
  for (std::string& word : words) {
    const uint32_t length = 2 + rng.Below(10);
    for (uint32_t i = 0; i < length; ++i) word += static_cast<char>('a' + rng.Below(26));
  }
  Bytes out;
  out.reserve(kCorpusSize + 16);
  while (out.size() < kCorpusSize) {
    // The smaller of two uniform draws: word k is picked with probability falling linearly in k.
    const uint32_t k = std::min(rng.Below(kVocabulary), rng.Below(kVocabulary));
    out.insert(out.end(), words[k].begin(), words[k].end());
    out.push_back(rng.Below(10) == 0 ? '\n' : ' ');
  }
  out.resize(kCorpusSize);
  return out;
}

Bytes MakeRandom() {
  Rng rng(0x62657274682d726e);
  Bytes out(kCorpusSize);
  for (size_t i = 0; i < out.size(); i += 8) {
    const uint64_t v = rng.Next();
    std::memcpy(out.data() + i, &v, 8);
  }
  return out;
}

const Bytes& GetCorpus(Corpus corpus) {
  static const Bytes text = MakeText();
  static const Bytes random = MakeRandom();
  return corpus == kText ? text : random;
}

// The corpus cut into kPieceSize pieces (the last may be shorter).
std::vector<ByteView> Pieces(Corpus corpus) {
  ByteView all(GetCorpus(corpus));
  std::vector<ByteView> pieces;
  for (size_t pos = 0; pos < all.size(); pos += kPieceSize) {
    pieces.push_back(all.subspan(pos, std::min(kPieceSize, all.size() - pos)));
  }
  return pieces;
}

// The corpus cut by the default chunker, as the write path cuts files.
std::vector<ByteView> Chunks(Corpus corpus) {
  ByteView all(GetCorpus(corpus));
  std::vector<ByteView> chunks;
  size_t pos = 0;
  for (uint32_t length : Chunker().Split(all)) {
    chunks.push_back(all.subspan(pos, length));
    pos += length;
  }
  return chunks;
}

void SetBytes(benchmark::State& state, size_t bytes_per_iteration) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes_per_iteration));
}

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/berth-bench-XXXXXX";
    if (::mkdtemp(name) != nullptr) path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void BM_Memcpy(benchmark::State& state) {
  const Bytes& src = GetCorpus(kText);
  Bytes dst(src.size(), 0);  // touched now, so page faults stay out of the loop
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), src.size());
    benchmark::ClobberMemory();
  }
  SetBytes(state, src.size());
}

void BM_Chunker(benchmark::State& state, Corpus corpus) {
  const Bytes& data = GetCorpus(corpus);
  Chunker chunker;
  size_t chunks = 0;
  for (auto _ : state) {
    std::vector<uint32_t> lengths = chunker.Split(data);
    chunks = lengths.size();
    benchmark::DoNotOptimize(lengths.data());
  }
  SetBytes(state, data.size());
  state.counters["avg_chunk"] = static_cast<double>(data.size()) / static_cast<double>(chunks);
}

void BM_Blake2bChunkIds(benchmark::State& state, Corpus corpus) {
  const std::vector<ByteView> pieces = Pieces(corpus);
  ChunkHasher hasher(SecretKey::Generate());
  for (auto _ : state) {
    for (ByteView piece : pieces) {
      ChunkId id = hasher.Hash(piece);
      benchmark::DoNotOptimize(id);
    }
  }
  SetBytes(state, kCorpusSize);
}

std::optional<SecretKey> MaybeKey(bool encrypt) {
  if (!encrypt) return std::nullopt;
  return SecretKey::Generate();
}

std::vector<ChunkId> IdsOf(const std::vector<ByteView>& pieces) {
  ChunkHasher hasher(SecretKey::Generate());
  std::vector<ChunkId> ids;
  for (ByteView piece : pieces) ids.push_back(hasher.Hash(piece));
  return ids;
}

void BM_RecordEncode(benchmark::State& state, Corpus corpus, bool encrypt) {
  const std::vector<ByteView> pieces = Pieces(corpus);
  const std::vector<ChunkId> ids = IdsOf(pieces);
  RecordCodec codec(3, MaybeKey(encrypt));
  Bytes record;
  size_t stored = 0;
  for (auto _ : state) {
    stored = 0;
    for (size_t i = 0; i < pieces.size(); ++i) {
      codec.Encode(ids[i], ChunkKind::kData, pieces[i], &record);
      stored += record.size();
    }
  }
  SetBytes(state, kCorpusSize);
  state.counters["ratio"] = static_cast<double>(kCorpusSize) / static_cast<double>(stored);
}

void BM_RecordDecode(benchmark::State& state, Corpus corpus, bool encrypt) {
  const std::vector<ByteView> pieces = Pieces(corpus);
  const std::vector<ChunkId> ids = IdsOf(pieces);
  RecordCodec codec(3, MaybeKey(encrypt));
  std::vector<Bytes> records(pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    codec.Encode(ids[i], ChunkKind::kData, pieces[i], &records[i]);
  }
  Bytes plaintext;
  RecordHeader header;
  for (auto _ : state) {
    for (size_t i = 0; i < records.size(); ++i) {
      Status s = codec.Decode(ids[i], records[i], &header, &plaintext);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
    }
  }
  SetBytes(state, kCorpusSize);
}

// A new store in `tmp`.
Result<std::unique_ptr<DataDir>> OpenStore(const TempDir& tmp) {
  if (!tmp.ok()) return InternalError("mkdtemp under /tmp failed");
  return DataDir::Open(tmp.path(), DataDirOptions());
}

// Writes the memtables out to SST and blob files and waits: a benchmark that writes less than a
// memtable must still pay for the blob file write, which every stored byte costs eventually.
Status FlushAll(DataDir& dir) { return dir.database().Flush(); }

// Puts `chunks` into `store`: one Put each when batch_bytes == 0, else PutBatch over about
// batch_bytes of plaintext at a time, as the file ingest path batches. Adds the stored record
// sizes to *stored.
Status PutAll(ChunkStore& store, const std::vector<ByteView>& chunks, size_t batch_bytes,
              size_t* stored) {
  std::vector<ChunkInput> batch;
  size_t batch_size = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (batch_bytes == 0) {
      ASSIGN_OR_RETURN(PutResult put, store.Put(ChunkKind::kData, chunks[i]));
      *stored += put.stored_size;
      continue;
    }
    batch.push_back({ChunkKind::kData, chunks[i]});
    batch_size += chunks[i].size();
    if (batch_size >= batch_bytes || i + 1 == chunks.size()) {
      ASSIGN_OR_RETURN(std::vector<PutResult> puts, store.PutBatch(batch));
      for (const PutResult& put : puts) *stored += put.stored_size;
      batch.clear();
      batch_size = 0;
    }
  }
  return Status::Ok();
}

// Stores the corpus, cut by the chunker, into an empty store: hash, compress, write to RocksDB
// (WAL and memtable), then flush the memtables into blob and SST files, which is part of
// storing. Creating the store and removing it afterwards are not timed.
void BM_StorePut(benchmark::State& state, Corpus corpus, size_t batch_bytes) {
  const std::vector<ByteView> chunks = Chunks(corpus);
  size_t stored = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto tmp = std::make_unique<TempDir>();
    auto dir = OpenStore(*tmp);
    if (!dir.ok()) {
      state.SkipWithError(dir.status().ToString().c_str());
      break;
    }
    stored = 0;
    state.ResumeTiming();

    Status status = PutAll((*dir)->chunks(), chunks, batch_bytes, &stored);
    if (status.ok()) status = FlushAll(**dir);
    if (status.ok()) status = (*dir)->Close();

    state.PauseTiming();
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
    dir->reset();
    tmp.reset();
    state.ResumeTiming();
  }
  SetBytes(state, kCorpusSize);
  state.counters["ratio"] = static_cast<double>(kCorpusSize) / static_cast<double>(stored);
}

// Puts the corpus into a store that holds it already: hash plus index lookup, nothing written.
void BM_StorePutDuplicate(benchmark::State& state, Corpus corpus) {
  const std::vector<ByteView> chunks = Chunks(corpus);
  TempDir tmp;
  auto dir = OpenStore(tmp);
  if (!dir.ok()) {
    state.SkipWithError(dir.status().ToString().c_str());
    return;
  }
  ChunkStore& store = (*dir)->chunks();
  size_t stored = 0;
  if (Status s = PutAll(store, chunks, 0, &stored); !s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  for (auto _ : state) {
    for (ByteView chunk : chunks) {
      auto put = store.Put(ChunkKind::kData, chunk);
      if (!put.ok() || put->added) {
        state.SkipWithError("a duplicate put failed or stored again");
        return;
      }
    }
  }
  SetBytes(state, kCorpusSize);
}

// Reads every chunk of the corpus back (index lookup, blob read, checksum, decompress) from a
// store that was written, flushed, closed and reopened, so reads come from blob files, not
// memtables. The blob files sit in the page cache: this is the CPU cost of a read, not the disk's.
void BM_StoreGet(benchmark::State& state, Corpus corpus) {
  const std::vector<ByteView> chunks = Chunks(corpus);
  TempDir tmp;
  std::vector<ChunkId> ids;
  {
    auto dir = OpenStore(tmp);
    if (!dir.ok()) {
      state.SkipWithError(dir.status().ToString().c_str());
      return;
    }
    for (ByteView chunk : chunks) {
      auto put = (*dir)->chunks().Put(ChunkKind::kData, chunk);
      if (!put.ok()) {
        state.SkipWithError(put.status().ToString().c_str());
        return;
      }
      ids.push_back(put->id);
    }
    Status s = FlushAll(**dir);
    if (s.ok()) s = (*dir)->Close();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      return;
    }
  }
  auto dir = OpenStore(tmp);
  if (!dir.ok()) {
    state.SkipWithError(dir.status().ToString().c_str());
    return;
  }
  ChunkStore& store = (*dir)->chunks();
  Bytes plaintext;
  for (auto _ : state) {
    for (const ChunkId& id : ids) {
      Status s = store.Get(id, &plaintext, nullptr);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
    }
  }
  SetBytes(state, kCorpusSize);
}

// Process CPU time everywhere (see the file comment); rates are per CPU-second.
#define BERTH_BENCH(...) \
  BENCHMARK_CAPTURE(__VA_ARGS__)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond)

BENCHMARK(BM_Memcpy)->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
BERTH_BENCH(BM_Chunker, text, kText);
BERTH_BENCH(BM_Chunker, random, kRandom);
BERTH_BENCH(BM_Blake2bChunkIds, text, kText);
BERTH_BENCH(BM_RecordEncode, text, kText, false);
BERTH_BENCH(BM_RecordEncode, text_encrypted, kText, true);
BERTH_BENCH(BM_RecordEncode, random, kRandom, false);
BERTH_BENCH(BM_RecordEncode, random_encrypted, kRandom, true);
BERTH_BENCH(BM_RecordDecode, text, kText, false);
BERTH_BENCH(BM_RecordDecode, text_encrypted, kText, true);
BERTH_BENCH(BM_RecordDecode, random, kRandom, false);
BERTH_BENCH(BM_RecordDecode, random_encrypted, kRandom, true);
BERTH_BENCH(BM_StorePut, text, kText, 0);
BERTH_BENCH(BM_StorePut, text_batch8m, kText, 8u << 20);
BERTH_BENCH(BM_StorePut, random, kRandom, 0);
BERTH_BENCH(BM_StorePutDuplicate, text, kText);
BERTH_BENCH(BM_StoreGet, text, kText);
BERTH_BENCH(BM_StoreGet, random, kRandom);

int WriteCorpus(const std::string& dir) {
  for (auto [corpus, name] : {std::pair{kText, "text.bin"}, std::pair{kRandom, "random.bin"}}) {
    const Bytes& data = GetCorpus(corpus);
    std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    if (!out.flush()) {
      std::fprintf(stderr, "storage_bench: cannot write %s/%s\n", dir.c_str(), name);
      return 1;
    }
  }
  return 0;
}

}  // namespace
}  // namespace berth::storage

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::fprintf(stderr, "storage_bench: libsodium failed to initialise\n");
    return 1;
  }
  if (argc == 3 && std::string_view(argv[1]) == "--write_corpus") {
    return berth::storage::WriteCorpus(argv[2]);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
