// The canonical encoding of tree and list objects: round trips, one encoding per tree, and a
// decoder that refuses every malformed or non-canonical input with a message saying what.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include "snapshot/chunk_list.h"
#include "snapshot/tree_object.h"
#include "storage/secret_key.h"
#include "tests/testing/status_matchers.h"

namespace berth::snapshot {
namespace {

using berth::testing::StatusIs;
using berth::testing::StatusMessageHas;
using storage::ChunkId;

class ObjectTest : public ::testing::Test {
 protected:
  ChunkId Id(const std::string& s) const { return hasher_.Hash(AsBytes(s)); }

  TreeEntry File(const std::string& name, uint64_t size) const {
    TreeEntry e;
    e.name = name;
    e.type = EntryType::kRegular;
    e.perms = 0644;
    e.uid = 1000;
    e.gid = 1000;
    e.mtime_ns = 1'700'000'000'123'456'789;
    e.size = size;
    if (size > 0) e.data.pieces.push_back(Piece::Data(Id(name), size));
    return e;
  }

  // One entry of every type, with xattrs and a link group.
  TreeObject Mixed() const {
    TreeObject tree;
    TreeEntry a = File("a.txt", 100);
    a.xattrs = {{"user.x", "1"}, {"user.y", std::string(300, 'v')}};
    TreeEntry b = File("b.bin", 5000);
    b.data.pieces = {Piece::Hole(1000), Piece::Data(Id("b1"), 3000), Piece::Hole(1000)};
    b.link_group = 42;
    TreeEntry big = File("big", 1 << 30);
    big.data.pieces.clear();
    big.data.list = Id("list");
    TreeEntry dir;
    dir.name = "dir";
    dir.type = EntryType::kDirectory;
    dir.perms = 0755;
    dir.subtree = Id("subtree");
    dir.subtree_totals = Totals{10, 2, 12345};
    TreeEntry link;
    link.name = "link";
    link.type = EntryType::kSymlink;
    link.perms = 0777;
    link.target = "../elsewhere";
    TreeEntry dev;
    dev.name = "null";
    dev.type = EntryType::kCharDevice;
    dev.rdev = 0x103;
    TreeEntry fifo;
    fifo.name = "pipe";
    fifo.type = EntryType::kFifo;
    fifo.perms = 0600;
    TreeEntry empty = File("zero", 0);
    tree.entries = {a, b, big, dir, link, dev, fifo, empty};
    return tree;
  }

