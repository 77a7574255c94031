#include "config/config_reader.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <set>
#include <tuple>

#include "config/duration.h"

namespace cwsync::config_detail {
namespace {

// Optimal-string-alignment distance: a swapped pair ("base_ulr") costs 1,
// which is the typo people actually make.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string join(const Keys& keys) {
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

std::string range_text(long long min, long long max) {
  if (max == INT_MAX) return "a whole number of at least " + std::to_string(min);
  return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

void Problems::add(int line, std::string key, std::string message) {
  add_in(file_, line, std::move(key), std::move(message));
}

void Problems::add_in(std::string file, int line, std::string key, std::string message) {
  problems_.push_back({std::move(file), line, std::move(key), std::move(message)});
}

void Problems::warn(int line, std::string key, std::string message) {
  warnings_.push_back({file_, line, std::move(key), std::move(message)});
}

std::vector<ConfigProblem> Problems::take() {
  // Found in walk order (defaults before tenants, secrets last); an admin
  // reads the file top to bottom.
  std::stable_sort(problems_.begin(), problems_.end(),
                   [this](const ConfigProblem& a, const ConfigProblem& b) {
                     return std::make_tuple(a.file != file_, a.file, a.line) <
                            std::make_tuple(b.file != file_, b.file, b.line);
                   });
  return std::move(problems_);
}

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "nothing";
  }
}

std::string closest_key(std::string_view word, const Keys& known) {
  std::string best;
  std::size_t best_distance = SIZE_MAX;
  for (const auto& k : known) {
    const std::size_t d = edit_distance(word, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  // A plausible typo: a couple of edits, or a third of the word for long keys.
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  return best_distance <= limit ? best : std::string();
}

MapReader::MapReader(Problems& problems, const YAML::Node& map, std::string path, int line,
                     const Keys& known)
    : problems_(&problems), path_(std::move(path)), line_(line) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const int key_line = line_of(it->first);
    if (!it->first.IsScalar()) {
      problems.add(key_line, path_, "a key must be a plain name, got " + kind_of(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    const std::string key_path = child(key);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      const std::string guess = closest_key(key, known);
      problems.add(key_line, key_path,
                   guess.empty() ? "unknown key; expected one of: " + join(known)
                                 : "unknown key; did you mean '" + guess + "'?");
      continue;
    }
    if (!seen.insert(key).second) {
      const auto first = std::find_if(entries_.begin(), entries_.end(),
                                      [&](const Entry& e) { return e.key == key; });
      problems.add(key_line, key_path,
                   "duplicate key; it is already set on line " + std::to_string(first->line));
      continue;
    }
    entries_.push_back({key, key_line, it->second});
  }
}

std::string MapReader::child(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::optional<Field> MapReader::find(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.key == key) return Field{e.value, child(key), e.line};
  }
  return std::nullopt;
}

std::optional<std::pair<std::string, Field>> MapReader::scalar(std::string_view key,
                                                               std::string_view what) const {
  auto field = find(key);
  if (!field) return std::nullopt;
  if (field->node.IsNull()) {
    problems_->add(field->line, field->path,
                   "has no value; expected " + std::string(what) + " (or remove the key)");
    return std::nullopt;
  }
  if (!field->node.IsScalar()) {
    problems_->add(field->line, field->path,
                   "expected " + std::string(what) + ", got " + kind_of(field->node));
    return std::nullopt;
  }
  std::string text = field->node.Scalar();
  return std::make_pair(std::move(text), std::move(*field));
}

bool MapReader::read_string(std::string_view key, std::string& out, std::string_view what) const {
  auto v = scalar(key, what);
  if (!v) return false;
  if (v->first.empty()) {
    problems_->add(v->second.line, v->second.path, "is empty; expected " + std::string(what));
    return false;
  }
  out = std::move(v->first);
  return true;
}

bool MapReader::read_int(std::string_view key, int& out, int min, int max) const {
  const std::string expected = range_text(min, max);
  auto v = scalar(key, expected);
  if (!v) return false;
  const std::string& text = v->first;
  long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc::result_out_of_range) n = text[0] == '-' ? LLONG_MIN : LLONG_MAX;
  else if (ec != std::errc{} || end != text.data() + text.size()) {
    problems_->add(v->second.line, v->second.path,
                   "'" + text + "' is not a whole number; expected " + expected);
    return false;
  }
  if (n < min || n > max) {
    problems_->add(v->second.line, v->second.path,
                   text + " is out of range; expected " + expected);
    return false;
  }
  out = static_cast<int>(n);
  return true;
}

bool MapReader::read_double(std::string_view key, double& out, double min, double max) const {
  const std::string expected =
      "a number from " + YAML::Node(min).Scalar() + " to " + YAML::Node(max).Scalar();
  auto v = scalar(key, expected);
  if (!v) return false;
  const std::string& text = v->first;
  double x = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(x)) {
    problems_->add(v->second.line, v->second.path,
                   "'" + text + "' is not a number; expected " + expected);
    return false;
  }
  if (x < min || x > max) {
    problems_->add(v->second.line, v->second.path,
                   text + " is out of range; expected " + expected);
    return false;
  }
  out = x;
  return true;
}

bool MapReader::read_bool(std::string_view key, bool& out) const {
  auto v = scalar(key, "true or false");
  if (!v) return false;
  bool b = false;
  if (!YAML::convert<bool>::decode(v->second.node, b)) {
    problems_->add(v->second.line, v->second.path,
                   "'" + v->first + "' is not a boolean; expected true or false");
    return false;
  }
  out = b;
  return true;
}

bool MapReader::read_duration(std::string_view key, std::chrono::milliseconds& out,
                              std::chrono::milliseconds min) const {
  // Keeps `now + interval` far from time_point overflow in nanoseconds.
  constexpr std::chrono::milliseconds kMax = std::chrono::hours(24 * 366);
  constexpr std::string_view kSyntax =
      "a duration: a whole number and a unit, like 500ms, 10s, 5m, 24h or 3d";
  auto v = scalar(key, kSyntax);
  if (!v) return false;
  const auto d = parse_duration(v->first);
  if (!d) {
    problems_->add(v->second.line, v->second.path,
                   "'" + v->first + "' is not a duration; expected " + std::string(kSyntax));
    return false;
  }
  if (*d < min || *d > kMax) {
    problems_->add(v->second.line, v->second.path,
                   v->first + " is out of range; expected from " + format_duration(min) +
                       " to " + format_duration(kMax));
    return false;
  }
  out = *d;
  return true;
}

std::optional<MapReader> MapReader::read_map(std::string_view key, const Keys& known) const {
  auto field = find(key);
  if (!field) return std::nullopt;
  return as_map(*problems_, *field, known);
}

std::optional<MapReader> as_map(Problems& problems, const Field& field, const Keys& known) {
  if (!field.node.IsMap()) {
    problems.add(field.line, field.path,
                 "expected a map with keys " + join(known) + ", got " + kind_of(field.node));
    return std::nullopt;
  }
  return MapReader(problems, field.node, field.path, field.line, known);
}

}  // namespace cwsync::config_detail
