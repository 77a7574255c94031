#include "sync/http/fast_page.h"

#include <cstring>
#include <limits>

#include <simdjson.h>

namespace cwsync {
namespace {

namespace od = simdjson::ondemand;
using Type = FlatField::Type;
static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

// simdjson's On-Demand front end: one per thread (item batches are parsed on
// fan_out's threads); it keeps its buffers between pages.
od::parser& thread_parser() {
  thread_local od::parser parser;
  return parser;
}

std::uint32_t fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

// Walks a page with simdjson, filling a FastPage; false when simdjson or
// the shape says no (the caller then takes the split_page path).
class FastPageBuilder {
 public:
  explicit FastPageBuilder(FastPage& page) : page_(page) {}

  bool build(std::string_view body, std::size_t capacity) {
    od::document doc;
    if (thread_parser()
            .iterate(simdjson::padded_string_view(body.data(), body.size(), capacity))
            .get(doc)) {
      return false;
    }
    od::json_type type;
    if (doc.type().get(type) || type != od::json_type::array) return false;
    od::array list;
    std::string_view all;
    if (doc.get_array().get(list) || list.raw_json().get(all)) return false;
    // Trailing bytes after the list: split_page refuses those.
    for (std::size_t k = static_cast<std::size_t>(all.data() + all.size() - body.data());
         k < body.size(); ++k) {
      if (!is_json_space(body[k])) return false;
    }
    bool reset = false;
    if (list.reset().get(reset)) return false;
    for (auto element : list) {
      od::value v;
      od::object obj;
      std::string_view raw;
      if (element.get(v) || v.type().get(type) || type != od::json_type::object ||
          v.get_object().get(obj) || obj.raw_json().get(raw) || obj.reset().get(reset)) {
        return false;
      }
      while (!raw.empty() && is_json_space(raw.back())) raw.remove_suffix(1);
      FastPage::Element e{raw, static_cast<std::uint32_t>(page_.fields_.size()), 0};
      if (!walk_object(obj, 1)) return false;
      e.end = static_cast<std::uint32_t>(page_.fields_.size());
      page_.elements_.push_back(e);
    }
    return !full_;
  }

 private:
  std::string_view keep(std::string_view s) {
    // The arena was reserved for the whole body: unescaped text plus its NUL
    // is never longer than its quoted source, so it never reallocates (the
    // views already handed out stay valid). Checked all the same: a full
    // arena sends the page to split_page.
    std::vector<char>& arena = page_.arena_;
    if (arena.capacity() - arena.size() < s.size() + 1) {
      full_ = true;
      return {};
    }
    const std::size_t at = arena.size();
    arena.insert(arena.end(), s.begin(), s.end());
    arena.push_back('\0');
    return std::string_view(arena.data() + at, s.size());
  }

  // depth 1: an element's fields (kept); 2: fields of an object-valued field
  // (kept as children); deeper: walked for validity only.
  bool walk_object(od::object& obj, int depth) {
    for (auto field : obj) {
      std::string_view key;
      od::value v;
      if (field.unescaped_key().get(key) || field.value().get(v)) return false;
      FlatField* out = nullptr;
      if (depth <= 2) {
        std::vector<FlatField>& into = depth == 1 ? page_.fields_ : page_.children_;
        if (into.size() >= std::numeric_limits<std::uint32_t>::max()) return false;
        into.push_back(FlatField{});
        into.back().key = keep(key);
        into.back().hash = fnv1a(key);
        out = &into.back();
      }
      if (!walk_value(v, depth, out)) return false;
    }
    return true;
  }

