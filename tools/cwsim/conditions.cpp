#include "conditions.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <regex>

namespace cwsim {

namespace {

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kContains, kNotContains, kLike, kNotLike, kIn, kNotIn };

struct Literal {
  enum class Kind { kNull, kBool, kNumber, kString, kTime };
  Kind kind = Kind::kNull;
  bool b = false;
  double num = 0;
  std::string text;  // strings; the source text of numbers and dates
  TimeMs time = 0;
};

}  // namespace

struct Condition::Node {
  enum class Type { kAnd, kOr, kNot, kCompare };
  Type type = Type::kCompare;
  std::unique_ptr<Node> left, right;
  std::string field;
  Op op = Op::kEq;
  std::vector<Literal> values;
};

namespace {

using Node = Condition::Node;

std::optional<double> to_number(std::string_view s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Recursive-descent parser over the raw text; positions are reported 1-based
// in error messages the way a person counts.
class Parser {
 public:
  Parser(std::string_view text, Dialect dialect, std::vector<std::string>& fields)
      : s_(text), dialect_(dialect), fields_(fields) {}

  std::unique_ptr<Node> parse() {
    skip_ws();
    if (pos_ == s_.size()) fail("conditions is empty");
    auto node = parse_or();
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected '" + std::string(s_.substr(pos_, 10)) + "'");
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw ConditionError("Invalid conditions at position " + std::to_string(pos_ + 1) + ": " + what);
  }

  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }

  // Matches a keyword (case-insensitive) followed by a non-identifier char.
  bool keyword(std::string_view kw) {
    skip_ws();
    if (s_.size() - pos_ < kw.size()) return false;
    if (lower_ascii(s_.substr(pos_, kw.size())) != kw) return false;
    size_t end = pos_ + kw.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) return false;
    pos_ = end;
    return true;
  }

  bool punct(std::string_view p) {
    skip_ws();
    if (s_.substr(pos_, p.size()) != p) return false;
    pos_ += p.size();
    return true;
  }

  std::unique_ptr<Node> combine(Node::Type t, std::unique_ptr<Node> l, std::unique_ptr<Node> r) {
    auto n = std::make_unique<Node>();
    n->type = t;
    n->left = std::move(l);
    n->right = std::move(r);
    return n;
  }

  std::unique_ptr<Node> parse_or() {
    auto left = parse_and();
    while (keyword("or")) left = combine(Node::Type::kOr, std::move(left), parse_and());
    return left;
  }

  std::unique_ptr<Node> parse_and() {
    auto left = parse_factor();
    while (keyword("and")) left = combine(Node::Type::kAnd, std::move(left), parse_factor());
    return left;
  }

  std::unique_ptr<Node> parse_factor() {
    skip_ws();
    if (keyword("not")) return combine(Node::Type::kNot, parse_factor(), nullptr);
    if (punct("(")) {
      auto inner = parse_or();
      if (!punct(")")) fail("missing ')'");
      return inner;
    }
    return parse_comparison();
  }

