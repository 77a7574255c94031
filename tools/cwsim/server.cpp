// Poco wiring: turns HTTP exchanges into Request/Response, and applies the
// rate limit, scripted faults, gzip and the request log around the handlers.
#include "autotask.h"
#include "state.h"

#include <Poco/DeflatingStream.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace cwsim {

bool is_tenant(const State& st, const std::string& base, const std::string& name, bool nocase) {
  auto eq = [nocase](const std::string& a, const std::string& b) {
    return nocase ? compare_nocase(a, b) == 0 : a == b;
  };
  if (eq(name, base)) return true;
  if (st.opts.tenants <= 0 || name.size() <= base.size() + 1) return false;
  if (!eq(name.substr(0, base.size()), base) || name[base.size()] != '-') return false;
  int n = 0;
  const char* first = name.data() + base.size() + 1;
  const char* last = name.data() + name.size();
  auto [p, ec] = std::from_chars(first, last, n);
  return ec == std::errc() && p == last && *first != '0' && n >= 1 && n <= st.opts.tenants;
}

bool State::sleep_for(int64_t ms) {
  std::unique_lock lk(wait_mu);
  return !wait_cv.wait_for(lk, std::chrono::milliseconds(ms), [this] { return stopping.load(); });
}

namespace {

std::string gzip(const std::string& body, int level) {
  std::ostringstream out;
  Poco::DeflatingOutputStream z(out, Poco::DeflatingStreamBuf::STREAM_GZIP, level);
  z.write(body.data(), static_cast<std::streamsize>(body.size()));
  z.close();
  return out.str();
}

// Closes the connection with an RST and no response: what a client sees when
// a load balancer or the server process dies mid-request.
void abort_connection(Poco::Net::HTTPServerRequest& req) {
  auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req);
  Poco::Net::StreamSocket s = impl.detachSocket();
  try {
    s.setLinger(true, 0);
    s.close();
  } catch (const Poco::Exception&) {
  }
}

Response fault_response(const FaultRule& f, const std::string& api) {
  Response r;
  if (f.kind == FaultKind::kHtml) {
    r.status = f.status;
    r.content_type = "text/html; charset=utf-8";
    // What a proxy or IIS error page looks like; 200 keeps the generic 503 wording.
    std::string reason = Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(f.status == 200 ? 503 : f.status));
    r.body = "<!DOCTYPE html><html><head><title>" + std::to_string(f.status) + " " + reason +
             "</title></head><body><h1>" + reason +
             "</h1><p>The server is temporarily unable to service your request.</p></body></html>";
  } else {
    std::string msg = f.status == 429 ? "Too many requests. Please retry later." : "An error has occurred.";
    std::string code = f.status == 429 ? "TooManyRequests" : "UnexpectedError";
    r = api == "psa" ? psa_error(f.status, code, msg) : api == "cpq" ? cpq_error(f.status, msg) : at_error(f.status, msg);
  }
  if (f.retry_after_s) {
    std::string value = f.retry_after_http_date ? format_http_date(now_ms() + *f.retry_after_s * 1000LL)
                                                : std::to_string(*f.retry_after_s);
    r.headers.emplace_back("Retry-After", value);
  }
  return r;
}

// The tenant a request speaks for: the access key (CPQ) or company (PSA)
// before the '+' of its Basic user, lower-cased; "" without auth.
std::string tenant_of(const Request& req) {
  auto creds = basic_auth(req);
  if (!creds) return {};
  return lower_ascii(creds->first.substr(0, creds->first.find('+')));
}

// Holds one of an Autotask endpoint's concurrent-request slots until the
// request is over, whichever way it ends.
class EndpointSlot {
 public:
  EndpointSlot(AutotaskLimits& limits, std::string endpoint) : limits_(limits), endpoint_(std::move(endpoint)) {}
  ~EndpointSlot() { limits_.release(endpoint_); }
  EndpointSlot(const EndpointSlot&) = delete;
  EndpointSlot& operator=(const EndpointSlot&) = delete;

 private:
  AutotaskLimits& limits_;
  std::string endpoint_;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(State& st) : st_(st) {}

