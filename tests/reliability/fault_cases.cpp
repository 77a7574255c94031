// The rows of the fault matrix: how each kind of fault is produced for real
// on one machine, over 127.0.0.1, and which documented event must name it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <SQLiteCpp/SQLiteCpp.h>

#include "fault_cases.h"

namespace cwsync::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// A set-up step that should always work here failed: the row fails (an
// exception fails the test); only a missing privilege makes a row skip.
[[noreturn]] void broken(const std::string& what) { throw std::runtime_error(what); }

// A cwsim fault rule on every API request (both APIs, every method) until
// cleared: while it holds, nothing gets through.
std::function<std::string(FaultRig&)> every_request(json rule) {
  return [rule](FaultRig& rig) {
    json r = rule;
    r["count"] = -1;
    rig.sim().add_fault(r);
    return std::string();
  };
}

void clear_sim_faults(FaultRig& rig) { rig.sim().clear_faults(); }

// Read timeout: cwsim answers every request after kSlowServerMs, longer than
// the daemon's read_timeout (1.5 s). A slow server still applies a POST the
// client gave up on; a marker check made before that moment cannot see it
// (the window docs/queue.md states). So the fault clears only once the
// requests cwsim already holds have had their delay: what the row checks is
// that a timed-out POST is never re-sent blindly, not that window.
constexpr int kSlowServerMs = 2500;

void clear_slow_server(FaultRig& rig) {
  rig.sim().clear_faults();
  std::this_thread::sleep_for(std::chrono::milliseconds(kSlowServerMs));
}

// A private mount namespace for this test process and its children, so a
// row's mounts never reach the host and vanish with the process.
std::string private_mounts() {
  static bool done = false;
  if (done) return "";
  if (::unshare(CLONE_NEWNS) != 0) return errno_text("unshare(CLONE_NEWNS) (needs CAP_SYS_ADMIN)");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return errno_text("mount --make-rprivate /");
  }
  done = true;
  return "";
}

// Connect timeout on loopback: a listener whose accept queue is full drops
// every further SYN, so connect() hangs exactly as towards a blackholed
// host. backlog 0 holds one connection; the fillers take it.
std::string blackhole(FaultRig& rig, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) broken(errno_text("socket"));
  rig.held_fds.push_back(fd);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // cwsim has just released the port; its last connections may linger.
  bool bound = false;
  for (int i = 0; i < 50 && !bound; ++i) {
    bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (!bound) std::this_thread::sleep_for(20ms);
  }
  if (!bound) broken(errno_text("bind a blackhole to the cwsim port"));
  if (::listen(fd, 0) != 0) broken(errno_text("listen"));
  for (int i = 0; i < 2; ++i) {
    const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    rig.held_fds.push_back(filler);
    ::connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // EINPROGRESS
  }
  std::this_thread::sleep_for(100ms);  // the first filler's handshake completes
  return "";
}

std::string inject_connect_timeout(FaultRig& rig) {
  const int port = rig.sim_port();
  rig.stop_sim();
  return blackhole(rig, port);
}

void clear_connect_timeout(FaultRig& rig) {
  const int port = rig.sim_port();
  for (int fd : rig.held_fds) ::close(fd);
  rig.held_fds.clear();
  rig.start_sim(port);  // the same seeded data, back on the same port
}

// TLS failure: the tenant is switched (SIGHUP) to an https:// endpoint on
// 127.0.0.1 whose certificate is self-signed (cwsim has no TLS listener, so
// the row brings its own, tls_stub.h). cwsync verifies certificates against
// the system CA store, so every handshake must fail. The fault clears with a
// reload back to cwsim.
std::string inject_tls(FaultRig& rig) {
  rig.tls_stub = std::make_unique<TlsStub>();
  const std::string url = rig.tls_stub->url();
  if (!rig.reload({url, url})) broken("SIGHUP to the https config was not applied");
  return "";
}

void reload_back(FaultRig& rig) { rig.reload(rig.sim_endpoints()); }

