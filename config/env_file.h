// The `.env` file beside the config file: KEY=VALUE lines.
//
//   # comment
//   export CONNECTWISE_CPQ_PRIVATE_KEY="s3cr3t"
//   ACME_PSA_KEY='single quoted, taken literally'
//
// Blank lines and lines starting with '#' are skipped; an optional `export `
// prefix is dropped; whitespace around KEY and around an unquoted VALUE is
// trimmed; a VALUE in matching single or double quotes is taken verbatim
// (double quotes also understand \" \\ \n). Unquoted values end at " #".
// No variable expansion. Thread-safe (pure).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cwsync {

struct EnvFile {
  std::map<std::string, std::string> values;  // later lines win
  // 1-based line numbers of lines that are not KEY=VALUE. The line text is
  // not kept: it may hold a secret.
  std::vector<int> bad_lines;
};

// Parses the text of a .env file. Never fails; see bad_lines.
EnvFile parse_env_file(std::string_view text);

// True for a valid environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view name);

}  // namespace cwsync
