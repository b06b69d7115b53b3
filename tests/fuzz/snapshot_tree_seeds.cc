// Valid tree objects, list objects and snapshot records for the snapshot fuzz target to mutate,
// each behind the selector byte that picks its decoder (0 tree, 1 list, 2 record).
#include <vector>

#include "snapshot/chunk_list.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/tree_object.h"
#include "storage/secret_key.h"

std::vector<std::vector<uint8_t>> FuzzSeeds() {
  using namespace berth::snapshot;
  berth::storage::ChunkHasher hasher(berth::storage::SecretKey::Generate());
  auto id = [&](const char* s) { return hasher.Hash(berth::AsBytes(s)); };
  std::vector<std::vector<uint8_t>> seeds;
  auto add = [&](uint8_t selector, const berth::Result<berth::Bytes>& bytes) {
    if (!bytes.ok()) __builtin_trap();
    std::vector<uint8_t> seed{selector};
    seed.insert(seed.end(), bytes->begin(), bytes->end());
    seeds.push_back(std::move(seed));
  };

  TreeObject tree;
  TreeEntry file;
  file.name = "a.txt";
  file.perms = 0644;
  file.size = 5000;
  file.data.pieces = {Piece::Hole(1000), Piece::Data(id("a"), 4000)};
  file.xattrs = {{"user.k", "v"}};
  file.link_group = 7;
  TreeEntry big = file;
  big.name = "big";
  big.xattrs.clear();
  big.link_group = 0;
  big.size = 1 << 30;
  big.data = ChunkList{{}, id("list")};
  TreeEntry dir;
  dir.name = "dir";
  dir.type = EntryType::kDirectory;
  dir.perms = 0755;
  dir.subtree = id("dir");
  dir.subtree_totals = Totals{3, 1, 100};
  TreeEntry link;
  link.name = "link";
  link.type = EntryType::kSymlink;
  link.perms = 0777;
  link.target = "a.txt";
  TreeEntry dev;
  dev.name = "tty";
  dev.type = EntryType::kCharDevice;
  dev.rdev = 0x501;
  TreeEntry fifo;
  fifo.name = "zz";
  fifo.type = EntryType::kFifo;
  tree.entries = {file, big, dir, link, dev, fifo};
  add(0, EncodeTree(tree));
  add(0, EncodeTree(TreeObject{}));
  // Version 2: a snapshot's root, with its own attributes (and xattrs), and an empty one.
  TreeObject root = tree;
  root.self = DirAttributes{02755,
                            1000,
                            1000,
                            1'764'079'503'123'456'789,
                            {{"user.a", "1"}, {"user.b", std::string(100, 'x')}}};
  add(0, EncodeTree(root));
  TreeObject empty_root;
  empty_root.self = DirAttributes{0700, 0, 0, 0, {}};
  add(0, EncodeTree(empty_root));
  // Versions 3 and 4: the top object of a paged directory (its pages are version-1 trees).
  TreeObject top;
  top.pages = {TreePage{id("page1"), Totals{4096, 10, 1 << 20}}, TreePage{id("page2"), {5, 0, 9}}};
  add(0, EncodePagedTop(top));
  top.self = root.self;
  add(0, EncodePagedTop(top));

  ListObject leaf;
  leaf.pieces = {Piece::Data(id("x"), 65536), Piece::Hole(4096), Piece::Data(id("y"), 100)};
  add(1, EncodeListObject(leaf));
  ListObject index;
  index.level = 1;
  index.children = {ListChild{id("l1"), 1 << 20, 16}, ListChild{id("l2"), 300, 2}};
  add(1, EncodeListObject(index));

  SnapshotRecord record;
  record.project = ProjectKey(std::string(16, 'p'));
  record.id = SnapshotId(1'764'079'503'123);
  record.parent = SnapshotId(1'764'079'493'000);
  record.root = id("root");
  record.host = "node-1";
  record.label = "v1.0";
  record.files = 10;
  add(2, EncodeSnapshotRecord(record));
  return seeds;
}