// DNS failure: `.invalid` never resolves (RFC 6761). So that the lookup
// leaves no packet on the network, this process's private mount namespace
// gets an nsswitch.conf that resolves host names from /etc/hosts only: the
// daemon's lookup fails at once, locally, as a name the resolver does not
// know.
std::string prepare_dns(FaultRig& rig) {
  if (std::string why = private_mounts(); !why.empty()) return why;
  if (!std::filesystem::exists("/etc/nsswitch.conf")) return "no /etc/nsswitch.conf to replace";
  const auto conf = rig.dir().file("nsswitch.conf");
  std::ofstream(conf) << "passwd: files\ngroup: files\nshadow: files\nhosts: files\n";
  if (::mount(conf.c_str(), "/etc/nsswitch.conf", nullptr, MS_BIND, nullptr) != 0) {
    return errno_text("bind-mount a files-only nsswitch.conf");
  }
  rig.mounts.push_back("/etc/nsswitch.conf");
  return "";
}

std::string inject_dns(FaultRig& rig) {
  const std::string url = "https://cwsim.invalid:" + std::to_string(rig.sim_port());
  if (!rig.reload({url, url})) broken("SIGHUP to the .invalid config was not applied");
  return "";
}

// Read-only database: stop the daemon, take write permission away from the
// cache file, start it again. (A running daemon keeps the descriptors it
// opened read-write, so a chmod under it changes nothing; a start is where an
// operator's chmod/chown mistake shows.)
std::string inject_read_only(FaultRig& rig) {
  if (::geteuid() == 0 && ::prctl(PR_CAPBSET_READ, CAP_DAC_OVERRIDE, 0, 0, 0) == 1) {
    return "the daemon would run as root with CAP_DAC_OVERRIDE, which writes through any file mode";
  }
  if (rig.stop_daemon() != 0) broken("the daemon did not stop cleanly before the chmod");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string p = rig.db_path() + suffix;
    if (std::filesystem::exists(p) && ::chmod(p.c_str(), 0440) != 0) broken(errno_text("chmod 0440"));
  }
  rig.start_daemon();
  return "";
}

void clear_read_only(FaultRig& rig) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string p = rig.db_path() + suffix;
    if (std::filesystem::exists(p)) ::chmod(p.c_str(), 0640);
  }
}

// Another writer holds the write lock (BEGIN IMMEDIATE) for longer than the
// daemon's busy_timeout (5 s, storage/database.h).
std::string inject_lock(FaultRig& rig) {
  rig.lock_holder = std::make_unique<SQLite::Database>(rig.db_path(), SQLite::OPEN_READWRITE, 1000);
  rig.lock_holder->exec("BEGIN IMMEDIATE");
  return "";
}

void clear_lock(FaultRig& rig) {
  rig.lock_holder->exec("ROLLBACK");
  rig.lock_holder.reset();
}

// Disk full: the cache lives on a small tmpfs (in a private mount
// namespace); the fault fills it to the last byte with a filler file, so
// the next page the WAL needs gets ENOSPC, as on a full disk.
std::string prepare_small_disk(FaultRig& rig) {
  if (std::string why = private_mounts(); !why.empty()) return why;
  if (::mount("cwsync-fault-tmpfs", rig.db_dir().c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
              "size=8m,mode=0700") != 0) {
    return errno_text("mount a small tmpfs for the cache");
  }
  rig.mounts.push_back(rig.db_dir());
  return "";
}

std::filesystem::path filler_path(FaultRig& rig) { return rig.db_dir() / "filler"; }

std::string inject_disk_full(FaultRig& rig) {
  const int fd = ::open(filler_path(rig).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) broken(errno_text("create the filler"));
  std::vector<char> block(64 * 1024, 'x');
  size_t chunk = block.size();
  // Big blocks first, then smaller ones, down to the last free byte.
  while (chunk > 0) {
    if (::write(fd, block.data(), chunk) < 0) {
      if (errno != ENOSPC) broken(errno_text("fill the tmpfs"));
      chunk /= 2;
    }
  }
  ::close(fd);
  return "";
}

void clear_disk_full(FaultRig& rig) { std::filesystem::remove(filler_path(rig)); }

// Disk full, the other way: a file size limit (RLIMIT_FSIZE, systemd's
// LimitFSIZE=) put on the running daemon with prlimit(2). A write at or past
// the limit fails with EFBIG and raises SIGXFSZ, whose default action kills
// the process, so this row also checks that cwsync ignores SIGXFSZ. The limit
// sits below the WAL's end (every new frame fails) and above the daemon's
// stdout file (its log lines still land).
constexpr rlim_t kFileSizeLimit = 256 * 1024;

