// Starts cwsim in-process with --seed 1 --quotes 100000, then reads every
// page of 1000 quotes over one keep-alive loopback connection, plain and
// gzip, and prints pages/s and MB/s. The baseline (same run) is a trivial
// control request, so the ratio says how much the page work itself costs.
//
// Usage: cwsim_bench [quotes=100000] [page_size=1000]
#include "simulator.h"

#include <Poco/Base64Encoder.h>
#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

long rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

std::string auth_header(const cwsim::Options& o) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << o.access_key << "+" << o.public_key << ":" << o.private_key;
  enc.close();
  return "Basic " + out.str();
}

struct PassResult {
  int pages = 0;
  long rows = 0;
  double wire_mb = 0;   // bytes on the wire
  double json_mb = 0;   // decoded JSON bytes
  double secs = 0;
};

// Reads pages until the first short one. Counts rows by top-level objects.
PassResult read_all(int port, const std::string& auth, int page_size, bool gzip, const std::string& extra) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setKeepAlive(true);
  s.setTimeout(Poco::Timespan(60, 0));
  PassResult r;
  auto t0 = Clock::now();
  for (int page = 1;; ++page) {
    Poco::Net::HTTPRequest req("GET", "/api/quotes?pageSize=" + std::to_string(page_size) + "&page=" +
                                          std::to_string(page) + extra,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", auth);
    if (gzip) req.set("Accept-Encoding", "gzip");
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = s.receiveResponse(resp);
    std::string raw;
    Poco::StreamCopier::copyToString(in, raw);
    if (resp.getStatus() != 200) {
      std::fprintf(stderr, "page %d: HTTP %d\n", page, static_cast<int>(resp.getStatus()));
      break;
    }
    std::string body = raw;
    if (resp.get("Content-Encoding", "") == "gzip") {
      std::istringstream zin(raw);
      Poco::InflatingInputStream inflate(zin, Poco::InflatingStreamBuf::STREAM_GZIP);
      body.clear();
      Poco::StreamCopier::copyToString(inflate, body);
    }
    long rows = 0;
    int depth = 0;
    bool in_str = false;
    for (size_t k = 0; k < body.size(); ++k) {
      char c = body[k];
      if (in_str) {
        if (c == '\\') ++k;
        else if (c == '"') in_str = false;
      } else if (c == '"') {
        in_str = true;
      } else if (c == '{') {
        if (++depth == 1) ++rows;
      } else if (c == '}') {
        --depth;
      }
    }
    r.wire_mb += static_cast<double>(raw.size()) / 1e6;
    r.json_mb += static_cast<double>(body.size()) / 1e6;
    r.rows += rows;
    if (rows > 0) ++r.pages;
    if (rows < page_size) break;
  }
  r.secs = seconds_since(t0);
  return r;
}

// What cwsync's puller does after each quote page: line items for a batch of
// quote ids, `conditions=idQuote in ("..",..)` (URLs < 2000 chars: 42 GUIDs).
struct ItemsResult {
  int requests = 0;
  long rows = 0;
  double json_mb = 0;
  double secs = 0;
};

ItemsResult read_items(int port, const std::string& auth, const std::vector<std::string>& ids, size_t batch) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setKeepAlive(true);
  s.setTimeout(Poco::Timespan(60, 0));
  ItemsResult r;
  auto t0 = Clock::now();
  for (size_t first = 0; first < ids.size(); first += batch) {
    std::string cond = "idQuote in (";
    for (size_t k = first; k < std::min(ids.size(), first + batch); ++k) {
      cond += (k > first ? ",\"" : "\"") + ids[k] + "\"";
    }
    cond += ")";
    std::string encoded;
    Poco::URI::encode(cond, "&=+?#/,[]\"' ()", encoded);
    Poco::Net::HTTPRequest req("GET", "/api/quoteItems?pageSize=1000&conditions=" + encoded,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Authorization", auth);
    s.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::string body;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
    if (resp.getStatus() != 200) {
      std::fprintf(stderr, "quoteItems: HTTP %d\n", static_cast<int>(resp.getStatus()));
      break;
    }
    ++r.requests;
    r.json_mb += static_cast<double>(body.size()) / 1e6;
    for (size_t k = body.find("\"idQuote\""); k != std::string::npos; k = body.find("\"idQuote\"", k + 1)) ++r.rows;
  }
  r.secs = seconds_since(t0);
  return r;
}

// Server-side time of the requests logged since `since`: cwsim's own cost,
// without the client's reading and decompression.
double server_secs(cwsim::Simulator& sim, uint64_t since) {
  cwsim::Json log = sim.control("GET", "/_sim/requests?since=" + std::to_string(since)).body["requests"];
  double us = 0;
  for (const auto& e : log) us += e["duration_us"].get<double>();
  return us / 1e6;
}