  void handleRequest(Poco::Net::HTTPServerRequest& hreq, Poco::Net::HTTPServerResponse& hresp) override {
    Request req = read(hreq);
    if (req.path.rfind("/_sim/", 0) == 0 || req.path == "/_sim") {
      if (!hreq.clientAddress().host().isLoopback()) {
        send(hreq, hresp, req, json_response(403, {{"error", "control API is loopback-only"}}));
        return;
      }
      send(hreq, hresp, req, handle_control(st_, req));
      return;
    }
    bool cpq = req.path.rfind("/api/", 0) == 0 || req.path == "/api";
    std::string api = cpq ? "cpq" : is_autotask_path(req.path) ? "autotask" : "psa";
    LogEntry entry;
    entry.api = api;
    entry.method = req.method;
    entry.path = req.path;
    entry.query = req.query;
    if (req.method != "GET") entry.body = req.body;
    entry.arrived_ms = req.arrived;
    uint64_t seq = st_.log.begin(std::move(entry));
    auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    };

    TimeMs retry_ms = 0;
    if (!st_.limiter.allow(api, st_.opts.rate_limit_per_tenant ? tenant_of(req) : std::string(),
                           now_ms(), retry_ms)) {
      FaultRule limit;
      limit.status = 429;
      limit.retry_after_s = static_cast<int>((retry_ms + 999) / 1000);
      Response r = fault_response(limit, api);
      send(hreq, hresp, req, r);
      st_.log.finish(seq, 429, true, "rate_limit", elapsed());
      return;
    }
    // Autotask's own limits: the hourly threshold and per-endpoint concurrency.
    const std::string endpoint = api == "autotask" ? autotask_endpoint(req.path) : std::string();
    std::optional<EndpointSlot> slot;
    if (!endpoint.empty()) {
      AutotaskLimits::Admission adm = st_.at_limits.admit(endpoint, now_ms());
      if (!adm.admitted) {
        send(hreq, hresp, req, at_error(429, adm.message));
        st_.log.finish(seq, 429, true, adm.fault, elapsed());
        return;
      }
      slot.emplace(st_.at_limits, endpoint);
      if (adm.delay_ms > 0) st_.sleep_for(adm.delay_ms);
    }

