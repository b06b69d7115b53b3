#include "cluster/embedded_catalog.h"

#include <cctype>

#include "cluster/project_json.h"

namespace berth::cluster {

namespace {
constexpr char kProjectPrefix[] = "project/";
constexpr char kNamePrefix[] = "name/";

std::string ProjectKey(const fs::ProjectId& id) { return kProjectPrefix + std::string(id.key()); }
std::string NameKey(std::string_view name) { return kNamePrefix + std::string(name); }

Status FromRocks(const std::string& what, const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  return UnavailableError(what + ": " + s.ToString());
}
}  // namespace

Status ValidateProjectName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("project name '" + std::string(name) + "' " + why);
  };
  if (name.empty() || name.size() > 64) return bad("must be 1 to 64 bytes");
  if (name[0] == '.' || name[0] == '-') return bad("must not start with '.' or '-'");
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return bad("may hold only letters, digits, '.', '_' and '-'");
    }
  }
  if (fs::ProjectId::Parse(name).ok()) return bad("looks like a project id");
  return Status::Ok();
}

EmbeddedCatalog::EmbeddedCatalog(storage::Database* db)
    : db_(db), family_(db->Family(kCatalogFamily)) {}

Result<std::unique_ptr<EmbeddedCatalog>> EmbeddedCatalog::Open(storage::Database* db) {
  if (db->Family(kCatalogFamily) == nullptr) {
    return FailedPreconditionError("database lacks column family " + std::string(kCatalogFamily));
  }
  return std::unique_ptr<EmbeddedCatalog>(new EmbeddedCatalog(db));
}

Result<ProjectRecord> EmbeddedCatalog::GetById(const fs::ProjectId& id) {
  std::string value;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), family_, ProjectKey(id), &value);
  if (s.IsNotFound()) return NotFoundError("no project with id " + id.ToString());
  RETURN_IF_ERROR(FromRocks("read catalog", s));
  auto json = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  auto record = ProjectFromJson(json);
  if (!record.ok()) return DataLossError("catalog record of " + id.ToString() + ": " +
                                         record.status().message());
  return record;
}

Status EmbeddedCatalog::CreateProject(const ProjectRecord& project) {
  RETURN_IF_ERROR(ValidateProjectName(project.name));
  std::lock_guard<std::mutex> lock(mu_);
  std::string existing;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), family_, NameKey(project.name), &existing);
  if (s.ok()) return AlreadyExistsError("a project named '" + project.name + "' exists");
  if (!s.IsNotFound()) return FromRocks("read catalog", s);
  if (GetById(project.id).ok()) return AlreadyExistsError("project id " + project.id.ToString() + " exists");
  rocksdb::WriteBatch batch;
  batch.Put(family_, ProjectKey(project.id), ProjectToJson(project).dump());
  batch.Put(family_, NameKey(project.name), std::string(project.id.key()));
  return db_->Write(&batch, /*sync=*/true);
}

Result<ProjectRecord> EmbeddedCatalog::GetProject(std::string_view id_or_name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto id = fs::ProjectId::Parse(id_or_name); id.ok()) return GetById(*id);
  std::string raw;
  rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), family_, NameKey(id_or_name), &raw);
  if (s.IsNotFound()) return NotFoundError("no project named '" + std::string(id_or_name) + "'");
  RETURN_IF_ERROR(FromRocks("read catalog", s));
  if (raw.size() != fs::ProjectId::kSize) return DataLossError("corrupt catalog name entry");
  return GetById(fs::ProjectId::FromBytes(AsBytes(raw)));
}

Result<std::vector<ProjectRecord>> EmbeddedCatalog::ListProjects() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ProjectRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db()->NewIterator(rocksdb::ReadOptions(), family_));
  for (it->Seek(kProjectPrefix); it->Valid() && it->key().starts_with(kProjectPrefix); it->Next()) {
    auto json = nlohmann::json::parse(it->value().ToStringView(), nullptr, false);
    ASSIGN_OR_RETURN(ProjectRecord record, ProjectFromJson(json));
    out.push_back(std::move(record));
  }
  RETURN_IF_ERROR(FromRocks("list catalog", it->status()));
  return out;
}

Status EmbeddedCatalog::UpdateProject(const ProjectRecord& project) {
  RETURN_IF_ERROR(ValidateProjectName(project.name));
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord old, GetById(project.id));
  rocksdb::WriteBatch batch;
  if (old.name != project.name) {
    std::string taken;
    rocksdb::Status s = db_->db()->Get(rocksdb::ReadOptions(), family_, NameKey(project.name), &taken);
    if (s.ok()) return AlreadyExistsError("a project named '" + project.name + "' exists");
    batch.Delete(family_, NameKey(old.name));
    batch.Put(family_, NameKey(project.name), std::string(project.id.key()));
  }
  batch.Put(family_, ProjectKey(project.id), ProjectToJson(project).dump());
  return db_->Write(&batch, /*sync=*/true);
}

Status EmbeddedCatalog::DeleteProject(const fs::ProjectId& id) {
  std::lock_guard<std::mutex> lock(mu_);
  ASSIGN_OR_RETURN(ProjectRecord old, GetById(id));
  rocksdb::WriteBatch batch;
  batch.Delete(family_, ProjectKey(id));
  batch.Delete(family_, NameKey(old.name));
  return db_->Write(&batch, /*sync=*/true);
}

}  // namespace berth::cluster
