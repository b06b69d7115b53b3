// Snapshot ids, records, their store in RocksDB, and the names users type for them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "snapshot/snapshot_name.h"
#include "snapshot/snapshot_record.h"
#include "snapshot/snapshot_store.h"
#include "tests/snapshot/snapshot_fixture.h"

namespace berth::snapshot {
namespace {

using berth::testing::StatusIs;
using berth::testing::StatusMessageHas;
using ::testing::HasSubstr;

SnapshotId Id(std::string_view text) {
  auto id = SnapshotId::Parse(text);
  EXPECT_TRUE(id.ok()) << text;
  return id.value_or(SnapshotId());
}

ProjectKey Project(char last) {
  std::string bytes(16, 'p');
  bytes[15] = last;
  return ProjectKey(bytes);
}

SnapshotRecord Record(const ProjectKey& project, std::string_view id,
                      const storage::ChunkId& root) {
  SnapshotRecord r;
  r.project = project;
  r.id = Id(id);
  r.root = root;
  r.host = "node-1";
  r.kind = SnapshotKind::kManual;
  r.files = 78600;
  r.directories = 5000;
  r.bytes = 1'300'000'000;
  r.new_bytes = 4096;
  r.created_ns = r.id.millis() * 1'000'000;
  return r;
}

TEST(SnapshotIdTest, PrintsAndParsesUtcTimes) {
  SnapshotId id = Id("2026-11-25T14:05:03.123Z");
  EXPECT_EQ(id.ToString(), "2026-11-25T14:05:03.123Z");
  EXPECT_EQ(id.millis() % 1000, 123);
  EXPECT_EQ(SnapshotId(1).ToString(), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(SnapshotId(SnapshotId::kMaxMillis).ToString(), "9999-12-31T23:59:59.999Z");
  for (const char* bad : {"2026-02-30T00:00:00.000Z", "2026-11-25T14:05:03.123", "2026-11-25",
                          "2026-11-25 14:05:03.123Z", "2026-11-25T24:00:00.000Z",
                          "x026-11-25T14:05:03.123Z", "1970-01-01T00:00:00.000Z"}) {
    EXPECT_THAT(SnapshotId::Parse(bad), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
  // The text sorts like the number.
  std::vector<int64_t> ms = {1, 999, 1000, 86'400'000, 1'764'079'503'123, SnapshotId::kMaxMillis};
  for (size_t i = 1; i < ms.size(); ++i) {
    EXPECT_LT(SnapshotId(ms[i - 1]).ToString(), SnapshotId(ms[i]).ToString());
  }
}

TEST(SnapshotRecordTest, RoundTripsAndRefusesMalformedRecords) {
  storage::ChunkHasher hasher(storage::SecretKey::Generate());
  SnapshotRecord r = Record(Project('a'), "2026-11-25T14:05:03.123Z", hasher.Hash(AsBytes("root")));
  r.parent = Id("2026-11-25T14:04:53.000Z");
  r.label = "before-refactor";
  ASSERT_OK_AND_ASSIGN(Bytes bytes, EncodeSnapshotRecord(r));
  ASSERT_OK_AND_ASSIGN(SnapshotRecord back, DecodeSnapshotRecord(bytes));
  EXPECT_EQ(back, r);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeSnapshotRecord(ByteView(bytes.data(), n)), StatusIs(StatusCode::kDataLoss));
  }
  Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_THAT(DecodeSnapshotRecord(trailing), StatusMessageHas("trailing bytes"));
  Bytes version = bytes;
  version[0] = 9;
  EXPECT_THAT(DecodeSnapshotRecord(version), StatusMessageHas("unknown snapshot record version 9"));
  Bytes kind = bytes;
  kind[1 + 16 + 8 + 32 + 8] = 4;
  EXPECT_THAT(DecodeSnapshotRecord(kind), StatusMessageHas("unknown kind"));

  SnapshotRecord later_parent = r;
  later_parent.parent = r.id;
  EXPECT_THAT(EncodeSnapshotRecord(later_parent), StatusMessageHas("parent"));
  SnapshotRecord bad_label = r;
  bad_label.label = "2026";
  EXPECT_THAT(EncodeSnapshotRecord(bad_label), StatusMessageHas("must start with a letter"));
  bad_label.label = "latest";
  EXPECT_THAT(EncodeSnapshotRecord(bad_label), StatusMessageHas("reserved"));
  bad_label.label = "a b";
  EXPECT_THAT(EncodeSnapshotRecord(bad_label), StatusIs(StatusCode::kInvalidArgument));
}

class SnapshotStoreRecordsTest : public SnapshotStoreTest {
 protected:
  storage::ChunkId StoredRoot(const std::string& content) {
    auto put = chunks_->Put(storage::ChunkKind::kTree, AsBytes(content));
    EXPECT_TRUE(put.ok());
    return put->id;
  }
};

TEST_F(SnapshotStoreRecordsTest, ListsAProjectsSnapshotsInTimeOrder) {
  storage::ChunkId root = StoredRoot("root");
  ProjectKey p = Project('a'), q = Project('b');
  for (const char* id : {"2026-11-25T14:05:03.123Z", "2025-01-01T00:00:00.000Z",
                         "2026-11-25T14:05:03.124Z", "2030-06-01T12:00:00.000Z"}) {
    ASSERT_OK(snapshots_->Put(Record(p, id, root)));
  }
  ASSERT_OK(snapshots_->Put(Record(q, "2027-01-01T00:00:00.000Z", root)));
  ASSERT_OK_AND_ASSIGN(auto list, snapshots_->List(p));
  std::vector<std::string> ids;
  for (const auto& r : list) ids.push_back(r.id.ToString());
  EXPECT_EQ(ids,
            (std::vector<std::string>{"2025-01-01T00:00:00.000Z", "2026-11-25T14:05:03.123Z",
                                      "2026-11-25T14:05:03.124Z", "2030-06-01T12:00:00.000Z"}));
  ASSERT_OK_AND_ASSIGN(auto latest, snapshots_->Latest(p));
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->id.ToString(), "2030-06-01T12:00:00.000Z");
  ASSERT_OK_AND_ASSIGN(auto latest_q, snapshots_->Latest(q));
  EXPECT_EQ(latest_q->id.ToString(), "2027-01-01T00:00:00.000Z");
  ASSERT_OK_AND_ASSIGN(auto none, snapshots_->Latest(Project('c')));
  EXPECT_FALSE(none);

  ASSERT_OK_AND_ASSIGN(SnapshotRecord got, snapshots_->Get(p, Id("2026-11-25T14:05:03.124Z")));
  EXPECT_EQ(got, Record(p, "2026-11-25T14:05:03.124Z", root));
  ASSERT_OK(snapshots_->Delete(p, got.id));
  EXPECT_THAT(snapshots_->Get(p, got.id), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(snapshots_->DeleteAll(p));
  ASSERT_OK_AND_ASSIGN(auto gone, snapshots_->List(p));
  EXPECT_TRUE(gone.empty());
  ASSERT_OK_AND_ASSIGN(auto still, snapshots_->List(q));
  EXPECT_EQ(still.size(), 1u);
}

TEST_F(SnapshotStoreRecordsTest, RefusesRecordsThatWouldDangleOrCollide) {
  ProjectKey p = Project('a');
  storage::ChunkId missing = chunks_->IdOf(AsBytes("never stored"));
  EXPECT_THAT(snapshots_->Put(Record(p, "2026-11-25T14:05:03.123Z", missing)),
              StatusMessageHas("is not in the store"));
  storage::ChunkId root = StoredRoot("root");
  SnapshotRecord r = Record(p, "2026-11-25T14:05:03.123Z", root);
  r.label = "v1";
  ASSERT_OK(snapshots_->Put(r));
  EXPECT_THAT(snapshots_->Put(r), StatusIs(StatusCode::kAlreadyExists));
  SnapshotRecord same_label = Record(p, "2026-11-25T14:06:00.000Z", root);
  same_label.label = "v1";
  EXPECT_THAT(snapshots_->Put(same_label), StatusMessageHas("label 'v1' names snapshot"));
}

TEST_F(SnapshotStoreRecordsTest, NextIdIsUniqueEvenWhenTheClockRepeatsOrStepsBack) {
  ProjectKey p = Project('a');
  storage::ChunkId root = StoredRoot("root");
  const int64_t now = Id("2026-11-25T14:05:03.123Z").millis();
  ASSERT_OK_AND_ASSIGN(SnapshotId first, snapshots_->NextId(p, now));
  EXPECT_EQ(first.millis(), now);
  SnapshotRecord r = Record(p, first.ToString(), root);
  ASSERT_OK(snapshots_->Put(r));
  ASSERT_OK_AND_ASSIGN(SnapshotId same_ms, snapshots_->NextId(p, now));
  EXPECT_EQ(same_ms.millis(), now + 1);
  ASSERT_OK_AND_ASSIGN(SnapshotId back, snapshots_->NextId(p, now - 60'000));
  EXPECT_EQ(back.millis(), now + 1);
  ASSERT_OK_AND_ASSIGN(SnapshotId later, snapshots_->NextId(p, now + 5000));
  EXPECT_EQ(later.millis(), now + 5000);
}

class SnapshotNameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id :
         {"2026-11-24T23:59:59.999Z", "2026-11-25T14:05:03.123Z", "2026-11-25T14:05:13.500Z",
          "2026-11-25T14:07:00.000Z", "2026-11-25T15:00:00.000Z"}) {
      list_.push_back(Record(ProjectKey(), id, storage::ChunkId()));
    }
    list_[1].label = "submitted";
  }
  std::string Resolve(std::string_view name) {
    auto r = ResolveSnapshotName(list_, name);
    return r.ok() ? r->id.ToString() : r.status().ToString();
  }
  std::vector<SnapshotRecord> list_;
};

TEST_F(SnapshotNameTest, ResolvesEveryKindOfName) {
  EXPECT_EQ(Resolve("latest"), "2026-11-25T15:00:00.000Z");
  EXPECT_EQ(Resolve("-0"), "2026-11-25T15:00:00.000Z");
  EXPECT_EQ(Resolve("-2"), "2026-11-25T14:05:13.500Z");
  EXPECT_EQ(Resolve("-4"), "2026-11-24T23:59:59.999Z");
  EXPECT_EQ(Resolve("2026-11-25T14:05:03.123Z"), "2026-11-25T14:05:03.123Z");
  // A whole field: the newest snapshot in that period.
  EXPECT_EQ(Resolve("2026-11-25T14:05"), "2026-11-25T14:05:13.500Z");
  EXPECT_EQ(Resolve("2026-11-25T14"), "2026-11-25T14:07:00.000Z");
  EXPECT_EQ(Resolve("2026-11-24"), "2026-11-24T23:59:59.999Z");
  EXPECT_EQ(Resolve("2026"), "2026-11-25T15:00:00.000Z");
  // A prefix inside a field must be unique.
  EXPECT_EQ(Resolve("2026-11-25T14:07:0"), "2026-11-25T14:07:00.000Z");
  EXPECT_EQ(Resolve("2026-11-24T2"), "2026-11-24T23:59:59.999Z");
  EXPECT_EQ(Resolve("submitted"), "2026-11-25T14:05:03.123Z");
}

TEST_F(SnapshotNameTest, AmbiguousOrUnknownNamesListTheCandidates) {
  auto ambiguous = ResolveSnapshotName(list_, "2026-11-25T14:0");
  EXPECT_THAT(ambiguous, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ambiguous.status().message(), HasSubstr("matches 3 snapshots"));
  EXPECT_THAT(ambiguous.status().message(),
              HasSubstr("2026-11-25T14:07:00.000Z, 2026-11-25T14:05:13.500Z, "
                        "2026-11-25T14:05:03.123Z (submitted)"));

  auto none = ResolveSnapshotName(list_, "2027");
  EXPECT_THAT(none, StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(none.status().message(), HasSubstr("2026-11-25T15:00:00.000Z"));
  EXPECT_THAT(ResolveSnapshotName(list_, "-5"), StatusMessageHas("only 5"));
  EXPECT_THAT(ResolveSnapshotName(list_, "-x"), StatusIs(StatusCode::kInvalidArgument));
  auto label = ResolveSnapshotName(list_, "final");
  EXPECT_THAT(label, StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(label.status().message(),
              HasSubstr("labelled: 2026-11-25T14:05:03.123Z (submitted)"));
  EXPECT_THAT(ResolveSnapshotName(list_, "a b"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveSnapshotName({}, "latest"), StatusMessageHas("no snapshots"));
}

TEST_F(SnapshotStoreRecordsTest, ResolvesNamesThroughTheStore) {
  ProjectKey p = Project('a');
  storage::ChunkId root = StoredRoot("root");
  ASSERT_OK(snapshots_->Put(Record(p, "2026-11-25T14:05:03.123Z", root)));
  ASSERT_OK(snapshots_->Put(Record(p, "2026-11-25T14:05:13.123Z", root)));
  ASSERT_OK_AND_ASSIGN(SnapshotRecord r, ResolveSnapshotName(*snapshots_, p, "-1"));
  EXPECT_EQ(r.id.ToString(), "2026-11-25T14:05:03.123Z");
}

}  // namespace
}  // namespace berth::snapshot
