#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace cwsync::daemon {
namespace {

// A strict reader for the Prometheus text format (0.0.4), written from the
// grammar rather than from our renderer, so it can catch renderer bugs.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

struct Parsed {
  std::map<std::string, std::string> help, type;
  std::vector<Sample> samples;
  std::vector<std::string> errors;
};

// Unescapes a label value: \\ \" \n are the only escapes allowed.
bool parse_label_value(const std::string& line, size_t& i, std::string& out) {
  if (i >= line.size() || line[i] != '"') return false;
  ++i;
  while (i < line.size()) {
    char c = line[i++];
    if (c == '"') return true;
    if (c == '\n') return false;
    if (c == '\\') {
      if (i >= line.size()) return false;
      char e = line[i++];
      if (e == '\\') out += '\\';
      else if (e == '"') out += '"';
      else if (e == 'n') out += '\n';
      else return false;
    } else {
      out += c;
    }
  }
  return false;
}

Parsed parse(const std::string& text) {
  Parsed p;
  static const std::regex kMetricName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");
  static const std::regex kValue(R"([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|NaN|[+-]Inf)");
  if (!text.empty() && text.back() != '\n') p.errors.push_back("last line lacks a newline");
  std::set<std::string> families_with_samples;
  std::string current_family;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto err = [&](const std::string& why) {
      p.errors.push_back("line " + std::to_string(n) + ": " + why + ": " + line);
    };
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      bool help = line[2] == 'H';
      std::string rest = line.substr(7);
      auto sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      if (!std::regex_match(name, kMetricName)) err("bad metric name");
      std::string arg = sp == std::string::npos ? "" : rest.substr(sp + 1);
      if (help) {
        if (p.help.count(name)) err("second HELP");
        p.help[name] = arg;
      } else {
        if (p.type.count(name)) err("second TYPE");
        if (families_with_samples.count(name)) err("TYPE after samples");
        static const std::set<std::string> kTypes{"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kTypes.count(arg)) err("bad type");
        p.type[name] = arg;
      }
      continue;
    }
    if (line[0] == '#') continue;  // other comments are allowed
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!std::regex_match(s.name, kMetricName)) err("bad sample name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) { err("label without ="); break; }
        std::string lname = line.substr(i, eq - i);
        if (!std::regex_match(lname, kLabelName) || lname.rfind("__", 0) == 0) err("bad label name");
        i = eq + 1;
        std::string v;
        if (!parse_label_value(line, i, v)) { err("bad label value"); break; }
        if (s.labels.count(lname)) err("duplicate label");
        s.labels[lname] = v;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') { err("unterminated labels"); continue; }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') { err("no space before value"); continue; }
    std::string rest = line.substr(i + 1);
    auto sp = rest.find(' ');
    s.value = rest.substr(0, sp);
    if (!std::regex_match(s.value, kValue)) err("bad value");
    if (sp != std::string::npos && !std::regex_match(rest.substr(sp + 1), std::regex("-?\\d+"))) {
      err("bad timestamp");
    }
    // All samples of a family are contiguous.
    if (s.name != current_family && families_with_samples.count(s.name)) err("family split");
    current_family = s.name;
    families_with_samples.insert(s.name);
    if (!p.type.count(s.name)) err("sample before its TYPE");
    p.samples.push_back(std::move(s));
  }
  return p;
}

const Sample* find(const Parsed& p, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const auto& s : p.samples) {
    if (s.name == name && s.labels == labels) return &s;
  }
  return nullptr;
}

TEST(MetricsTest, RendersParsableTextWithHelpTypeAndLabels) {
  Metrics m;
  describe_standard_metrics(m);
  m.add(metric::kRecordsUpserted, {{"tenant", "acme"}, {"entity", "quotes"}}, 250);
  m.add(metric::kRecordsUpserted, {{"tenant", "acme"}, {"entity", "quotes"}}, 50);
  m.set(metric::kLastSuccess, {{"tenant", "acme"}, {"entity", "quotes"}}, 1795426500);
  m.set(metric::kOldestPending, {}, 12.5);
  m.set(metric::kBreakerState, {{"host", "api.example.com:443"}}, 2);

  Parsed p = parse(m.render());
  EXPECT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  EXPECT_EQ(p.type[metric::kRecordsUpserted], "counter");
  EXPECT_EQ(p.type[metric::kLastSuccess], "gauge");
  EXPECT_FALSE(p.help[metric::kDeadPosts].empty());
  const Sample* up = find(p, metric::kRecordsUpserted, {{"tenant", "acme"}, {"entity", "quotes"}});
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->value, "300");
  const Sample* ts = find(p, metric::kLastSuccess, {{"tenant", "acme"}, {"entity", "quotes"}});
  ASSERT_NE(ts, nullptr);
  EXPECT_EQ(ts->value, "1795426500");  // exact, not 1.7954265e+09
  const Sample* age = find(p, metric::kOldestPending, {});
  ASSERT_NE(age, nullptr);
  EXPECT_DOUBLE_EQ(std::stod(age->value), 12.5);
}

