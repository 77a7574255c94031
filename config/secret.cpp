#include "base/secret.h"

namespace cwsync {

std::string Secret::masked() const {
  if (value_.empty()) return "(unset)";
  if (value_.size() < 12) return "****";
  return "****" + value_.substr(value_.size() - 2);
}

}  // namespace cwsync
