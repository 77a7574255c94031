#include "config/config_secrets.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <variant>

#include "config/config_files.h"
#include "config/env_file.h"

namespace cwsync::config_detail {
namespace {

// A key file is a line of text; anything much bigger is the wrong file.
constexpr std::size_t kMaxSecretFile = 64 * 1024;

// A *_file value without a '/' may be the key itself, pasted into the wrong
// key: such a value is never repeated in a problem. With a '/' it is a path,
// and naming it is what helps.
bool looks_like_path(std::string_view raw) { return raw.find('/') != std::string_view::npos; }

// Upper-case words joined by underscores ("ACME_CPQ_PRIVATE_KEY"): what
// operators name variables, and unlike a generated key.
bool is_conventional_env_name(std::string_view name) {
  if (name.empty() || name.front() == '_' || name.back() == '_') return false;
  bool underscore = false;
  for (char c : name) {
    if (c == '_') {
      underscore = true;
    } else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return false;
    }
  }
  return underscore && !(name.front() >= '0' && name.front() <= '9');
}

// How a problem names a key file whose value is not shown.
std::string unnamed_file(const std::string& key, const std::filesystem::path& dir) {
  std::string out = "the file named in " + key;
  if (!dir.empty()) out += " (looked up in " + dir.string() + ")";
  return out;
}

// Why a value is missing from the problem, and what to do if it is the key.
std::string pasted_hint(const std::string& base) {
  return " (the value is not shown: it may be the secret itself; if you pasted the key here, "
         "move it to " + base + ", or put it in a file only cwsync can read and give that "
         "file's path in " + base + "_file)";
}

std::string sources_text(std::string_view base) {
  const std::string b(base);
  return b + "_file, " + b + "_env or " + b;
}

// A key file anyone on the host may read is a leaked key waiting to happen;
// the inline-key rule refuses the same thing in the YAML. Only a warning:
// refusing would stop a running service at its next reload.
void warn_if_world_readable(const std::filesystem::path& path, const Field& field,
                            Problems& problems) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & S_IROTH) == 0) return;
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  problems.warn(field.line, field.path,
                "key file " + path.string() + " is readable by everyone (mode " + mode +
                    "); run `chmod 600 " + path.string() +
                    "` (or 640 with group cwsync), or use systemd LoadCredential=");
}

}  // namespace