std::string inject_file_size_limit(FaultRig& rig) {
  std::error_code ec;
  const auto wal = std::filesystem::file_size(rig.db_path() + "-wal", ec);
  if (ec || wal <= kFileSizeLimit) broken("the WAL is too small for a file size limit below its end");
  rlimit limit{kFileSizeLimit, RLIM_INFINITY};
  if (::prlimit(rig.daemon_pid(), RLIMIT_FSIZE, &limit, nullptr) != 0) {
    broken(errno_text("prlimit(RLIMIT_FSIZE) on the daemon"));
  }
  return "";
}

void clear_file_size_limit(FaultRig& rig) {
  rlimit none{RLIM_INFINITY, RLIM_INFINITY};
  ::prlimit(rig.daemon_pid(), RLIMIT_FSIZE, &none, nullptr);
}

// Clock jumping backwards: the daemon runs with clock_shift_preload, which
// moves its CLOCK_REALTIME; the row steps it back two hours mid-run (as an
// NTP step or a VM snapshot restore does) and leaves it there.
std::filesystem::path shift_file(FaultRig& rig) { return rig.dir().file("clock-shift"); }

void write_shift(FaultRig& rig, std::int64_t seconds) {
  std::fstream f(shift_file(rig), std::ios::in | std::ios::out | std::ios::binary);
  f.write(reinterpret_cast<const char*>(&seconds), sizeof seconds);
}

std::string prepare_clock(FaultRig& rig) {
#ifdef __SANITIZE_ADDRESS__
  return "under ASan an LD_PRELOAD library cannot load ahead of the ASan runtime";
#endif
  {
    const std::int64_t zero = 0;
    std::ofstream(shift_file(rig), std::ios::binary)
        .write(reinterpret_cast<const char*>(&zero), sizeof zero);
  }
  rig.daemon_env["LD_PRELOAD"] = CLOCK_SHIFT_PRELOAD;
  rig.daemon_env["CWSYNC_CLOCK_SHIFT_FILE"] = shift_file(rig).string();
  return "";
}

std::string inject_clock_back(FaultRig& rig) {
  rig.daemon_clock_shift = -std::chrono::hours(2);
  write_shift(rig, rig.daemon_clock_shift.count());
  return "";
}

