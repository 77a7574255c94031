// A credential that cannot be printed by accident.
//
// Secret has no operator<<, no fmt formatter and no implicit conversion to
// string, so `log(secret)` does not compile. The only way to the bytes is the
// explicit reveal(), used where a credential is put on the wire.
#pragma once

#include <string>
#include <utility>

namespace cwsync {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  bool empty() const { return value_.empty(); }
  // The raw credential. Call only to build an Authorization header.
  const std::string& reveal() const { return value_; }
  // What may be shown: "" → "(unset)", otherwise "****" plus the last 2
  // characters when the secret is long enough that this leaks little.
  std::string masked() const;

  bool operator==(const Secret& other) const = default;

 private:
  std::string value_;
};

}  // namespace cwsync