  std::string parse_field() {
    skip_ws();
    size_t start = pos_;
    if (pos_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
      ++pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_' ||
                                  s_[pos_] == '/' || s_[pos_] == '.')) {
        ++pos_;
      }
    }
    if (start == pos_) fail("expected a field name");
    std::string name(s_.substr(start, pos_ - start));
    if (dialect_ == Dialect::kPsa) {
      for (char& c : name) if (c == '.') c = '/';
      if (name == "lastUpdated" || name == "dateEntered") name = "_info/" + name;
    }
    return name;
  }

  Op parse_op() {
    skip_ws();
    if (punct("!=") || punct("<>")) return Op::kNe;
    if (punct("<=")) return Op::kLe;
    if (punct(">=")) return Op::kGe;
    if (punct("=")) return Op::kEq;
    if (punct("<")) return Op::kLt;
    if (punct(">")) return Op::kGt;
    if (keyword("contains")) return Op::kContains;
    if (keyword("like")) return Op::kLike;
    if (keyword("in")) return Op::kIn;
    if (keyword("not")) {
      if (keyword("in")) return Op::kNotIn;
      if (keyword("like")) return Op::kNotLike;
      if (keyword("contains")) return Op::kNotContains;
      fail("expected 'in', 'like' or 'contains' after 'not'");
    }
    fail("expected an operator");
  }

  Literal parse_date() {
    size_t close = s_.find(']', pos_);
    if (close == std::string_view::npos) fail("missing ']'");
    std::string text(s_.substr(pos_, close - pos_));
    Literal lit;
    lit.kind = Literal::Kind::kTime;
    lit.text = text;
    if (dialect_ == Dialect::kCpq) {
      static const std::regex kDay(R"(\d{4}-\d{2}-\d{2})");
      if (!std::regex_match(text, kDay)) {
        throw ConditionError("Invalid date value '[" + text +
                             "]': dates in conditions must be in the format [yyyy-MM-dd]");
      }
    }
    auto t = parse_time(text);
    if (!t) {
      throw ConditionError("Invalid date value '[" + text + "]'");
    }
    lit.time = *t;
    pos_ = close + 1;
    return lit;
  }

  Literal parse_value() {
    skip_ws();
    if (pos_ >= s_.size()) fail("expected a value");
    char c = s_[pos_];
    Literal lit;
    if (c == '"' || c == '\'') {
      ++pos_;
      lit.kind = Literal::Kind::kString;
      while (true) {
        if (pos_ >= s_.size()) fail("unterminated string");
        char d = s_[pos_++];
        if (d == '\\' && pos_ < s_.size()) {
          lit.text.push_back(s_[pos_++]);
        } else if (d == c) {
          break;
        } else {
          lit.text.push_back(d);
        }
      }
      return lit;
    }
    if (c == '[') {
      ++pos_;
      return parse_date();
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') {
      size_t start = pos_;
      ++pos_;
      while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) ++pos_;
      lit.text = std::string(s_.substr(start, pos_ - start));
      auto n = to_number(lit.text);
      if (!n) fail("invalid number '" + lit.text + "'");
      lit.kind = Literal::Kind::kNumber;
      lit.num = *n;
      return lit;
    }
    if (keyword("true")) { lit.kind = Literal::Kind::kBool; lit.b = true; return lit; }
    if (keyword("false")) { lit.kind = Literal::Kind::kBool; lit.b = false; return lit; }
    if (keyword("null")) return lit;
    fail("expected a value (\"text\", number, True/False, null or [date])");
  }

  std::unique_ptr<Node> parse_comparison() {
    auto n = std::make_unique<Node>();
    n->type = Node::Type::kCompare;
    n->field = parse_field();
    n->op = parse_op();
    if (n->op == Op::kIn || n->op == Op::kNotIn) {
      if (!punct("(")) fail("expected '(' after 'in'");
      do {
        n->values.push_back(parse_value());
      } while (punct(","));
      if (!punct(")")) fail("missing ')' after the 'in' list");
    } else {
      n->values.push_back(parse_value());
      const Literal& v = n->values.back();
      bool text_op = n->op == Op::kContains || n->op == Op::kNotContains || n->op == Op::kLike ||
                     n->op == Op::kNotLike;
      if (text_op && v.kind != Literal::Kind::kString) fail("'contains' and 'like' need a quoted string");
    }
    fields_.push_back(n->field);
    return n;
  }

  std::string_view s_;
  Dialect dialect_;
  std::vector<std::string>& fields_;
  size_t pos_ = 0;
};

