#include "sync/note_marker.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>

namespace cwsync {

std::string marker_token(std::string_view idempotency_key) {
  Poco::SHA1Engine sha;
  sha.update(idempotency_key.data(), static_cast<unsigned>(idempotency_key.size()));
  return Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 8);
}

std::string format_marker(std::string_view format, std::string_view idempotency_key) {
  std::string out(format);
  std::string token = marker_token(idempotency_key);
  auto pos = out.find("{marker}");
  if (pos == std::string::npos) return out + token;
  out.replace(pos, 8, token);
  return out;
}

std::string append_marker(std::string_view text, std::string_view marker) {
  if (text.empty()) return std::string(marker);
  std::string suffix = "\n" + std::string(marker);
  if (text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
    return std::string(text);
  }
  return std::string(text) + suffix;
}

}  // namespace cwsync