    std::optional<FaultRule> fault;
    for (FaultRule& f : st_.faults.pick(api, req.method, req.path)) {
      if (f.kind == FaultKind::kMutate) {
        try {
          apply_mutation(st_, f.mutation);
        } catch (const std::invalid_argument&) {
          // A bad scripted mutation must not turn into a client-visible fault.
        }
      } else {
        fault = f;
      }
    }
    std::string fault_name = fault ? to_string(fault->kind) : "";
    if (fault && fault->delay_ms > 0 && !st_.sleep_for(fault->delay_ms)) {
      abort_connection(hreq);
      st_.log.finish(seq, 0, false, fault_name, elapsed());
      return;
    }
    // Dropped connections are logged first, so a client that sees the reset
    // finds its request in the log.
    if (fault && fault->kind == FaultKind::kReset) {
      st_.log.finish(seq, 0, false, fault_name, elapsed());
      abort_connection(hreq);
      return;
    }
    Response resp;
    int handled = 0;  // the handler's answer, for the log (LogEntry::handled)
    if (fault && (fault->kind == FaultKind::kStatus || fault->kind == FaultKind::kHtml)) {
      resp = fault_response(*fault, api);
    } else {
      resp = dispatch(req, api);
      handled = resp.status;
    }
    if (fault && fault->kind == FaultKind::kAppliedThenLost) {
      // Other writers land before the client can hear anything, so a test
      // that sees the reset sees them too.
      if (fault->other_writers > 0 && api == "autotask") autotask_other_writers(st_, req, fault->other_writers);
      if (fault->other_writers > 0 && api == "psa") add_other_writers(resp, fault->other_writers);
      st_.log.finish(seq, 0, false, fault_name, elapsed(), resp.status);
      abort_connection(hreq);
      return;
    }
    if (fault && fault->kind == FaultKind::kTruncate && resp.body.size() > 1) {
      resp.body.resize(resp.body.size() / 2);
    }
    if (fault && fault->kind == FaultKind::kWrongType) {
      bool was_array = !resp.body.empty() && resp.body[0] == '[';
      resp.status = 200;
      resp.body = was_array ? R"({"message":"OK","data":null})" : "[]";
    }
    bool sent = send(hreq, hresp, req, resp);
    st_.log.finish(seq, sent ? resp.status : 0, sent, fault_name, elapsed(), handled);
  }

 private:
  // Notes from other writers on the ticket of an object just created (a
  // note's ticketId, a time entry's chargeToId).
  void add_other_writers(const Response& applied, int count) {
    if (applied.status < 200 || applied.status >= 300) return;
    Json obj = Json::parse(applied.body, nullptr, false);
    if (!obj.is_object()) return;
    Json ticket = obj.contains("ticketId") ? obj["ticketId"] : obj.value("chargeToId", Json());
    if (!ticket.is_number_integer()) return;
    try {
      apply_mutation(st_, {{"entity", "notes"}, {"kind", "create"}, {"ticket", ticket}, {"count", count}});
    } catch (const std::invalid_argument&) {
    }
  }

  Request read(Poco::Net::HTTPServerRequest& hreq) {
    Request req;
    req.arrived = now_ms();
    req.method = hreq.getMethod();
    const std::string& uri = hreq.getURI();
    size_t q = uri.find('?');
    Poco::URI::decode(uri.substr(0, q), req.path);
    if (q != std::string::npos) req.query = uri.substr(q + 1);
    parse_query(req.query, req.params);
    for (const auto& [k, v] : hreq) req.headers[k] = v;
    req.host = hreq.getHost();
    if (hreq.hasContentLength() || hreq.getChunkedTransferEncoding()) {
      std::ostringstream body;
      Poco::StreamCopier::copyStream(hreq.stream(), body);
      req.body = body.str();
    }
    return req;
  }

  Response dispatch(const Request& req, const std::string& api) {
    try {
      if (api == "autotask") return handle_autotask(st_, req);
      return api == "cpq" ? handle_cpq(st_, req) : handle_psa(st_, req);
    } catch (const HttpError& e) {
      return e.response;
    } catch (const std::exception& e) {
      std::string msg = std::string("cwsim internal error: ") + e.what();
      if (api == "autotask") return at_error(500, msg);
      return api == "cpq" ? cpq_error(500, msg) : psa_error(500, "UnexpectedError", msg);
    }
  }

  // Returns false when the client went away before the response was written.
  bool send(Poco::Net::HTTPServerRequest& hreq, Poco::Net::HTTPServerResponse& hresp, const Request& req,
            const Response& r) {
    hresp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    hresp.setContentType(r.content_type);
    for (const auto& [k, v] : r.headers) hresp.set(k, v);
    const std::string* body = &r.body;
    std::string compressed;
    if (!r.body.empty() && hreq.get("Accept-Encoding", "").find("gzip") != std::string::npos) {
      compressed = gzip(r.body, st_.opts.gzip_level);
      hresp.set("Content-Encoding", "gzip");
      body = &compressed;
    }
    (void)req;
    try {
      hresp.sendBuffer(body->data(), body->size());
      return true;
    } catch (const Poco::Exception&) {
      return false;
    }
  }

  State& st_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(State& st) : st_(st) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(st_);
  }

 private:
  State& st_;
};

}  // namespace

struct Runtime {
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::thread mutator;
  int port = 0;
};

State::State(Options o) : opts(std::move(o)), faults(opts.seed) {}
State::~State() = default;