std::vector<FaultCase> build_cases() {
  std::vector<FaultCase> rows;
  auto status_row = [&](std::string name, int status, std::string needle) {
    FaultCase c;
    c.name = std::move(name);
    c.fault = "every request answers " + std::to_string(status);
    c.events = {"sync_failed"};
    c.needle = std::move(needle);
    c.inject = every_request({{"kind", "status"}, {"status", status}});
    c.clear = clear_sim_faults;
    rows.push_back(c);
  };

  FaultCase c;
  c.name = "Http429RetryAfterSeconds";
  c.fault = "every request answers 429 with Retry-After: 1";
  c.events = {"http_throttled"};
  c.needle = "\"http_status\":429";
  c.inject = every_request({{"kind", "status"}, {"status", 429}, {"retry_after", 1}});
  c.clear = clear_sim_faults;
  rows.push_back(c);

  c.name = "Http429RetryAfterHttpDate";
  c.fault = "every request answers 429 with Retry-After as an HTTP-date 1 s ahead";
  c.inject = every_request({{"kind", "status"}, {"status", 429}, {"retry_after", 1},
                            {"retry_after_http_date", true}});
  rows.push_back(c);

  status_row("Http500", 500, "HTTP 500");
  status_row("Http502", 502, "HTTP 502");
  status_row("Http503", 503, "HTTP 503");

  c = FaultCase{};
  c.name = "ConnectTimeout";
  c.fault = "cwsim's port becomes a listener with a full accept queue (SYNs dropped)";
  c.events = {"sync_failed"};
  c.needle = "timed out connecting";
  c.upstream_down = true;
  c.inject = inject_connect_timeout;
  c.clear = clear_connect_timeout;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "ReadTimeout";
  c.fault = "every response is delayed 2.5 s (read_timeout 1.5 s)";
  c.events = {"sync_failed"};
  c.needle = "read timeout";
  c.inject = every_request({{"kind", "delay"}, {"delay_ms", kSlowServerMs}});
  c.clear = clear_slow_server;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "ResetBeforeResponse";
  c.fault = "every connection is reset (RST) before anything is done";
  c.events = {"sync_failed"};
  c.needle = "connection";
  c.inject = every_request({{"kind", "reset"}});
  c.clear = clear_sim_faults;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "AppliedThenLost";
  c.fault = "every PSA POST is stored, then the connection is reset without a response";
  c.events = {"http_not_resent"};
  c.also_logged = {"post_deduplicated"};
  c.blocks_pull = false;
  c.blocks_posts = false;  // the marker check finds them: delivered, once
  c.inject = every_request({{"kind", "applied_then_lost"}, {"api", "psa"}, {"method", "POST"}});
  c.clear = clear_sim_faults;
  rows.push_back(c);

  // The queue's failure classes (docs/queue.md): a busy ticket, a slow PSA,
  // a poison post.
  c = FaultCase{};
  c.name = "AppliedThenLostOnABusyTicket";
  c.fault = "every note POST is stored, its answer lost, then 1,200 notes from other writers land "
            "on the ticket";
  c.events = {"http_not_resent"};
  c.also_logged = {"post_deduplicated"};
  c.blocks_pull = false;
  c.blocks_posts = false;  // the marker check pages the whole ticket: delivered, once
  c.inject = every_request({{"kind", "applied_then_lost"}, {"api", "psa"}, {"method", "POST"},
                            {"path", "*/notes"}, {"other_writers", 1200}});
  c.clear = clear_sim_faults;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "PsaAppliesAfterTheReadTimeout";
  c.fault = "PSA holds every note POST 6.5 s, then applies it: 5 s after the 1.5 s read timeout";
  c.events = {"http_not_resent"};
  c.needle = "read timeout";
  c.also_logged = {"post_deduplicated"};
  c.blocks_pull = false;
  c.blocks_posts = false;  // checked after read_timeout + settle (7.5 s): found, not re-sent
  c.inject = every_request({{"kind", "delay"}, {"api", "psa"}, {"method", "POST"},
                            {"path", "*/notes"}, {"delay_ms", 6500}});
  c.clear = clear_slow_server;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "PoisonPost";
  c.fault = "every note POST to one ticket answers 500 with PSA's error body; other calls work";
  c.events = {"http_not_resent"};
  c.needle = "500";
  c.blocks_pull = false;
  c.blocks_posts = false;  // the other ticket's note and the time entry go through
  c.inject = every_request({{"kind", "status"}, {"status", 500}, {"api", "psa"},
                            {"method", "POST"}, {"path", "*/tickets/1001/notes"}});
  c.clear = clear_sim_faults;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "TruncatedJson";
  c.fault = "every response body is cut in half (valid HTTP, broken JSON)";
  c.events = {"sync_failed"};
  c.needle = "not valid JSON";
  c.inject = every_request({{"kind", "truncate"}});
  c.clear = clear_sim_faults;
  rows.push_back(c);

  c.name = "WrongJsonType";
  c.fault = "every response is 200 with JSON of the wrong shape";
  c.needle = "expected a JSON";
  c.inject = every_request({{"kind", "wrong_type"}});
  rows.push_back(c);

  c.name = "HtmlErrorPage";
  c.fault = "every response is a 200 text/html error page from a proxy";
  c.needle = "not valid JSON";
  c.inject = every_request({{"kind", "html"}, {"status", 200}});
  rows.push_back(c);

  c = FaultCase{};
  c.name = "TlsFailure";
  c.fault = "both APIs at an https:// endpoint with a self-signed certificate (config reload)";
  c.events = {"sync_failed"};
  c.needle = "certificate verify failed";
  c.inject = inject_tls;
  c.clear = reload_back;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "DnsFailure";
  c.fault = "the upstream host is cwsim.invalid (config reload), then back";
  c.events = {"sync_failed"};
  c.needle = "DNS lookup failed";
  c.prepare = prepare_dns;
  c.inject = inject_dns;
  c.clear = reload_back;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "DatabaseReadOnly";
  c.fault = "the cache file is chmod 0440 when the daemon starts";
  c.events = {"db_open_failed"};
  c.needle = "";
  c.enqueue_before_fault = true;
  c.blocks_posts = false;
  c.exit_code = 1;
  c.inject = inject_read_only;
  c.clear = clear_read_only;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "DatabaseLocked";
  c.fault = "another writer holds BEGIN IMMEDIATE beyond busy_timeout (5 s)";
  c.events = {"sync_failed"};
  c.needle = "locked";
  c.enqueue_before_fault = true;
  c.blocks_posts = false;
  c.inject = inject_lock;
  c.clear = clear_lock;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "DiskFull";
  c.fault = "the cache's 8 MiB tmpfs is filled to the last byte";
  c.events = {"sync_failed"};
  c.needle = "full";
  c.enqueue_before_fault = true;
  c.blocks_posts = false;
  c.prepare = prepare_small_disk;
  c.inject = inject_disk_full;
  c.clear = clear_disk_full;
  rows.push_back(c);

  c = FaultCase{};
  c.name = "FileSizeLimit";
  c.fault = "RLIMIT_FSIZE of 256 KiB put on the running daemon (below the WAL's end)";
  c.events = {"sync_failed"};
  c.needle = "disk I/O error";
  c.enqueue_before_fault = true;
  c.blocks_posts = false;
  c.inject = inject_file_size_limit;
  c.clear = clear_file_size_limit;
  rows.push_back(c);

  // The Autotask tenant beside the ConnectWise one: faults on Autotask's API
  // only, posts for the Autotask tenant only; the ConnectWise tenant's pulls
  // go on (blocks_pull off), the Autotask tenant's posts are what is checked.
  auto autotask_row = [&](std::string name, std::string fault, std::vector<std::string> events,
                          std::string needle, json rule) {
    FaultCase r;
    r.name = std::move(name);
    r.fault = std::move(fault);
    r.events = std::move(events);
    r.needle = std::move(needle);
    r.autotask = true;
    r.blocks_pull = false;
    rule["api"] = "autotask";
    r.inject = every_request(std::move(rule));
    r.clear = clear_sim_faults;
    rows.push_back(r);
    return rows.size() - 1;
  };
  autotask_row("AutotaskHttp503", "every Autotask request answers 503", {"sync_failed"}, "HTTP 503",
               {{"kind", "status"}, {"status", 503}});
  autotask_row("AutotaskHttp429", "every Autotask request answers 429 with Retry-After: 1",
               {"http_throttled"}, "\"http_status\":429",
               {{"kind", "status"}, {"status", 429}, {"retry_after", 1}});
  autotask_row("AutotaskResetBeforeResponse", "every Autotask connection is reset before anything is done",
               {"sync_failed"}, "connection", {{"kind", "reset"}});
  {
    FaultCase& r = rows[autotask_row(
        "AutotaskAppliedThenLost",
        "every Autotask POST (note, time entry) is stored, then the connection is reset",
        {"http_not_resent"}, "", {{"kind", "applied_then_lost"}, {"method", "POST"}})];
    r.also_logged = {"post_deduplicated"};
    r.blocks_posts = false;  // the marker check finds them: delivered, once
  }
  {
    FaultCase& r = rows[autotask_row(
        "AutotaskRejection",
        "every note POST to one Autotask ticket answers 500 with an errors body (a rejection)",
        {"post_dead_lettered"}, "rejected by Autotask: An error has occurred.",
        {{"kind", "status"}, {"status", 500}, {"method", "POST"}, {"path", "*/Tickets/1001/Notes"}})];
    r.blocks_posts = false;  // the other ticket's note and the time entry go through
    r.dead = 1;              // dead with Autotask's reason, never applied
    r.dead_reason = "An error has occurred.";
  }

  c = FaultCase{};
  c.name = "ClockJumpsBackwards";
  c.fault = "the daemon's wall clock steps back 2 h mid-run and stays there";
  c.events = {"clock_stepped_back"};
  c.needle = "";
  c.blocks_pull = false;
  c.blocks_posts = false;
  c.prepare = prepare_clock;
  c.inject = inject_clock_back;
  c.clear = [](FaultRig&) {};
  rows.push_back(c);
  return rows;
}

}  // namespace

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.name << " (" << c.fault << ")"; }

const std::vector<FaultCase>& fault_cases() {
  static const std::vector<FaultCase> rows = build_cases();
  return rows;
}

}  // namespace cwsync::test
