// Internal to the config loader: environment lookup and secret resolution.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/config_reader.h"

namespace cwsync::config_detail {

struct EnvValue {
  std::string value;
  bool from_dotenv = false;
};

// Environment variables as the loader sees them: the real (or injected)
// environment first, then the .env file beside the config.
class EnvLookup {
 public:
  EnvLookup(const ConfigEnvironment& env, std::map<std::string, std::string> dotenv);

  // The value, or nullopt when neither source has `name`.
  std::optional<EnvValue> get(const std::string& name) const;
  // Like get(), but an empty value counts as unset (for optional overrides).
  std::optional<EnvValue> get_nonempty(const std::string& name) const;

 private:
  ConfigEnvironment env_;
  std::map<std::string, std::string> dotenv_;
};

// "env NAME" or "env NAME (.env)": where a value came from, for summaries.
std::string env_source(const std::string& name, const EnvValue& value);

struct ResolvedSecret {
  Secret value;
  std::string source;  // "inline", "file /path", "env NAME", ...
};

// Resolves the secret `base` of `section` from exactly one of `base`,
// `base`_file and `base`_env. When `override_var` is non-empty and set in the
// environment, it wins and no file is read. A relative `base`_file path is
// taken against $CREDENTIALS_DIRECTORY when set, else `config_dir`.
// Problems (never the secret itself): several sources, unreadable or empty
// file, unset variable, missing altogether. A `base`_env value that is not a
// variable name, and a `base`_file value without a '/', are never repeated:
// either may be the key pasted into the wrong key. Returns nullopt on any problem.
std::optional<ResolvedSecret> resolve_secret(const MapReader& section, std::string_view base,
                                             const EnvLookup& env,
                                             const std::filesystem::path& config_dir,
                                             const std::string& override_var);

// Reads a secret file without blocking (a FIFO or device is refused, see
// config_files.h): trailing CR/LF stripped. On failure returns nullopt and
// sets `error` to a message naming the file as `shown` (never the content).
std::optional<std::string> read_secret_file(const std::filesystem::path& path,
                                            const std::string& shown, std::string& error);

}  // namespace cwsync::config_detail