Simulator::Simulator(Options options) : state_(std::make_unique<State>(std::move(options))) {
  const Options& o = state_->opts;
  if (o.quotes < 0 || o.opportunities < 0 || o.tickets < 0 || o.items_per_quote < 1) {
    throw std::invalid_argument("counts must be >= 0 and items-per-quote >= 1");
  }
  if (o.codebase.empty() || o.codebase.back() != '/') throw std::invalid_argument("codebase must end with '/'");
  if (o.port < 0 || o.port > 65535) throw std::invalid_argument("port must be 0..65535");
  if (o.threads < 1 || o.threads > 1024) throw std::invalid_argument("threads must be 1..1024");
  if (o.gzip_level < 1 || o.gzip_level > 9) throw std::invalid_argument("gzip-level must be 1..9");
  if (o.mutate_every_ms < 0) throw std::invalid_argument("mutate-every must be >= 0");
  if (o.tenants < 0 || o.tenants > 100000) throw std::invalid_argument("tenants must be 0..100000");
  if (o.at_hourly_limit < 1 || o.at_concurrency < 1 || o.at_threshold_delay_ms < 0) {
    throw std::invalid_argument("at-hourly-limit and at-concurrency must be >= 1, at-threshold-delay-ms >= 0");
  }
  state_->at_limits.configure(o.at_hourly_limit, o.at_concurrency, o.at_threshold_delay_ms);
  DataSpec spec;
  spec.seed = o.seed;
  spec.quotes = o.quotes;
  spec.opportunities = o.opportunities;
  spec.tickets = o.tickets;
  spec.items_per_quote = o.items_per_quote;
  if (o.now.empty()) {
    spec.now = truncate_to_day(now_ms());
  } else {
    auto t = parse_time(o.now);
    if (!t) throw std::invalid_argument("--now must be ISO-8601, e.g. 2026-01-15T00:00:00Z");
    spec.now = *t;
  }
  for (const auto& [api, text] : {std::pair{"cpq", o.cpq_rate_limit}, std::pair{"psa", o.psa_rate_limit}}) {
    if (text.empty()) continue;
    auto r = parse_rate(text);
    if (!r) throw std::invalid_argument(std::string("bad ") + api + " rate limit '" + text + "' (want N/5s)");
    state_->limiter.configure(api, r->first, r->second);
  }
  state_->codebase = o.codebase;
  state_->store.generate(spec);
}

Simulator::~Simulator() { stop(); }

int Simulator::start() {
  std::lock_guard lk(state_->runtime_mu);
  if (state_->runtime) return state_->runtime->port;
  auto rt = std::make_unique<Runtime>();
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(state_->opts.host, static_cast<uint16_t>(state_->opts.port)), 64);
  rt->port = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(state_->opts.threads);
  params->setMaxQueued(256);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(0);
  params->setKeepAliveTimeout(Poco::Timespan(15, 0));
  params->setTimeout(Poco::Timespan(30, 0));
  rt->pool = std::make_unique<Poco::ThreadPool>(2, std::max(2, state_->opts.threads));
  rt->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*state_), *rt->pool, socket, params);
  rt->server->start();
  if (state_->opts.mutate_every_ms > 0) {
    State* st = state_.get();
    rt->mutator = std::thread([st] {
      while (st->sleep_for(st->opts.mutate_every_ms)) {
        try {
          random_mutation(*st);
        } catch (const std::exception&) {
        }
      }
    });
  }
  int port = rt->port;
  state_->runtime = std::move(rt);
  return port;
}

void Simulator::stop() {
  std::unique_ptr<Runtime> rt;
  {
    std::lock_guard lk(state_->runtime_mu);
    if (!state_->runtime) return;
    rt = std::move(state_->runtime);
  }
  {
    std::lock_guard lk(state_->wait_mu);
    state_->stopping = true;
  }
  state_->wait_cv.notify_all();
  // Poco's accept loop polls every 250 ms; a throwaway connection wakes it so
  // stop() (and every test's teardown) does not wait for the poll to expire.
  std::thread waker([port = rt->port, host = state_->opts.host] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    try {
      Poco::Net::StreamSocket s;
      s.connect(Poco::Net::SocketAddress(host == "0.0.0.0" ? "127.0.0.1" : host, static_cast<uint16_t>(port)),
                Poco::Timespan(0, 200000));
    } catch (const Poco::Exception&) {
    }
  });
  rt->server->stopAll(true);
  waker.join();
  if (rt->mutator.joinable()) rt->mutator.join();
  rt->pool->joinAll();
  rt->server.reset();
  rt->pool.reset();
  state_->stopping = false;
}

int Simulator::port() const {
  std::lock_guard lk(state_->runtime_mu);
  return state_->runtime ? state_->runtime->port : 0;
}

std::string Simulator::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

const Options& Simulator::options() const { return state_->opts; }

Store& Simulator::store() { return state_->store; }

ControlResult Simulator::control(const std::string& method, const std::string& target, const Json& body) {
  Request req;
  req.method = method;
  size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  parse_query(req.query, req.params);
  if (!body.is_null()) req.body = body.dump();
  req.arrived = now_ms();
  Response r = handle_control(*state_, req);
  ControlResult out;
  out.status = r.status;
  out.body = Json::parse(r.body, nullptr, false);
  return out;
}

}  // namespace cwsim