  storage::ChunkHasher hasher_{storage::SecretKey::Generate()};
};

TEST_F(ObjectTest, TreeRoundTripsEveryEntryType) {
  TreeObject tree = Mixed();
  ASSERT_OK_AND_ASSIGN(Bytes bytes, EncodeTree(tree));
  ASSERT_OK_AND_ASSIGN(TreeObject back, DecodeTree(bytes));
  EXPECT_EQ(back, tree);
  ASSERT_OK_AND_ASSIGN(Bytes again, EncodeTree(back));
  EXPECT_EQ(again, bytes);
  Totals t = tree.totals();
  EXPECT_EQ(t.files, 7u + 10u);
  EXPECT_EQ(t.dirs, 1u + 2u);
  EXPECT_EQ(t.bytes, 100u + 5000u + (1u << 30) + 12345u);
  ASSERT_OK_AND_ASSIGN(Totals peeked, PeekTreeTotals(bytes));
  EXPECT_EQ(peeked, t);
  ASSERT_NE(back.Find("dir"), nullptr);
  EXPECT_EQ(back.Find("dir")->subtree, Id("subtree"));
  EXPECT_EQ(back.Find("dis"), nullptr);
  EXPECT_EQ(back.Find("link")->mode(), 0120777u);
}

TEST_F(ObjectTest, EmptyTreeRoundTrips) {
  ASSERT_OK_AND_ASSIGN(Bytes bytes, EncodeTree(TreeObject{}));
  EXPECT_EQ(bytes.size(), 29u);
  ASSERT_OK_AND_ASSIGN(TreeObject back, DecodeTree(bytes));
  EXPECT_TRUE(back.entries.empty());
}

TEST_F(ObjectTest, SameTreeSameBytes) {
  TreeObject a = Mixed();
  TreeObject b = Mixed();
  ASSERT_OK_AND_ASSIGN(Bytes ea, EncodeTree(a));
  ASSERT_OK_AND_ASSIGN(Bytes eb, EncodeTree(b));
  EXPECT_EQ(hasher_.Hash(ea), hasher_.Hash(eb));
  b.entries[0].mtime_ns += 1;
  ASSERT_OK_AND_ASSIGN(Bytes ec, EncodeTree(b));
  EXPECT_NE(hasher_.Hash(ea), hasher_.Hash(ec));
}

TEST_F(ObjectTest, EncoderRefusesWhatHasNoCanonicalForm) {
  TreeObject unsorted = Mixed();
  std::swap(unsorted.entries[0], unsorted.entries[1]);
  EXPECT_THAT(EncodeTree(unsorted), StatusMessageHas("out of order"));
  TreeObject duplicate = Mixed();
  duplicate.entries[1].name = duplicate.entries[0].name;
  EXPECT_THAT(EncodeTree(duplicate), StatusIs(StatusCode::kInvalidArgument));

  auto refuses = [&](auto mutate, const std::string& message) {
    TreeObject t = Mixed();
    mutate(t);
    EXPECT_THAT(EncodeTree(t), StatusMessageHas(message)) << message;
  };
  refuses([](TreeObject& t) { t.entries[0].name = "a/b"; }, "invalid entry name");
  refuses([](TreeObject& t) { t.entries[0].name = ".."; }, "invalid entry name");
  refuses([](TreeObject& t) { t.entries[0].name = std::string(256, 'a'); }, "invalid entry name");
  refuses([](TreeObject& t) { t.entries[0].size = 99; }, "do not add up");
  refuses([](TreeObject& t) { t.entries[0].perms = 010000; }, "permission bits");
  refuses([](TreeObject& t) { t.entries[3].link_group = 7; }, "link group on a directory");
  refuses([](TreeObject& t) { t.entries[4].target.clear(); }, "invalid symlink target");
  refuses([](TreeObject& t) { t.entries[4].size = 3; }, "file data on a symlink");
  refuses([](TreeObject& t) { t.entries[0].target = "x"; }, "symlink target on a file");
  refuses([](TreeObject& t) { t.entries[0].rdev = 1; }, "device number on a file");
  refuses([](TreeObject& t) { std::swap(t.entries[0].xattrs[0], t.entries[0].xattrs[1]); },
          "xattrs out of order");
  refuses([](TreeObject& t) { t.entries[2].size = 8; }, "list form for a short file");
  refuses(
      [&](TreeObject& t) {
        t.entries[1].data.pieces = {Piece::Hole(2500), Piece::Hole(2500)};
      },
      "two holes in a row");
  refuses(
      [&](TreeObject& t) {
        t.entries[0].data.pieces.assign(9, Piece::Data(Id("x"), 1));
        t.entries[0].size = 9;
      },
      "too many inline pieces");
}

TEST_F(ObjectTest, DecoderRejectsEveryTruncation) {
  ASSERT_OK_AND_ASSIGN(Bytes bytes, EncodeTree(Mixed()));
  for (size_t n = 0; n < bytes.size(); ++n) {
    Bytes cut(bytes.begin(), bytes.begin() + n);
    auto decoded = DecodeTree(cut);
    ASSERT_THAT(decoded, StatusIs(StatusCode::kDataLoss)) << "length " << n;
  }
}

TEST_F(ObjectTest, DecoderSaysWhatIsWrong) {
  ASSERT_OK_AND_ASSIGN(Bytes good, EncodeTree(Mixed()));

  Bytes version = good;
  version[0] = 5;
  EXPECT_THAT(DecodeTree(version), StatusMessageHas("unknown tree version 5"));

  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_THAT(DecodeTree(trailing), StatusMessageHas("trailing bytes"));

  Bytes absurd = good;
  absurd[25] = 0xff;  // entry count, u32 at [25..29)
  absurd[26] = 0xff;
  EXPECT_THAT(DecodeTree(absurd), StatusMessageHas("absurd entry count"));

  Bytes totals = good;
  totals[1] ^= 1;  // files total
  EXPECT_THAT(DecodeTree(totals), StatusMessageHas("totals do not match"));

  // Two entries in the wrong order, and a repeated name, each with consistent totals.
  TreeObject two;
  two.entries = {File("a", 1), File("b", 1)};
  ASSERT_OK_AND_ASSIGN(Bytes ab, EncodeTree(two));
  Bytes ba = ab;
  const size_t name_b = 29 + 69 + 1;  // an entry of a one-piece file takes 69 bytes
  ba[29 + 1] = 'b';
  ba[name_b] = 'a';
  EXPECT_THAT(DecodeTree(ba), StatusMessageHas("names out of order"));
  Bytes aa = ab;
  aa[name_b] = 'a';
  EXPECT_THAT(DecodeTree(aa), StatusMessageHas("repeated name 'a'"));

  Bytes slash = ab;
  slash[29 + 1] = '/';
  EXPECT_THAT(DecodeTree(slash), StatusMessageHas("invalid entry name"));
  Bytes type = ab;
  type[29 + 2] = 9;
  EXPECT_THAT(DecodeTree(type), StatusMessageHas("unknown entry type 9"));
  Bytes flags = ab;
  flags[29 + 3] = 0x80;
  EXPECT_THAT(DecodeTree(flags), StatusMessageHas("unknown entry flags"));
}

// Version 2 adds the directory's own attributes (a snapshot's root); version 1, without them,
// is still what every other tree is, byte for byte, and what roots written before were.
TEST_F(ObjectTest, RootAttributesMakeVersion2AndVersion1StaysAsItWas) {
  TreeObject root = Mixed();
  root.self = DirAttributes{02775, 1000, 100, -5, {{"user.a", "1"}, {"user.b", ""}}};
  ASSERT_OK_AND_ASSIGN(Bytes v2, EncodeTree(root));
  EXPECT_EQ(v2[0], 2);
  ASSERT_OK_AND_ASSIGN(TreeObject back, DecodeTree(v2));
  EXPECT_EQ(back, root);
  ASSERT_OK_AND_ASSIGN(Bytes again, EncodeTree(back));
  EXPECT_EQ(again, v2);
  ASSERT_OK_AND_ASSIGN(TreeHead head, PeekTreeHead(v2));
  EXPECT_EQ(head.totals, root.totals());
  EXPECT_EQ(head.self, root.self);
  ASSERT_OK_AND_ASSIGN(Totals peeked, PeekTreeTotals(v2));
  EXPECT_EQ(peeked, root.totals());
  for (size_t n = 0; n < v2.size(); ++n) {
    ASSERT_THAT(DecodeTree(Bytes(v2.begin(), v2.begin() + n)), StatusIs(StatusCode::kDataLoss))
        << "length " << n;
  }

  // Empty attributes are still attributes: version 2, and distinct from version 1.
  TreeObject bare;
  bare.self = DirAttributes{};
  ASSERT_OK_AND_ASSIGN(Bytes bare_bytes, EncodeTree(bare));
  EXPECT_EQ(bare_bytes.size(), 29u + 2 + 4 + 4 + 8 + 2);
  ASSERT_OK_AND_ASSIGN(TreeObject bare_back, DecodeTree(bare_bytes));
  EXPECT_EQ(bare_back, bare);

  // A version 1 tree as written before version 2 existed (hand-assembled: the empty tree and
  // one fifo entry) decodes, has no attributes, and encodes back to the same bytes.
  Bytes v1 = {1};
  const uint8_t totals[24] = {1};  // files 1, dirs 0, bytes 0
  v1.insert(v1.end(), totals, totals + 24);
  const uint8_t entry[] = {1,    0,    0, 0,               // count 1
                           1,    'p',  6, 0,               // name "p", fifo, no flags
                           0xa4, 0x01,                     // 0644
                           0xe8, 0x03, 0, 0,               // uid 1000
                           0xe8, 0x03, 0, 0,               // gid 1000
                           1,    0,    0, 0, 0, 0, 0, 0};  // mtime 1 ns
  v1.insert(v1.end(), entry, entry + sizeof(entry));
  ASSERT_OK_AND_ASSIGN(TreeObject old, DecodeTree(v1));
  EXPECT_FALSE(old.self);
  ASSERT_EQ(old.entries.size(), 1u);
  EXPECT_EQ(old.entries[0].mode(), 010644u);
  EXPECT_EQ(old.entries[0].uid, 1000u);
  ASSERT_OK_AND_ASSIGN(Bytes old_again, EncodeTree(old));
  EXPECT_EQ(old_again, v1);
  ASSERT_OK_AND_ASSIGN(TreeHead old_head, PeekTreeHead(v1));
  EXPECT_FALSE(old_head.self);
  Bytes empty_v1(29, 0);
  empty_v1[0] = 1;
  ASSERT_OK_AND_ASSIGN(Bytes empty_now, EncodeTree(TreeObject{}));
  EXPECT_EQ(empty_now, empty_v1);

  // What the attributes block refuses.
  TreeObject bad = bare;
  bad.self->perms = 010000;
  EXPECT_THAT(EncodeTree(bad), StatusIs(StatusCode::kInvalidArgument));
  bad.self->perms = 0;
  bad.self->xattrs = {{"user.b", ""}, {"user.a", ""}};
  EXPECT_THAT(EncodeTree(bad), StatusIs(StatusCode::kInvalidArgument));
  Bytes high_perms = bare_bytes;
  high_perms[25] = 0xff;
  high_perms[26] = 0xff;
  EXPECT_THAT(DecodeTree(high_perms), StatusMessageHas("permission bits above 07777"));
  ASSERT_OK_AND_ASSIGN(Bytes xv2, EncodeTree(root));
  Bytes swapped = xv2;  // the two xattr names, "user.a" and "user.b", swapped
  auto a_at =
      std::search(swapped.begin(), swapped.end(), std::begin("user.a"), std::end("user.a") - 1);
  ASSERT_NE(a_at, swapped.end());
  a_at[5] = 'c';
  EXPECT_THAT(DecodeTree(swapped), StatusMessageHas("xattrs out of order"));
}

TEST_F(ObjectTest, LargeDirectoryRoundTrips) {
  TreeObject tree;
  for (int i = 0; i < 60000; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "file-%07d.dat", i);
    tree.entries.push_back(File(name, static_cast<uint64_t>(i % 5000) + 1));
  }
  ASSERT_OK_AND_ASSIGN(Bytes bytes, EncodeTree(tree));
  ASSERT_OK_AND_ASSIGN(TreeObject back, DecodeTree(bytes));
  EXPECT_EQ(back.entries.size(), 60000u);
  EXPECT_EQ(back, tree);
  EXPECT_EQ(back.totals().files, 60000u);
  ASSERT_NE(back.Find("file-0054321.dat"), nullptr);
  // Beyond kMaxEntriesPerObject a directory is stored paged, never as one object.
  for (int i = 60000; i < 70000; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "file-%07d.dat", i);
    tree.entries.push_back(File(name, 1));
  }
  EXPECT_THAT(EncodeTree(tree), StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(ObjectTest, PagedDirectoryTopObjectsAreCheckedWhenDecoded) {
  TreeObject tree;
  for (int i = 0; i < 150000; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "f%07d", i);
    tree.entries.push_back(File(name, static_cast<uint64_t>(i % 100) + 1));
  }
  tree.self = DirAttributes{0755, 1, 2, 3, {}};
  ASSERT_OK_AND_ASSIGN(EncodedTree encoded, EncodeTreeObjects(tree, hasher_));
  ASSERT_GE(encoded.pages.size(), 150000u / 16384);
  EXPECT_EQ(encoded.id, hasher_.Hash(encoded.bytes));
  // The top object decodes to the pages, whose totals add up to the directory's.
  ASSERT_OK_AND_ASSIGN(TreeObject top, DecodeTree(encoded.bytes));
  EXPECT_TRUE(top.entries.empty());
  EXPECT_EQ(top.self, tree.self);
  ASSERT_EQ(top.pages.size(), encoded.pages.size());
  std::vector<TreeEntry> joined;
  for (size_t i = 0; i < top.pages.size(); ++i) {
    EXPECT_EQ(top.pages[i].id, encoded.pages[i].first);
    ASSERT_OK_AND_ASSIGN(TreeObject page, DecodeTree(encoded.pages[i].second));
    EXPECT_OK(CheckTreePage(page, top.pages[i], joined));
    // Out of order against what came before: refused.
    if (i > 0) {
      std::vector<TreeEntry> later = {page.entries.back()};
      EXPECT_THAT(CheckTreePage(page, top.pages[i], later), StatusIs(StatusCode::kDataLoss));
    }
    joined.insert(joined.end(), page.entries.begin(), page.entries.end());
  }
  EXPECT_EQ(joined, tree.entries);
  ASSERT_OK_AND_ASSIGN(TreeHead head, PeekTreeHead(encoded.bytes));
  EXPECT_EQ(head.totals, tree.totals());
  // Same tree, same objects; one changed entry changes one page.
  ASSERT_OK_AND_ASSIGN(EncodedTree again, EncodeTreeObjects(tree, hasher_));
  EXPECT_EQ(again.id, encoded.id);
  tree.entries[70000] = File(tree.entries[70000].name, 7777);
  ASSERT_OK_AND_ASSIGN(EncodedTree changed, EncodeTreeObjects(tree, hasher_));
  ASSERT_EQ(changed.pages.size(), encoded.pages.size());
  size_t differing = 0;
  for (size_t i = 0; i < changed.pages.size(); ++i) {
    differing += changed.pages[i].first != encoded.pages[i].first;
  }
  EXPECT_EQ(differing, 1u);
  // Every truncation of the top object is refused.
  for (size_t n = 0; n < encoded.bytes.size(); ++n) {
    EXPECT_FALSE(DecodeTree(ByteView(encoded.bytes.data(), n)).ok()) << n;
  }
}

TEST_F(ObjectTest, PiecesFromExtentsMakesHolesExplicit) {
  std::vector<SourceExtent> extents = {{100, 50, Id("a")}, {150, 10, Id("b")}, {400, 200, Id("c")}};
  ASSERT_OK_AND_ASSIGN(auto pieces, PiecesFromExtents(extents, 1000));
  std::vector<Piece> want = {Piece::Hole(100), Piece::Data(Id("a"), 50),  Piece::Data(Id("b"), 10),
                             Piece::Hole(240), Piece::Data(Id("c"), 200), Piece::Hole(400)};
  EXPECT_EQ(pieces, want);
  // Cut at the size: an extent past it is shortened, one beyond it dropped.
  ASSERT_OK_AND_ASSIGN(auto cut, PiecesFromExtents(extents, 450));
  EXPECT_EQ(cut.back(), Piece::Data(Id("c"), 50));
  ASSERT_OK_AND_ASSIGN(auto none, PiecesFromExtents({}, 0));
  EXPECT_TRUE(none.empty());
  ASSERT_OK_AND_ASSIGN(auto sparse, PiecesFromExtents({}, 1 << 20));
  EXPECT_EQ(sparse, std::vector<Piece>{Piece::Hole(1 << 20)});

  std::vector<SourceExtent> overlap = {{0, 100, Id("a")}, {50, 100, Id("b")}};
  EXPECT_THAT(PiecesFromExtents(overlap, 1000), StatusMessageHas("overlaps"));
}

TEST_F(ObjectTest, ShortListsStayInline) {
  std::vector<EncodedObject> objects;
  std::vector<Piece> pieces(kMaxInlinePieces, Piece::Data(Id("x"), 10));
  ASSERT_OK_AND_ASSIGN(ChunkList list, BuildChunkList(pieces, hasher_, &objects));
  EXPECT_EQ(list.pieces, pieces);
  EXPECT_FALSE(list.list);
  EXPECT_TRUE(objects.empty());
}

// Reassembles a list's pieces from the objects BuildChunkList made.
std::vector<Piece> Expand(const ChunkId& id, const std::map<ChunkId, Bytes>& objects,
                          size_t* max_object) {
  std::vector<Piece> out;
  Bytes bytes = objects.at(id);
  *max_object = std::max(*max_object, bytes.size());
  auto list = DecodeListObject(bytes);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  if (!list.ok()) return out;
  if (list->level == 0) return list->pieces;
  for (const ListChild& c : list->children) {
    std::vector<Piece> sub = Expand(c.id, objects, max_object);
    EXPECT_EQ(sub.size(), c.pieces);
    uint64_t bytes_total = 0;
    for (const Piece& p : sub) bytes_total += p.length;
    EXPECT_EQ(bytes_total, c.bytes);
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

TEST_F(ObjectTest, HugeFileListsSplitBelowOneMebibyteAndReassemble) {
  // 1M pieces: a 64 GiB file of 64 KiB chunks, with a hole now and then.
  std::vector<Piece> pieces;
  for (int i = 0; i < 1'000'000; ++i) {
    if (i % 1000 == 999) {
      pieces.push_back(Piece::Hole(4096));
    } else {
      pieces.push_back(Piece::Data(Id("c" + std::to_string(i)), 65536));
    }
  }
  std::vector<EncodedObject> objects;
  ASSERT_OK_AND_ASSIGN(ChunkList list, BuildChunkList(pieces, hasher_, &objects));
  ASSERT_TRUE(list.list);
  EXPECT_GT(objects.size(), 100u);
  std::map<ChunkId, Bytes> by_id;
  for (const EncodedObject& o : objects) {
    EXPECT_EQ(o.kind, storage::ChunkKind::kList);
    EXPECT_EQ(o.id, hasher_.Hash(o.bytes));
    by_id[o.id] = o.bytes;
  }
  size_t max_object = 0;
  EXPECT_EQ(Expand(*list.list, by_id, &max_object), pieces);
  EXPECT_LT(max_object, 1u << 20);

  // Deterministic, and an edit in the middle changes only a few list objects.
  std::vector<EncodedObject> again;
  ASSERT_OK_AND_ASSIGN(ChunkList same, BuildChunkList(pieces, hasher_, &again));
  EXPECT_EQ(same, list);
  pieces[500'000] = Piece::Data(Id("edited"), 65536);
  pieces.insert(pieces.begin() + 600'000, Piece::Data(Id("inserted"), 100));
  std::vector<EncodedObject> edited;
  ASSERT_OK_AND_ASSIGN(ChunkList changed, BuildChunkList(pieces, hasher_, &edited));
  EXPECT_NE(changed, list);
  size_t fresh = 0;
  for (const EncodedObject& o : edited) fresh += by_id.count(o.id) == 0;
  EXPECT_LE(fresh, 8u) << "of " << edited.size();
}

TEST_F(ObjectTest, ListDecoderSaysWhatIsWrong) {
  ListObject leaf;
  leaf.pieces = {Piece::Data(Id("a"), 10), Piece::Hole(5)};
  ASSERT_OK_AND_ASSIGN(Bytes good, EncodeListObject(leaf));
  ASSERT_OK_AND_ASSIGN(ListObject back, DecodeListObject(good));
  EXPECT_EQ(back, leaf);
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_THAT(DecodeListObject(ByteView(good.data(), n)), StatusIs(StatusCode::kDataLoss));
  }
  Bytes version = good;
  version[0] = 7;
  EXPECT_THAT(DecodeListObject(version), StatusMessageHas("unknown list object version 7"));
  Bytes level = good;
  level[1] = kMaxListLevel + 1;
  EXPECT_THAT(DecodeListObject(level), StatusMessageHas("above the maximum"));
  Bytes count = good;
  count[2] = 0;
  count[3] = 0x10;
  EXPECT_THAT(DecodeListObject(count), StatusMessageHas("absurd item count"));
  Bytes trailing = good;
  trailing.push_back(1);
  EXPECT_THAT(DecodeListObject(trailing), StatusMessageHas("trailing bytes"));
  Bytes tag = good;
  tag[6] = 5;
  EXPECT_THAT(DecodeListObject(tag), StatusMessageHas("unknown piece tag 5"));

  ListObject holes;
  holes.pieces = {Piece::Hole(1), Piece::Data(Id("a"), 1)};
  ASSERT_OK_AND_ASSIGN(Bytes two_holes, EncodeListObject(holes));
  two_holes[6 + 9] = 1;  // the chunk piece's tag becomes a hole's: hole, hole
  EXPECT_THAT(DecodeListObject(two_holes), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(EncodeListObject(ListObject{}), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::snapshot