uint64_t next_seq(cwsim::Simulator& sim) {
  cwsim::Json log = sim.control("GET", "/_sim/requests").body["requests"];
  return log.empty() ? 0 : log.back()["seq"].get<uint64_t>() + 1;
}

// `baseline_rps` is the trivial-request rate of the same run: "page cost" says
// how many trivial requests one page costs, which stays comparable across machines.
void print(const char* name, const PassResult& r, double server, double baseline_rps) {
  std::printf("%-36s pages=%d  client %.2f s: %.1f pages/s %.0f rows/s wire %.1f MB/s json %.1f MB/s | server %.2f s: "
              "%.1f pages/s %.1f MB/s | page cost %.1fx baseline\n",
              name, r.pages, r.secs, r.pages / r.secs, static_cast<double>(r.rows) / r.secs, r.wire_mb / r.secs,
              r.json_mb / r.secs, server, r.pages / std::max(server, 1e-6), r.json_mb / std::max(server, 1e-6),
              baseline_rps / (r.pages / r.secs));
}

}  // namespace

int main(int argc, char** argv) {
  cwsim::Options o;
  o.seed = 1;
  o.quotes = argc > 1 ? std::stoi(argv[1]) : 100000;
  int page_size = argc > 2 ? std::stoi(argv[2]) : 1000;
  o.opportunities = 1000;
  o.tickets = 20;

  auto t0 = Clock::now();
  cwsim::Simulator sim(o);
  int port = sim.start();
  std::printf("cwsim startup: %d quotes generated in %.2f s, RSS %ld MB\n", o.quotes, seconds_since(t0), rss_mb());

  // Baseline: trivial requests on one keep-alive connection.
  double baseline_rps = 0;
  {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
    s.setKeepAlive(true);
    const int n = 2000;
    auto b0 = Clock::now();
    for (int k = 0; k < n; ++k) {
      Poco::Net::HTTPRequest req("GET", "/_sim/health", Poco::Net::HTTPMessage::HTTP_1_1);
      s.sendRequest(req);
      Poco::Net::HTTPResponse resp;
      std::string body;
      Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
    }
    double secs = seconds_since(b0);
    baseline_rps = n / secs;
    std::printf("%-34s %d requests  %.0f req/s (baseline)\n", "control /_sim/health", n, n / secs);
  }

  std::string auth = auth_header(o);
  auto pass = [&](const char* name, bool gzip, const std::string& extra) {
    uint64_t since = next_seq(sim);
    PassResult r = read_all(port, auth, page_size, gzip, extra);
    print(name, r, server_secs(sim, since), baseline_rps);
    return r;
  };
  pass("full rows, cold serialization cache", false, "");
  PassResult warm = pass("full rows, warm", false, "");
  pass("full rows, gzip level 1", true, "");
  std::string fields =
      "&includeFields=id,quoteNumber,quoteVersion,name,quoteStatus,accountName,isAccepted,isLost,quoteTotal,"
      "modifyDate,crmOpportunityId";
  pass("includeFields (11), cold", false, fields);
  pass("includeFields (11), warm, gzip", true, fields);
  pass("conditions modifyDate >= [day]", false, "&conditions=modifyDate%20%3E%3D%20%5B2000-01-01%5D");
  {
    std::vector<std::string> ids;
    sim.with_store([&](cwsim::Store& st) {
      for (const cwsim::Quote& q : st.quotes) {
        if (st.quote_visible(q, false)) ids.push_back(q.id);
      }
      return 0;
    });
    uint64_t since = next_seq(sim);
    ItemsResult items = read_items(port, auth, ids, 42);
    double server = server_secs(sim, since);
    std::printf("%-36s requests=%d items=%ld  client %.2f s: %.1f req/s %.0f quotes/s json %.1f MB/s | server %.2f s: "
                "%.1f req/s | request cost %.1fx baseline\n",
                "quoteItems, idQuote in (42 ids)", items.requests, items.rows, items.secs, items.requests / items.secs,
                static_cast<double>(ids.size()) / items.secs, items.json_mb / items.secs, server,
                items.requests / std::max(server, 1e-6), baseline_rps / (items.requests / items.secs));
  }
  std::printf("RSS after passes: %ld MB\n", rss_mb());
  bool done = warm.pages == o.quotes / page_size && warm.rows == o.quotes;
  std::printf("served %d full pages of %d quotes: %s\n", warm.pages, page_size, done ? "yes" : "NO");
  sim.stop();
  return done ? 0 : 1;
}