// -1/0/1, or nullopt when the two cannot be compared (SQL's "unknown").
std::optional<int> compare(const Value& v, const Literal& lit) {
  auto sign = [](auto a, auto b) { return a < b ? -1 : (b < a ? 1 : 0); };
  switch (lit.kind) {
    case Literal::Kind::kNull:
      return std::nullopt;
    case Literal::Kind::kBool:
      if (v.kind != Value::Kind::kBool) return std::nullopt;
      return sign(static_cast<int>(v.b), static_cast<int>(lit.b));
    case Literal::Kind::kNumber:
      if (v.kind == Value::Kind::kInt) return sign(static_cast<double>(v.i), lit.num);
      if (v.kind == Value::Kind::kReal) return sign(v.d, lit.num);
      if (v.kind == Value::Kind::kStr) {
        auto n = to_number(v.str);
        if (!n) return std::nullopt;
        return sign(*n, lit.num);
      }
      return std::nullopt;
    case Literal::Kind::kString:
      if (v.kind == Value::Kind::kStr) return compare_nocase(v.str, lit.text);
      if (v.kind == Value::Kind::kInt || v.kind == Value::Kind::kReal) {
        auto n = to_number(lit.text);
        if (!n) return std::nullopt;
        return sign(v.kind == Value::Kind::kInt ? static_cast<double>(v.i) : v.d, *n);
      }
      return std::nullopt;
    case Literal::Kind::kTime:
      if (v.kind == Value::Kind::kTime) return sign(v.time, lit.time);
      if (v.kind == Value::Kind::kStr) {
        auto t = parse_time(v.str);
        if (!t) return std::nullopt;
        return sign(*t, lit.time);
      }
      return std::nullopt;
  }
  return std::nullopt;
}

bool eval_compare(const Node& n, const Value& v) {
  const Literal& first = n.values.front();
  switch (n.op) {
    case Op::kEq:
      if (first.kind == Literal::Kind::kNull) return v.kind == Value::Kind::kNull;
      return compare(v, first) == 0;
    case Op::kNe:
      if (first.kind == Literal::Kind::kNull) return v.kind != Value::Kind::kNull;
      if (v.kind == Value::Kind::kNull) return false;
      { auto c = compare(v, first); return c.has_value() && *c != 0; }
    case Op::kLt: { auto c = compare(v, first); return c && *c < 0; }
    case Op::kLe: { auto c = compare(v, first); return c && *c <= 0; }
    case Op::kGt: { auto c = compare(v, first); return c && *c > 0; }
    case Op::kGe: { auto c = compare(v, first); return c && *c >= 0; }
    case Op::kContains:
      return v.kind == Value::Kind::kStr && contains_nocase(v.str, first.text);
    case Op::kNotContains:
      return v.kind == Value::Kind::kStr && !contains_nocase(v.str, first.text);
    case Op::kLike:
      return v.kind == Value::Kind::kStr && like_nocase(v.str, first.text);
    case Op::kNotLike:
      return v.kind == Value::Kind::kStr && !like_nocase(v.str, first.text);
    case Op::kIn:
    case Op::kNotIn: {
      if (v.kind == Value::Kind::kNull) return false;
      bool found = false;
      for (const Literal& lit : n.values) {
        if (compare(v, lit) == 0) { found = true; break; }
      }
      return n.op == Op::kIn ? found : !found;
    }
  }
  return false;
}

bool eval(const Node& n, const Condition::Resolver& resolve) {
  switch (n.type) {
    case Node::Type::kAnd: return eval(*n.left, resolve) && eval(*n.right, resolve);
    case Node::Type::kOr: return eval(*n.left, resolve) || eval(*n.right, resolve);
    case Node::Type::kNot: return !eval(*n.left, resolve);
    case Node::Type::kCompare: return eval_compare(n, resolve(n.field));
  }
  return false;
}

void collect_pins(const Node& n, std::string_view field, std::optional<std::vector<std::string>>& out) {
  if (n.type == Node::Type::kAnd) {
    collect_pins(*n.left, field, out);
    if (!out) collect_pins(*n.right, field, out);
    return;
  }
  if (n.type != Node::Type::kCompare || n.field != field) return;
  if (n.op != Op::kEq && n.op != Op::kIn) return;
  std::vector<std::string> values;
  for (const Literal& lit : n.values) values.push_back(lit.text);
  out = std::move(values);
}

}  // namespace

Condition::~Condition() = default;

std::shared_ptr<const Condition> Condition::parse(std::string_view text, Dialect dialect) {
  std::shared_ptr<Condition> c(new Condition());
  Parser p(text, dialect, c->fields_);
  c->root_ = p.parse();
  return c;
}

bool Condition::matches(const Resolver& resolve) const { return eval(*root_, resolve); }

std::optional<std::vector<std::string>> Condition::pinned_values(std::string_view field) const {
  std::optional<std::vector<std::string>> out;
  collect_pins(*root_, field, out);
  return out;
}

}  // namespace cwsim
