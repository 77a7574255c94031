#include "config/env_file.h"

#include <optional>

namespace cwsync {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Reads a quoted value starting at s[0] (the quote). Returns nullopt when the
// closing quote is missing or followed by anything but a comment.
std::optional<std::string> unquote(std::string_view s) {
  const char quote = s[0];
  std::string out;
  std::size_t i = 1;
  for (; i < s.size() && s[i] != quote; ++i) {
    if (quote == '"' && s[i] == '\\' && i + 1 < s.size()) {
      const char next = s[++i];
      out += next == 'n' ? '\n' : next;
      continue;
    }
    out += s[i];
  }
  if (i == s.size()) return std::nullopt;
  const std::string_view rest = trim(s.substr(i + 1));
  if (!rest.empty() && rest[0] != '#') return std::nullopt;
  return out;
}

}  // namespace

bool is_env_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

EnvFile parse_env_file(std::string_view text) {
  EnvFile result;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);

    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) line = trim(line.substr(7));

    const auto eq = line.find('=');
    const std::string_view key = eq == std::string_view::npos ? line : trim(line.substr(0, eq));
    if (eq == std::string_view::npos || !is_env_name(key)) {
      result.bad_lines.push_back(line_no);
      continue;
    }
    std::string_view raw = trim(line.substr(eq + 1));
    std::string value;
    if (!raw.empty() && (raw[0] == '"' || raw[0] == '\'')) {
      auto unquoted = unquote(raw);
      if (!unquoted) {
        result.bad_lines.push_back(line_no);
        continue;
      }
      value = std::move(*unquoted);
    } else {
      // An unquoted value ends at " #", as in shells and docker's env files.
      const auto comment = raw.find(" #");
      value = std::string(trim(raw.substr(0, comment)));
    }
    result.values[std::string(key)] = std::move(value);
  }
  return result;
}

}  // namespace cwsync
