#ifndef BERTH_CLUSTER_EMBEDDED_CATALOG_H_
#define BERTH_CLUSTER_EMBEDDED_CATALOG_H_

#include <memory>
#include <mutex>

#include "cluster/catalog.h"
#include "storage/database.h"

namespace berth::cluster {

inline constexpr char kCatalogFamily[] = "catalog";

// The single-node catalog, in the node's own RocksDB (column family "catalog"):
//   "project/" + 16-byte id -> the record as JSON
//   "name/" + name          -> 16-byte id
// Record and name index change in one WriteBatch. Thread-safe (one mutex).
class EmbeddedCatalog : public Catalog {
 public:
  // `db` must have been opened with kCatalogFamily; borrowed, must outlive the catalog.
  static Result<std::unique_ptr<EmbeddedCatalog>> Open(storage::Database* db);

  Status CreateProject(const ProjectRecord& project) override;
  Result<ProjectRecord> GetProject(std::string_view id_or_name) override;
  Result<std::vector<ProjectRecord>> ListProjects() override;
  Status UpdateProject(const ProjectRecord& project) override;
  Status DeleteProject(const fs::ProjectId& id) override;

 private:
  explicit EmbeddedCatalog(storage::Database* db);
  Result<ProjectRecord> GetById(const fs::ProjectId& id);

  storage::Database* const db_;
  rocksdb::ColumnFamilyHandle* const family_;
  std::mutex mu_;  // makes check-then-write (unique names) atomic
};

}  // namespace berth::cluster

#endif  // BERTH_CLUSTER_EMBEDDED_CATALOG_H_
