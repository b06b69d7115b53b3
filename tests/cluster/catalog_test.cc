#include "cluster/embedded_catalog.h"

#include <gtest/gtest.h>

#include "cluster/project_json.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace berth::cluster {
namespace {

using berth::testing::StatusIs;
using berth::testing::TempDir;

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(Reopen()); }
  Status Reopen() {
    catalog_.reset();
    db_.reset();
    storage::DatabaseOptions options;
    options.extra_families = {kCatalogFamily};
    ASSIGN_OR_RETURN(db_, storage::Database::Open(dir_.Sub("db"), options));
    ASSIGN_OR_RETURN(catalog_, EmbeddedCatalog::Open(db_.get()));
    return Status::Ok();
  }
  ProjectRecord Make(const std::string& name) {
    ProjectRecord p;
    p.id = fs::ProjectId::Generate();
    p.name = name;
    p.quota_bytes = 1 << 30;
    p.created_ms = 1234;
    return p;
  }
  TempDir dir_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<EmbeddedCatalog> catalog_;
};

TEST_F(CatalogTest, CreateGetByNameAndIdListSurvivesReopen) {
  ProjectRecord a = Make("alpha"), b = Make("beta");
  b.io.iops = 500;
  ASSERT_OK(catalog_->CreateProject(a));
  ASSERT_OK(catalog_->CreateProject(b));
  ASSERT_OK(Reopen());
  ASSERT_OK_AND_ASSIGN(ProjectRecord by_name, catalog_->GetProject("beta"));
  EXPECT_EQ(by_name.id, b.id);
  EXPECT_EQ(by_name.io.iops, 500u);
  ASSERT_OK_AND_ASSIGN(ProjectRecord by_id, catalog_->GetProject(a.id.ToString()));
  EXPECT_EQ(by_id.name, "alpha");
  EXPECT_EQ(by_id.quota_bytes, 1u << 30);
  ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListProjects());
  EXPECT_EQ(all.size(), 2u);
}

TEST_F(CatalogTest, ContainerLimitsAndRunningSurviveReopen) {
  ProjectRecord p = Make("limited");
  p.running = true;
  p.limits = {.memory_bytes = 2ull << 30, .swap_bytes = 1 << 30, .cpu_cores = 1.5,
              .cpu_weight = 200, .pids = 512, .blkio_weight = 300};
  p.network_address = "100.80.0.9/16";
  ASSERT_OK(catalog_->CreateProject(p));
  ASSERT_OK(Reopen());
  auto got = catalog_->GetProject("limited");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->running);
  EXPECT_EQ(got->limits, p.limits);
  EXPECT_EQ(got->network_address, "100.80.0.9/16");
}

TEST_F(CatalogTest, RecordsWithoutContainerFieldsReadAsStoppedAndUnlimited) {
  ProjectRecord p = Make("old");
  nlohmann::json j = ProjectToJson(p);
  j.erase("running");
  j.erase("limits");
  j.erase("network_address");
  auto back = ProjectFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->running);
  EXPECT_EQ(back->limits, ContainerLimits{});
  EXPECT_EQ(back->network_address, "");
}

TEST_F(CatalogTest, NamesAreUniqueAndValid) {
  ASSERT_OK(catalog_->CreateProject(Make("alpha")));
  EXPECT_THAT(catalog_->CreateProject(Make("alpha")), StatusIs(StatusCode::kAlreadyExists));
  for (const char* bad : {"", "-x", ".hidden", "a/b", "sp ace"}) {
    EXPECT_THAT(catalog_->CreateProject(Make(bad)), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(catalog_->CreateProject(Make(fs::ProjectId::Generate().ToString())),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST_F(CatalogTest, UnknownProjectIsNotFound) {
  EXPECT_THAT(catalog_->GetProject("nope"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(catalog_->GetProject(fs::ProjectId::Generate().ToString()),
              StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(catalog_->DeleteProject(fs::ProjectId::Generate()),
              StatusIs(StatusCode::kNotFound));
}

TEST_F(CatalogTest, UpdateRenamesAndDeleteFreesTheName) {
  ProjectRecord a = Make("alpha");
  ASSERT_OK(catalog_->CreateProject(a));
  ASSERT_OK(catalog_->CreateProject(Make("beta")));
  a.name = "beta";
  EXPECT_THAT(catalog_->UpdateProject(a), StatusIs(StatusCode::kAlreadyExists));
  a.name = "gamma";
  a.mounted = true;
  ASSERT_OK(catalog_->UpdateProject(a));
  EXPECT_THAT(catalog_->GetProject("alpha"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(ProjectRecord g, catalog_->GetProject("gamma"));
  EXPECT_TRUE(g.mounted);
  ASSERT_OK(catalog_->DeleteProject(a.id));
  EXPECT_THAT(catalog_->GetProject("gamma"), StatusIs(StatusCode::kNotFound));
  ASSERT_OK(catalog_->CreateProject(Make("gamma")));
}

}  // namespace
}  // namespace berth::cluster