  bool walk_value(od::value& v, int depth, FlatField* out) {
    od::json_type type;
    if (v.type().get(type)) return false;
    FlatField f;
    switch (type) {
      case od::json_type::null: {
        bool null = false;
        if (v.is_null().get(null) || !null) return false;
        f.type = Type::kNull;
        break;
      }
      case od::json_type::boolean:
        if (v.get_bool().get(f.boolean)) return false;
        f.type = Type::kBool;
        break;
      case od::json_type::string: {
        std::string_view s;
        if (v.get_string().get(s)) return false;
        f.type = Type::kString;
        if (out != nullptr) f.text = keep(s);
        break;
      }
      case od::json_type::number: {
        // An integer literal beyond 64 bits, which nlohmann reads as a
        // double, is refused here (simdjson 3.0.1 has no big integers): the
        // page then takes the split_page path.
        od::number_type nt;
        if (v.get_number_type().get(nt)) return false;
        if (nt == od::number_type::signed_integer) {
          if (v.get_int64().get(f.i)) return false;
          f.type = Type::kInt;
        } else if (nt == od::number_type::unsigned_integer) {
          if (v.get_uint64().get(f.u)) return false;
          f.type = Type::kUint;
        } else {
          if (v.get_double().get(f.d)) return false;
          f.type = Type::kDouble;
        }
        break;
      }
      case od::json_type::object: {
        od::object o;
        if (v.get_object().get(o)) return false;
        f.type = Type::kObject;
        f.child_begin = static_cast<std::uint32_t>(page_.children_.size());
        if (!walk_object(o, depth + 1)) return false;
        f.child_end =
            depth == 1 ? static_cast<std::uint32_t>(page_.children_.size()) : f.child_begin;
        break;
      }
      case od::json_type::array: {
        od::array a;
        if (v.get_array().get(a)) return false;
        for (auto item : a) {
          od::value iv;
          if (item.get(iv) || !walk_value(iv, depth + 1, nullptr)) return false;
        }
        f.type = Type::kArray;
        break;
      }
    }
    if (out != nullptr) {
      // `out` is still valid: a depth-1 value only adds children_, a depth-2
      // value adds nothing (deeper fields are not kept).
      f.key = out->key;
      f.hash = out->hash;
      *out = f;
    }
    return true;
  }