EnvLookup::EnvLookup(const ConfigEnvironment& env, std::map<std::string, std::string> dotenv)
    : env_(env), dotenv_(std::move(dotenv)) {
  if (!env_.getenv) {
    env_.getenv = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
}

std::optional<EnvValue> EnvLookup::get(const std::string& name) const {
  if (auto v = env_.getenv(name)) return EnvValue{std::move(*v), false};
  if (auto it = dotenv_.find(name); it != dotenv_.end()) return EnvValue{it->second, true};
  return std::nullopt;
}

std::optional<EnvValue> EnvLookup::get_nonempty(const std::string& name) const {
  // An empty real variable must not hide a value in .env: people blank a
  // variable in a unit file to mean "not set here".
  if (auto v = env_.getenv(name); v && !v->empty()) return EnvValue{std::move(*v), false};
  if (auto it = dotenv_.find(name); it != dotenv_.end() && !it->second.empty()) {
    return EnvValue{it->second, true};
  }
  return std::nullopt;
}

std::string env_source(const std::string& name, const EnvValue& value) {
  return "env " + name + (value.from_dotenv ? " (.env)" : "");
}

std::optional<std::string> read_secret_file(const std::filesystem::path& path,
                                            const std::string& shown, std::string& error) {
  constexpr std::string_view kExpected = "; expected a file holding just the key";
  auto result = read_regular_file(path, kMaxSecretFile);
  if (auto* e = std::get_if<FileReadError>(&result)) {
    const bool plain_errno = e->fault == FileFault::kRead ||
                             (e->fault == FileFault::kOpen && e->symlink_target.empty());
    if (plain_errno) {
      error = "cannot read " + shown + ": " + std::generic_category().message(e->error);
    } else {
      error = shown + " " + e->describe() + std::string(kExpected);
    }
    return std::nullopt;
  }
  std::string content = std::move(std::get<std::string>(result));
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  if (content.empty()) {
    error = shown + " is empty; expected the key on one line";
    return std::nullopt;
  }
  return content;
}

std::optional<ResolvedSecret> resolve_secret(const MapReader& section, std::string_view base,
                                             const EnvLookup& env,
                                             const std::filesystem::path& config_dir,
                                             const std::string& override_var) {
  Problems& problems = section.problems();
  const std::string b(base);
  const auto inline_field = section.find(b);
  const auto file_field = section.find(b + "_file");
  const auto env_field = section.find(b + "_env");

  const int count = int{inline_field.has_value()} + int{file_field.has_value()} +
                    int{env_field.has_value()};
  if (count > 1) {
    // Point at the last of them: the first is usually the intended one.
    const Field& last = env_field ? *env_field : *file_field;
    problems.add(last.line, last.path,
                 "conflicts with another source of " + b + "; give exactly one of " +
                     sources_text(base));
    return std::nullopt;
  }

  if (!override_var.empty()) {
    if (auto v = env.get_nonempty(override_var)) {
      return ResolvedSecret{Secret(std::move(v->value)), env_source(override_var, *v)};
    }
  }

  if (inline_field) {
    std::string value;
    if (!section.read_string(b, value, "the key")) return std::nullopt;
    return ResolvedSecret{Secret(std::move(value)), "inline"};
  }

  if (file_field) {
    std::string raw;
    if (!section.read_string(b + "_file", raw, "a file path")) return std::nullopt;
    std::filesystem::path path(raw);
    std::filesystem::path base_dir;
    if (path.is_relative()) {
      const auto creds = env.get_nonempty("CREDENTIALS_DIRECTORY");
      base_dir = creds ? std::filesystem::path(creds->value) : config_dir;
      path = base_dir / path;
    }
    const bool show = looks_like_path(raw);
    std::string error;
    auto content = read_secret_file(
        path, show ? "'" + path.string() + "'" : unnamed_file(b + "_file", base_dir), error);
    if (!content) {
      if (!show) error += pasted_hint(b);
      problems.add(file_field->line, file_field->path, error);
      return std::nullopt;
    }
    warn_if_world_readable(path, *file_field, problems);
    return ResolvedSecret{Secret(std::move(*content)), "file " + path.string()};
  }

  if (env_field) {
    std::string name;
    if (!section.read_string(b + "_env", name, "an environment variable name")) {
      return std::nullopt;
    }
    if (!is_env_name(name)) {
      problems.add(env_field->line, env_field->path,
                   "is not a variable name; expected [A-Za-z_][A-Za-z0-9_]*" + pasted_hint(b));
      return std::nullopt;
    }
    const auto v = env.get(name);
    if (!v || v->value.empty()) {
      // A key pasted here can be a valid variable name too (letters and
      // digits); only a conventional name (upper case, words joined by '_',
      // like ACME_CPQ_PRIVATE_KEY) is repeated.
      const bool show = is_conventional_env_name(name);
      problems.add(env_field->line, env_field->path,
                   (show ? "environment variable " + name
                         : "the environment variable named in " + b + "_env") +
                       (v ? " is empty" : " is not set (neither in the environment nor in .env)") +
                       (show ? std::string() : pasted_hint(b)));
      return std::nullopt;
    }
    return ResolvedSecret{Secret(v->value), env_source(name, *v)};
  }

  std::string hint = "missing; set " + sources_text(base);
  if (!override_var.empty()) hint += ", or the environment variable " + override_var;
  problems.add(section.line(), section.child(b), hint);
  return std::nullopt;
}

}  // namespace cwsync::config_detail
