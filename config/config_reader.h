// Internal to the config loader: walks yaml-cpp nodes and collects problems.
//
// Nothing here throws on bad input. Every reader reports what is wrong as a
// ConfigProblem with the 1-based line of the key, and leaves the output value
// unchanged so the loader keeps going and reports every problem at once.
// Values are never echoed for keys that may hold secrets; the readers never
// echo a value they could not parse as the wrong type.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config.h"

namespace cwsync::config_detail {

using Keys = std::vector<std::string_view>;

// The problems found so far, in the order found.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  void add(int line, std::string key, std::string message);
  void add_in(std::string file, int line, std::string key, std::string message);
  bool empty() const { return problems_.empty(); }
  const std::string& file() const { return file_; }
  // Every problem, the config file's first, each file's in line order.
  std::vector<ConfigProblem> take();
  // Something unsafe that does not stop loading (Config::warnings).
  void warn(int line, std::string key, std::string message);
  std::vector<ConfigProblem> take_warnings() { return std::move(warnings_); }
  // Warnings found in another file (a tenants_dir file), kept with its name.
  void add_warnings(std::vector<ConfigProblem> warnings) {
    for (auto& w : warnings) warnings_.push_back(std::move(w));
  }

 private:
  std::string file_;
  std::vector<ConfigProblem> problems_;
  std::vector<ConfigProblem> warnings_;
};

// 1-based line of a node's start; 0 when the node has no position.
int line_of(const YAML::Node& node);

// "a map", "a list", "a value", "nothing": used in wrong-type messages.
std::string kind_of(const YAML::Node& node);

// The known key nearest to `word` when it is a plausible typo, else "".
std::string closest_key(std::string_view word, const Keys& known);

// A value found under a key.
struct Field {
  YAML::Node node;
  std::string path;  // dotted key path, e.g. tenants[0].cpq.base_url
  int line = 0;      // line of the key: where an admin looks
};

// A YAML map with a fixed set of known keys.
class MapReader {
 public:
  // Reports unknown keys (with a suggestion), duplicate keys and non-scalar
  // keys. `map` must be a map node; use as_map() to check one first.
  MapReader(Problems& problems, const YAML::Node& map, std::string path, int line,
            const Keys& known);

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  Problems& problems() const { return *problems_; }
  std::string child(std::string_view key) const;

  // The first entry under `key`, including an empty (null) value; nullopt
  // when the key is absent.
  std::optional<Field> find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key).has_value(); }

  // Typed readers. Absent key: `out` unchanged, returns false, no problem.
  // Bad value: a problem is added, `out` unchanged, returns false.
  // `what` describes the expected value in messages ("a file path").
  bool read_string(std::string_view key, std::string& out,
                   std::string_view what = "a string") const;
  bool read_int(std::string_view key, int& out, int min, int max) const;
  bool read_double(std::string_view key, double& out, double min, double max) const;
  bool read_bool(std::string_view key, bool& out) const;
  bool read_duration(std::string_view key, std::chrono::milliseconds& out,
                     std::chrono::milliseconds min) const;

  // The map under `key`; nullopt (with a problem unless absent) otherwise.
  std::optional<MapReader> read_map(std::string_view key, const Keys& known) const;

 private:
  struct Entry {
    std::string key;
    int line;
    YAML::Node value;
  };
  // The scalar text under `key`, or nullopt (with a problem when present but
  // not a scalar). `what` names the expected value.
  std::optional<std::pair<std::string, Field>> scalar(std::string_view key,
                                                      std::string_view what) const;

  Problems* problems_;
  std::string path_;
  int line_;
  std::vector<Entry> entries_;
};

// `field` as a MapReader, or nullopt with a wrong-type problem.
std::optional<MapReader> as_map(Problems& problems, const Field& field, const Keys& known);

}  // namespace cwsync::config_detail
