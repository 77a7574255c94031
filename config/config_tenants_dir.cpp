// tenants_dir: one tenant per *.yaml file, each validated on its own so a
// broken file disables that tenant only. Also the file helpers the main
// loader shares with it.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "config/config_tenants.h"

namespace cwsync::config_detail {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const fs::path& path, std::string& error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    // ifstream opens a directory and reads nothing: it would pass for an empty file.
    error = "is a directory; expected the YAML config file, e.g. " + (path / "cwsync.yaml").string();
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot read: ") + std::generic_category().message(errno);
    return std::nullopt;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    error = "cannot read: I/O error";
    return std::nullopt;
  }
  return buf.str();
}

std::optional<YAML::Node> parse_yaml_map(const std::string& path, Problems& problems,
                                         const std::string& expected) {
  std::string error;
  const auto text = read_text(path, error);
  if (!text) {
    problems.add(0, "", error);
    return std::nullopt;
  }
  YAML::Node doc;
  try {
    doc = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    problems.add(e.mark.is_null() ? 0 : e.mark.line + 1, "", "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  if (!doc.IsMap()) {
    problems.add(doc.IsNull() ? 0 : line_of(doc), "",
                 doc.IsNull() ? "the file is empty; expected " + expected
                              : "expected " + expected + " at the top, got " + kind_of(doc));
    return std::nullopt;
  }
  return doc;
}

void check_world_readable(const LoadContext& ctx, const std::string& path, Problems& problems) {
  if (!ctx.inline_secret) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & S_IROTH) == 0) return;
  problems.add(ctx.inline_secret->line, ctx.inline_secret->path,
               "file is world-readable and holds secrets; run `chmod 640 " + path +
                   "` or move the key to private_key_file");
}

namespace {

// *.yaml and *.yml, sorted, skipping editor backups and hidden files.
std::vector<fs::path> tenant_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const fs::path& p = e.path();
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (p.extension() != ".yaml" && p.extension() != ".yml") continue;
    if (!e.is_regular_file(ec)) continue;
    out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string where_defined(const Tenant& t) {
  return t.source_file.empty() ? std::string("the main config file") : t.source_file;
}

}  // namespace

void read_tenants_dir(LoadContext& ctx, const fs::path& dir, Config& config) {
  for (const fs::path& file : tenant_files(dir)) {
    const std::string path = file.string();
    const std::string stem = file.stem().string();
    Problems problems(path);
    LoadContext fctx{problems, ctx.env, dir, std::nullopt};
    Tenant tenant;
    if (auto doc = parse_yaml_map(path, problems, "one tenant: a map with a cpq and/or psa section")) {
      const MapReader root(problems, *doc, "", 1, kTenantKeys);
      tenant = read_tenant(fctx, root, config.defaults, /*single=*/false, stem);
      if (!tenant.name.empty()) {
        if (const Tenant* other = config.find_tenant(tenant.name)) {
          const auto f = root.find("name");
          problems.add(f ? f->line : 0, "name",
                       "duplicate tenant name '" + tenant.name + "'; it is already used by " +
                           where_defined(*other));
        }
      }
      check_world_readable(fctx, path, problems);
    }
    if (problems.empty()) {
      tenant.source_file = path;
      config.tenants.push_back(std::move(tenant));
    } else {
      config.disabled_tenants.push_back(
          {tenant.name.empty() ? stem : tenant.name, path, problems.take()});
    }
  }
}

}  // namespace cwsync::config_detail