TEST(MetricsTest, EscapesLabelValuesAndHelpText) {
  Metrics m;
  m.describe("cwsync_test_gauge", MetricType::kGauge, "back\\slash and\nnewline");
  std::string nasty = "a\"quote\\back\nline}{,=";
  m.set("cwsync_test_gauge", {{"tenant", nasty}}, 1);
  std::string text = m.render();
  EXPECT_NE(text.find("# HELP cwsync_test_gauge back\\\\slash and\\nnewline\n"), std::string::npos);
  Parsed p = parse(text);
  ASSERT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  ASSERT_EQ(p.samples.size(), 1u);
  EXPECT_EQ(p.samples[0].labels.at("tenant"), nasty);  // round-trips exactly
}

TEST(MetricsTest, SpecialValuesAndEmptyFamilies) {
  Metrics m;
  m.describe("cwsync_empty_total", MetricType::kCounter, "never incremented");
  m.set("cwsync_nan", {}, std::numeric_limits<double>::quiet_NaN());
  m.set("cwsync_inf", {}, std::numeric_limits<double>::infinity());
  m.set("cwsync_neg", {}, -0.25);
  std::string text = m.render();
  Parsed p = parse(text);
  EXPECT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  EXPECT_EQ(p.type["cwsync_empty_total"], "counter");
  EXPECT_EQ(find(p, "cwsync_nan", {})->value, "NaN");
  EXPECT_EQ(find(p, "cwsync_inf", {})->value, "+Inf");
  EXPECT_EQ(find(p, "cwsync_neg", {})->value, "-0.25");
}

TEST(MetricsTest, RejectsInvalidNamesAndNegativeCounterSteps) {
  EXPECT_TRUE(Metrics::valid_metric_name("cwsync:job_runs_total"));
  EXPECT_FALSE(Metrics::valid_metric_name("9lives"));
  EXPECT_FALSE(Metrics::valid_metric_name("has-dash"));
  EXPECT_FALSE(Metrics::valid_metric_name(""));
  EXPECT_TRUE(Metrics::valid_label_name("tenant"));
  EXPECT_FALSE(Metrics::valid_label_name("__reserved"));
  EXPECT_FALSE(Metrics::valid_label_name("a:b"));

  Metrics m;
  m.add("bad-name", {}, 1);
  m.add("cwsync_ok_total", {{"bad-label", "x"}}, 1);
  m.add("cwsync_ok_total", {}, 5);
  m.add("cwsync_ok_total", {}, -3);  // counters never go down
  EXPECT_EQ(m.value("cwsync_ok_total", {}), 5);
  Parsed p = parse(m.render());
  EXPECT_TRUE(p.errors.empty()) << ::testing::PrintToString(p.errors);
  EXPECT_EQ(p.samples.size(), 1u);
}

TEST(MetricsTest, CollectorsRunAtRenderAndMayClearFamilies) {
  Metrics m;
  int calls = 0;
  m.add_collector([&calls](Metrics& mm) {
    ++calls;
    mm.clear(metric::kQueuePosts);
    if (calls == 1) mm.set(metric::kQueuePosts, {{"tenant", "gone"}, {"status", "pending"}}, 3);
    mm.set(metric::kQueuePosts, {{"tenant", "acme"}, {"status", "pending"}}, calls);
  });
  Parsed first = parse(m.render());
  EXPECT_NE(find(first, metric::kQueuePosts, {{"tenant", "gone"}, {"status", "pending"}}), nullptr);
  Parsed second = parse(m.render());
  EXPECT_EQ(find(second, metric::kQueuePosts, {{"tenant", "gone"}, {"status", "pending"}}), nullptr);
  EXPECT_EQ(find(second, metric::kQueuePosts, {{"tenant", "acme"}, {"status", "pending"}})->value, "2");
  EXPECT_EQ(calls, 2);
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 1000; ++i) {
        m.add(metric::kJobRuns, {{"tenant", "t" + std::to_string(t % 2)}}, 1);
        if (i % 100 == 0) m.render();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.value(metric::kJobRuns, {{"tenant", "t0"}}), 2000);
  EXPECT_EQ(m.value(metric::kJobRuns, {{"tenant", "t1"}}), 2000);
}

TEST(MetricsTest, StatusClass) {
  EXPECT_EQ(status_class(200), "2xx");
  EXPECT_EQ(status_class(429), "4xx");
  EXPECT_EQ(status_class(503), "5xx");
  EXPECT_EQ(status_class(0), "error");
}

}  // namespace
}  // namespace cwsync::daemon
