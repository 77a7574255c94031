// tenants_dir: one tenant per *.yaml file, each validated on its own so a
// broken file disables that tenant only. Also the file helpers the main
// loader shares with it.
#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "config/config_checks.h"
#include "config/config_tenants.h"

namespace cwsync::config_detail {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const fs::path& path, std::string& error,
                                     const FileFix& fix) {
  // Far more than any config; a bigger file is the wrong file (or /dev/zero).
  constexpr std::size_t kMaxConfigFile = 16 * 1024 * 1024;
  auto result = read_regular_file(path, kMaxConfigFile);
  if (auto* text = std::get_if<std::string>(&result)) return std::move(*text);
  const auto& e = std::get<FileReadError>(result);
  error = e.describe();
  if (const std::string how = fix ? fix(e) : std::string(); !how.empty()) error += "; " + how;
  return std::nullopt;
}

std::optional<YAML::Node> parse_yaml_map(const std::string& path, Problems& problems,
                                         const std::string& expected, const FileFix& fix) {
  std::string error;
  const auto text = read_text(path, error, fix);
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

// *.yaml and *.yml, sorted, skipping editor backups and hidden files. Every
// other entry is listed whatever it is (directory, FIFO, dangling symlink):
// reading it reports the problem, so nothing is skipped silently.
std::vector<fs::path> tenant_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const fs::path& p = e.path();
    const std::string name = p.filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (p.extension() != ".yaml" && p.extension() != ".yml") continue;
    out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What to do about a tenants_dir entry that could not be read.
std::string tenant_file_fix(const FileReadError& e) {
  switch (e.fault) {
    case FileFault::kOpen:
      return e.symlink_target.empty() ? "make it readable by the user cwsync runs as, or remove it"
                                      : "fix the link or remove it";
    case FileFault::kNotRegular:
      return "expected one tenant's YAML file (a regular file); remove it, or rename it so its "
             "name does not end in .yaml or .yml";
    case FileFault::kTooLarge: return "expected one tenant's YAML file";
    case FileFault::kRead: return {};
  }
  return {};
}

// `text` safe to print on a terminal or in a log: bytes outside printable
// ASCII become \xNN, so a file name cannot forge a line of output.
std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    }
  }
  return out;
}

// `name` defaults to the file name, which the admin chose with no check:
// it becomes the `tenant` column, a metric label and a log field.
void check_file_name(const MapReader& root, const std::string& stem, Problems& problems) {
  if (root.has("name") || is_tenant_name(stem)) return;
  problems.add(0, "name",
               "the tenant name comes from the file name, and '" + printable(stem) +
                   "' is not a valid tenant name; expected 1 to 64 of a-z, 0-9, _ and - (lower "
                   "case). Rename the file (e.g. acme.yaml) or set name: in it");
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
    if (auto doc = parse_yaml_map(path, problems, "one tenant: a map with a cpq and/or psa section",
                                  tenant_file_fix)) {
      const MapReader root(problems, *doc, "", 1, kTenantKeys);
      check_file_name(root, stem, problems);
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
    // A tenant file's warnings (a world-readable key file, say) are the
    // config's, as they would be in the main file; disabled or not.
    ctx.problems.add_warnings(problems.take_warnings());
    if (problems.empty()) {
      tenant.source_file = path;
      config.tenants.push_back(std::move(tenant));
    } else {
      // Never an unchecked name: it is shown by status and logged.
      const bool named = is_tenant_name(tenant.name);
      config.disabled_tenants.push_back(
          {named ? tenant.name : printable(stem), path, problems.take()});
    }
  }
}

}  // namespace cwsync::config_detail