  FastPage& page_;
  bool full_ = false;
};

Result<FastPage> parse_fast_page(const std::string& body, std::string_view what) {
  FastPage page;
  std::string padded;
  std::size_t capacity = body.capacity();
  std::string_view input = body;
  if (capacity - body.size() < kJsonPadding) {
    padded.reserve(body.size() + kJsonPadding);
    padded = body;
    input = padded;
    capacity = padded.capacity();
  }
  page.arena_.reserve(body.size() + 1);
  FastPageBuilder builder(page);
  if (builder.build(input, capacity)) {
    if (input.data() != body.data()) {
      // raw must point into `body`, not the padded copy.
      for (auto& e : page.elements_)
        e.raw = std::string_view(body.data() + (e.raw.data() - input.data()), e.raw.size());
    }
    return page;
  }
  auto split = split_page(body, what);
  if (!split.ok()) return split.error();
  FastPage dom;
  dom.dom_ = std::move(*split);
  return dom;
}

// ---- ElementFields ----------------------------------------------------------

ElementFields::ElementFields(const FastPage* page, std::size_t element) : page_(page) {
  const FastPage::Element& e = page->elements_[element];
  begin_ = page->fields_.data() + e.begin;
  end_ = page->fields_.data() + e.end;
  const std::size_t n = static_cast<std::size_t>(end_ - begin_);
  if (n > index_.size() / 2) return;  // too full to probe well: find() scans
  indexed_ = true;
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t slot = begin_[k].hash % index_.size();
    // Linear probing; a repeated key takes over its slot (the last one wins,
    // as in nlohmann's parser).
    while (index_[slot] != 0 && begin_[index_[slot] - 1].key != begin_[k].key) {
      slot = (slot + 1) % index_.size();
    }
    index_[slot] = static_cast<std::uint16_t>(k + 1);
  }
}

const FlatField* ElementFields::find(std::string_view key) const {
  if (indexed_) {
    std::size_t slot = fnv1a(key) % index_.size();
    while (index_[slot] != 0) {
      const FlatField& f = begin_[index_[slot] - 1];
      if (f.key == key) return f.type == Type::kNull ? nullptr : &f;
      slot = (slot + 1) % index_.size();
    }
    return nullptr;
  }
  for (const FlatField* f = end_; f != begin_;) {
    --f;
    if (f->key == key) return f->type == Type::kNull ? nullptr : f;
  }
  return nullptr;
}

std::optional<std::string> ElementFields::text(std::string_view key) const {
  if (dom_ != nullptr) return json_read::text(*dom_, key);
  const FlatField* f = find(key);
  if (f == nullptr || f->type != Type::kString) return std::nullopt;
  return std::string(f->text);
}

std::optional<double> ElementFields::number(std::string_view key) const {
  if (dom_ != nullptr) return json_read::number(*dom_, key);
  const FlatField* f = find(key);
  if (f == nullptr) return std::nullopt;
  switch (f->type) {
    case Type::kInt:
      return static_cast<double>(f->i);
    case Type::kUint:
      return static_cast<double>(f->u);
    case Type::kDouble:
      return f->d;
    case Type::kString:
      return json_read::number_from_text(f->text);
    default:
      return std::nullopt;
  }
}

std::optional<bool> ElementFields::boolean(std::string_view key) const {
  if (dom_ != nullptr) return json_read::boolean(*dom_, key);
  const FlatField* f = find(key);
  if (f == nullptr || f->type != Type::kBool) return std::nullopt;
  return f->boolean;
}

std::optional<std::int64_t> ElementFields::integer(std::string_view key) const {
  if (dom_ != nullptr) return json_read::integer(*dom_, key);
  const FlatField* f = find(key);
  if (f == nullptr) return std::nullopt;
  if (f->type == Type::kInt) return f->i;
  if (f->type == Type::kUint) {
    if (f->u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(f->u);
  }
  auto d = number(key);
  if (!d) return std::nullopt;
  return json_read::integer_from_double(*d);
}

std::optional<TimePoint> ElementFields::time(std::string_view key) const {
  if (dom_ != nullptr) return json_read::time(*dom_, key);
  const FlatField* f = find(key);
  if (f == nullptr || f->type != Type::kString) return std::nullopt;
  return json_read::time_from_text(f->text);
}

std::optional<std::string> ElementFields::id_text(std::string_view key) const {
  if (dom_ != nullptr) return json_read::id_text(*dom_, key);
  const FlatField* f = find(key);
  if (f == nullptr) return std::nullopt;
  if (f->type == Type::kString) return std::string(f->text);
  if (f->type == Type::kInt) return std::to_string(f->i);
  if (f->type == Type::kUint)
    return std::to_string(static_cast<long long>(f->u));  // as nlohmann's get<long long>()
  return std::nullopt;
}

std::optional<std::int64_t> ElementFields::exact_integer(std::string_view key) const {
  if (dom_ != nullptr) {
    const nlohmann::json* v = json_read::child(*dom_, key);
    if (v == nullptr || !v->is_number_integer()) return std::nullopt;
    return v->get<std::int64_t>();
  }
  const FlatField* f = find(key);
  if (f == nullptr) return std::nullopt;
  if (f->type == Type::kInt) return f->i;
  if (f->type == Type::kUint) return static_cast<std::int64_t>(f->u);
  return std::nullopt;
}

bool ElementFields::is_object(std::string_view key) const {
  if (dom_ != nullptr) {
    const nlohmann::json* v = json_read::child(*dom_, key);
    return v != nullptr && v->is_object();
  }
  const FlatField* f = find(key);
  return f != nullptr && f->type == Type::kObject;
}

std::optional<std::string> ElementFields::child_id_text(std::string_view key,
                                                        std::string_view sub) const {
  if (dom_ != nullptr) {
    const nlohmann::json* v = json_read::child(*dom_, key);
    if (v == nullptr || !v->is_object()) return std::nullopt;
    return json_read::id_text(*v, sub);
  }
  const FlatField* f = find(key);
  if (f == nullptr || f->type != Type::kObject) return std::nullopt;
  // A reference object has a handful of fields: scan, the last one wins.
  const FlatField* first = page_->children_.data() + f->child_begin;
  for (const FlatField* c = page_->children_.data() + f->child_end; c != first;) {
    --c;
    if (c->key != sub) continue;
    if (c->type == Type::kString) return std::string(c->text);
    if (c->type == Type::kInt) return std::to_string(c->i);
    if (c->type == Type::kUint) return std::to_string(static_cast<long long>(c->u));
    return std::nullopt;
  }
  return std::nullopt;
}

void reserve_json_padding(std::string& body) { body.reserve(body.size() + kJsonPadding); }

}  // namespace cwsync
