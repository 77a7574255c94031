// Seeded data generation. Every record draws from its own RNG stream
// (mix_seed(seed, stream, index)), so a record does not change when the
// counts of other entities change.
#include "store.h"

#include <array>
#include <cmath>
#include <cstdio>

namespace cwsim {
namespace {

constexpr TimeMs kMinute = 60'000;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;

enum Stream : uint64_t { kAccounts = 1, kQuotes = 2, kItems = 3, kOpps = 4, kTickets = 5, kMutations = 6,
                         kTicketPeople = 7 };

template <size_t N>
const char* pick(Rng& r, const std::array<const char*, N>& list) {
  return list[r.below(N)];
}

const std::array<const char*, 16> kAccountFirst = {
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
    "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Oscorp", "Monarch", "Pied Piper"};
const std::array<const char*, 8> kAccountSecond = {
    "Industries", "Logistics", "Dental", "Law Group", "Manufacturing", "Holdings", "Clinic", "Foods"};
const std::array<const char*, 4> kAccountSuffix = {"Inc.", "LLC", "Ltd", "Co."};
// Unicode, quotes and ampersands: what real account lists contain.
const std::array<const char*, 8> kAccountOdd = {
    "Müller Logistik GmbH", "Société Générale de Services", "東京システム株式会社", "Ørsted & Søn ApS",
    "Café \"Le Devis\" SARL", "Zoë's Bakery 🍰", "São Paulo Tecnologia Ltda", "Łódź Dental Sp. z o.o."};
const std::array<const char*, 12> kReps = {
    "Alice Johnson", "Bob Smith", "Carla Gómez", "David Chen", "Emma Wilson", "José Álvarez",
    "Zoë Ng", "Łukasz Nowak", "佐藤 花子", "Priya Patel", "Tom O'Brien", "Fatima Al-Sayed"};
const std::array<const char*, 14> kQuoteNames = {
    "Managed Services Renewal", "Firewall Refresh", "Microsoft 365 Migration", "Network Assessment",
    "Backup & DR Upgrade", "Wi-Fi Expansion", "Server Replacement", "Security Awareness Training",
    "VoIP Rollout", "Endpoint Protection", "Azure Landing Zone", "Laptop Refresh – Phase 2",
    "Co-managed IT Agreement", "Pro Services: SharePoint Cleanup"};
const std::array<const char*, 5> kLostReasons = {"Price", "Went with competitor", "No budget",
                                                 "Project cancelled", "No response"};
const std::array<const char*, 6> kProducts = {"Hardware", "Labor", "Software", "Service", "Subscription", "Bundle"};
const std::array<const char*, 6> kUoms = {"Each", "Hour", "Month", "Year", "User", "Device"};

struct ItemDraft {
  double quantity, price, cost, recurring;
  bool optional;
  uint64_t product, uom;
};

std::vector<ItemDraft> item_drafts(uint64_t seed, int count) {
  Rng r(seed);
  std::vector<ItemDraft> out;
  out.reserve(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    ItemDraft d{};
    d.quantity = static_cast<double>(1 + r.below(20));
    d.price = static_cast<double>(50 + r.below(4950)) + static_cast<double>(r.below(100)) / 100.0;
    d.cost = std::round(d.price * (0.55 + 0.3 * r.unit()) * 100.0) / 100.0;
    d.recurring = r.chance(0.3) ? static_cast<double>(10 + r.below(490)) : 0.0;
    d.optional = r.chance(0.1);
    d.product = r.below(kProducts.size());
    d.uom = r.below(kUoms.size());
    out.push_back(d);
  }
  return out;
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

// Sets totals from the quote's items: subtotal excludes optional items.
void apply_totals(Quote& q, bool taxable) {
  double sub = 0, cost = 0, rec = 0;
  for (const ItemDraft& d : item_drafts(q.item_seed, q.item_count)) {
    if (d.optional) continue;
    sub += d.quantity * d.price;
    cost += d.quantity * d.cost;
    rec += d.quantity * d.recurring;
  }
  q.subtotal = round2(sub);
  q.tax = taxable ? round2(sub * 0.0825) : 0.0;
  q.quote_total = round2(q.subtotal + q.tax);
  q.gross_margin = round2(sub - cost);
  q.recurring_total = round2(rec);
}

Json ref(int64_t id, const std::string& name) { return Json{{"id", id}, {"name", name}}; }

}  // namespace

uint64_t Rng::next() {
  uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string Rng::guid() {
  uint64_t a = next(), b = next();
  a = (a & ~0xF000ULL) | 0x4000ULL;                                  // version 4
  b = (b & ~(0xC000ULL << 48)) | (0x8000ULL << 48);                  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48), static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

uint64_t mix_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  Rng r(seed ^ (stream * 0xD1B54A32D192ED03ULL) ^ (index * 0x8CB92BA72F3D8DD7ULL));
  r.next();
  return r.next();
}

uint64_t Store::next_random() {
  Rng r(mutation_state);
  uint64_t v = r.next();
  mutation_state = v;
  return v;
}

std::vector<Json> Store::quote_items(const Quote& q) const {
  std::vector<Json> out;
  Rng ids(q.item_seed ^ 0x5bd1e995ULL);
  std::string tab_id = ids.guid();
  int sort = 0;
  for (const ItemDraft& d : item_drafts(q.item_seed, q.item_count)) {
    Json item = {
        {"id", ids.guid()},
        {"idQuote", q.id},
        {"idQuoteTabs", tab_id},
        {"sortOrder", ++sort},
        {"shortDescription", std::string(kProducts[d.product]) + " item " + std::to_string(sort)},
        {"manufacturerPartNumber", "MPN-" + std::to_string(q.item_seed % 100000) + "-" + std::to_string(sort)},
        {"productType", kProducts[d.product]},
        {"uom", kUoms[d.uom]},
        {"quantity", d.quantity},
        {"quoteItemPrice", d.price},
        {"cost", d.cost},
        {"extendedPrice", round2(d.quantity * d.price)},
        {"recurringAmount", d.recurring},
        {"recurringTotal", round2(d.quantity * d.recurring)},
        {"period", d.recurring > 0 ? Json("Monthly") : Json(nullptr)},
        {"isOptional", d.optional},
        {"isSold", q.is_accepted},
        {"createDate", format_time_ms(q.create_date)},
        {"modifyDate", format_time_ms(q.modify_date)},
    };
    out.push_back(std::move(item));
  }
  return out;
}

void Store::generate(const DataSpec& s) {
  spec = s;
  mutation_state = mix_seed(s.seed, kMutations, 0);
  const TimeMs now = s.now;

  // Accounts and reps.
  Rng ar(mix_seed(s.seed, kAccounts, 0));
  int account_count = std::max(24, s.quotes / 25);
  accounts.clear();
  for (int k = 0; k < account_count; ++k) {
    Account a;
    if (k % 9 == 4) {
      a.name = kAccountOdd[static_cast<size_t>(k / 9) % kAccountOdd.size()];
      if (k / 9 >= static_cast<int>(kAccountOdd.size())) a.name += " " + std::to_string(k);
    } else {
      a.name = std::string(pick(ar, kAccountFirst)) + " " + pick(ar, kAccountSecond) + " " + pick(ar, kAccountSuffix);
      if (k >= 64) a.name += " #" + std::to_string(k);
    }
    a.customer_id = ar.guid();
    accounts.push_back(std::move(a));
  }
  reps.assign(kReps.begin(), kReps.end());

  // Members (PSA).
  members.clear();
  const std::array<std::array<const char*, 3>, 8> kMembers = {{{"asmith", "Alice", "Smith"},
                                                               {"bjones", "Bob", "Jones"},
                                                               {"cgomez", "Carla", "Gómez"},
                                                               {"dchen", "David", "Chen"},
                                                               {"ewilson", "Emma", "Wilson"},
                                                               {"jalvarez", "José", "Álvarez"},
                                                               {"zng", "Zoë", "Ng"},
                                                               {"apiuser", "API", "Integration"}}};
  for (size_t k = 0; k < kMembers.size(); ++k) {
    std::string ident = kMembers[k][0];
    std::string email = ident + "@msp.example.com";
    members.push_back({{"id", 101 + static_cast<int64_t>(k)},
                       {"identifier", ident},
                       {"firstName", kMembers[k][1]},
                       {"lastName", kMembers[k][2]},
                       {"officeEmail", email},
                       {"primaryEmail", email},
                       {"defaultEmail", "Office"},
                       {"licenseClass", ident == "apiuser" ? "A" : "F"},
                       {"inactiveFlag", false},
                       {"_info", {{"lastUpdated", format_time(now - 400 * kDay)}, {"updatedBy", "admin"}}}});
  }
  auto member_ref = [&](size_t k) {
    const Json& m = members[k % (members.size() - 1)];
    return Json{{"id", m["id"]},
                {"identifier", m["identifier"]},
                {"name", m["firstName"].get<std::string>() + " " + m["lastName"].get<std::string>()}};
  };

  // Opportunity statuses: the flags decide open/won/lost in cwsync.
  opportunity_statuses = {
      {{"id", 1}, {"name", "Open"}, {"wonFlag", false}, {"lostFlag", false}, {"closedFlag", false}, {"inactiveFlag", false}, {"defaultFlag", true}},
      {{"id", 2}, {"name", "Won"}, {"wonFlag", true}, {"lostFlag", false}, {"closedFlag", true}, {"inactiveFlag", false}, {"defaultFlag", false}},
      {{"id", 3}, {"name", "Lost"}, {"wonFlag", false}, {"lostFlag", true}, {"closedFlag", true}, {"inactiveFlag", false}, {"defaultFlag", false}},
      {{"id", 4}, {"name", "No Decision"}, {"wonFlag", false}, {"lostFlag", false}, {"closedFlag", true}, {"inactiveFlag", false}, {"defaultFlag", false}},
      {{"id", 5}, {"name", "Pending Approval"}, {"wonFlag", false}, {"lostFlag", false}, {"closedFlag", false}, {"inactiveFlag", false}, {"defaultFlag", false}},
  };
  for (Json& st : opportunity_statuses) {
    st["enteredBy"] = "admin";
    st["dateEntered"] = format_time(now - 900 * kDay);
    st["_info"] = {{"lastUpdated", format_time(now - 300 * kDay)}, {"updatedBy", "admin"}};
  }
  const std::array<const char*, 5> kStages = {"Prospect", "Qualified", "Proposal", "Negotiation", "Closed"};

  // Opportunities.
  opportunities.clear();
  for (int k = 1; k <= s.opportunities; ++k) {
    Rng r(mix_seed(s.seed, kOpps, static_cast<uint64_t>(k)));
    TimeMs entered = now - static_cast<TimeMs>(1 + r.below(400)) * kDay - static_cast<TimeMs>(r.below(86400)) * 1000;
    TimeMs updated = std::min(now - kMinute, entered + static_cast<TimeMs>(r.below(60)) * kDay +
                                                  static_cast<TimeMs>(r.below(86400)) * 1000);
    double roll = r.unit();
    int status = roll < 0.45 ? 1 : roll < 0.55 ? 5 : roll < 0.8 ? 2 : roll < 0.95 ? 3 : 4;
    const Json& st = opportunity_statuses[static_cast<size_t>(status - 1)];
    bool closed = st["closedFlag"].get<bool>();
    int stage = closed ? 5 : 1 + static_cast<int>(r.below(4));
    int prob = status == 2 ? 100 : (closed ? 0 : 10 * static_cast<int>(1 + r.below(9)));
    const Account& acct = accounts[r.below(accounts.size())];
    Json opp = {
        {"id", k},
        {"name", std::string(pick(r, kQuoteNames)) + " for " + acct.name},
        {"expectedCloseDate", format_time(truncate_to_day(updated + static_cast<TimeMs>(r.below(90)) * kDay))},
        {"type", ref(1 + static_cast<int64_t>(r.below(2)), r.chance(0.5) ? "Pro Services" : "Managed Services")},
        {"stage", ref(stage, kStages[static_cast<size_t>(stage - 1)])},
        {"status", ref(status, st["name"].get<std::string>())},
        {"priority", ref(1 + static_cast<int64_t>(r.below(3)), "Normal")},
        {"notes", r.chance(0.5) ? Json(nullptr) : Json("Customer asked for a revised quote.\nFollow up next week.")},
        {"probability", {{"id", prob / 10}, {"name", std::to_string(prob)}}},
        {"primarySalesRep", member_ref(r.below(7))},
        {"secondarySalesRep", r.chance(0.7) ? Json(nullptr) : member_ref(r.below(7))},
        {"company", {{"id", 200 + static_cast<int64_t>(&acct - accounts.data())}, {"identifier", "C" + std::to_string(&acct - accounts.data())}, {"name", acct.name}}},
        {"contact", r.chance(0.2) ? Json(nullptr) : ref(500 + static_cast<int64_t>(r.below(300)), "Pat Customer")},
        {"closedDate", closed ? Json(format_time(updated)) : Json(nullptr)},
        {"closedFlag", closed},
        {"totalSalesTax", 0.0},
        {"locationId", 2},
        {"businessUnitId", 10},
        {"customFields", Json::array({{{"id", 3}, {"caption", "Region"}, {"type", "Text"}, {"entryMethod", "EntryField"}, {"numberOfDecimals", 0},
                                       {"value", r.chance(0.3) ? Json(nullptr) : Json(r.chance(0.5) ? "EMEA" : "NA")}}})},
        {"_info", {{"lastUpdated", format_time(updated)}, {"updatedBy", "asmith"}, {"dateEntered", format_time(entered)}, {"enteredBy", "asmith"}}},
    };
    if (r.chance(0.1)) opp.erase("secondarySalesRep");  // optional fields go missing
    opportunities[k] = std::move(opp);
  }
  next_opportunity_id = s.opportunities + 1;

  // Quotes: `s.quotes` visible quote numbers plus ~2% archived ones.
  quotes.clear();
  quote_by_id.clear();
  quote_versions.clear();
  int archived_extra = s.quotes / 50;
  int numbers = s.quotes + archived_extra;
  quotes.reserve(static_cast<size_t>(numbers) * 3 / 2);
  next_seq = 0;
  TimeMs prev_modify = 0;
  for (int k = 0; k < numbers; ++k) {
    Rng r(mix_seed(s.seed, kQuotes, static_cast<uint64_t>(k)));
    bool archived = k % 51 == 50 && archived_extra > 0;
    int versions = r.chance(0.65) ? 1 : (r.chance(0.7) ? 2 : 3);
    TimeMs created = now - static_cast<TimeMs>(1 + r.below(540)) * kDay - static_cast<TimeMs>(r.below(86'400'000));
    int account = r.chance(0.03) ? -1 : static_cast<int>(r.below(accounts.size()));
    std::string base_name = pick(r, kQuoteNames);
    std::optional<std::string> opp;
    if (s.opportunities > 0 && r.chance(0.75)) opp = std::to_string(1 + r.below(static_cast<uint64_t>(s.opportunities)));
    int primary = r.chance(0.05) ? -1 : static_cast<int>(r.below(reps.size()));
    int inside = r.chance(0.4) ? -1 : static_cast<int>(r.below(reps.size()));
    int64_t number = 10001 + k;
    for (int v = 1; v <= versions; ++v) {
      Quote q;
      q.seq = next_seq++;
      q.id = r.guid();
      q.quote_number = number;
      q.quote_version = v;
      q.latest = v == versions;
      q.name = base_name + (account >= 0 ? " - " + accounts[static_cast<size_t>(account)].name : "");
      q.quote_type = r.chance(0.85) ? "Quote" : (r.chance(0.6) ? "Renewal" : "Change Order");
      q.account = account;
      q.create_date = created;
      q.modify_date = std::min(now - kMinute, created + static_cast<TimeMs>(r.below(10 * 86'400)) * 1000 +
                                                  static_cast<TimeMs>(r.below(1000)));
      // Ties on modifyDate are what break naive cursors; make plenty.
      if (prev_modify != 0 && r.chance(0.05)) q.modify_date = prev_modify;
      prev_modify = q.modify_date;
      q.item_seed = mix_seed(s.seed, kItems, q.seq);
      q.item_count = 1 + static_cast<int>(r.below(static_cast<uint64_t>(std::max(1, 2 * s.items_per_quote - 1))));
      apply_totals(q, r.chance(0.7));
      q.crm_opportunity_id = opp;
      q.primary_rep = primary;
      q.inside_rep = inside;
      q.expiration_date = r.chance(0.15) ? std::nullopt : std::optional<TimeMs>(truncate_to_day(created) + 30 * kDay);
      if (r.chance(0.7)) {
        q.short_description = r.chance(0.2) ? "Scope:\n- hardware\n- labour — on site\n" : "Prepared for the annual review";
      }
      q.has_custom = r.chance(0.4);
      if (q.has_custom) {
        if (r.chance(0.7)) q.z_custom_text1 = r.chance(0.5) ? "Tier 1" : "Tier 2 ✓";
        if (r.chance(0.5)) q.z_custom_decimal1 = round2(r.unit() * 1000);
        if (r.chance(0.3)) q.z_custom_date1 = truncate_to_day(created) + 14 * kDay;
      }
      double roll = r.unit();
      if (!q.latest || roll < 0.5) {
        q.is_sent = r.chance(0.6);
        q.quote_status = q.is_sent ? "Sent" : "Draft";
        q.probability = 10 * static_cast<int>(1 + r.below(9));
        if (r.chance(0.9)) q.expected_close_date = truncate_to_day(now) + (static_cast<TimeMs>(r.below(120)) - 30) * kDay;
      } else if (roll < 0.8) {
        q.is_sent = true;
        q.is_accepted = r.chance(0.8);
        q.quote_status = "Won";
        q.probability = 100;
        q.won_or_lost_date = q.modify_date;
        q.expected_close_date = truncate_to_day(q.modify_date);
      } else {
        q.is_sent = true;
        q.is_lost = true;
        q.quote_status = "Lost";
        q.probability = 0;
        if (r.chance(0.8)) q.lost_reason = pick(r, kLostReasons);
        q.won_or_lost_date = q.modify_date;
      }
      if (archived && q.latest) q.is_archive = true;
      created = std::min(now - kHour, q.modify_date + static_cast<TimeMs>(1 + r.below(20)) * kDay);
      quote_by_id[q.id] = quotes.size();
      quote_versions[number].push_back(quotes.size());
      quotes.push_back(std::move(q));
    }
  }
  next_quote_number = 10001 + numbers;

  // Boards, statuses, tickets, notes, time entries.
  boards = {{{"id", 1}, {"name", "Professional Services"}}, {{"id", 2}, {"name", "Help Desk"}}, {{"id", 3}, {"name", "Projects"}}};
  board_statuses.clear();
  const std::array<std::vector<const char*>, 3> kBoardStatusNames = {{
      {"New", "In Progress", "Waiting on Client", "Scheduled", "Resolved", "Closed"},
      {"New", "In Progress", "Waiting on Client", "Escalated", "Resolved", "Closed"},
      {"New", "In Progress", "Ready for Invoice", "Closed"},
  }};
  for (size_t b = 0; b < boards.size(); ++b) {
    int sort = 0;
    for (const char* name : kBoardStatusNames[b]) {
      std::string n = name;
      bool closed = n == "Closed" || n == "Resolved";
      board_statuses.push_back({{"id", static_cast<int64_t>((b + 1) * 10) + sort + 1},
                                {"name", n},
                                {"board", boards[b]},
                                {"sortOrder", sort},
                                {"displayOnBoard", true},
                                {"inactive", false},
                                {"closedStatus", closed},
                                {"timeEntryNotAllowed", n == "Closed"},
                                {"defaultFlag", sort == 0},
                                {"escalationStatus", "NotResponded"},
                                {"customerPortalDescription", n},
                                {"_info", {{"lastUpdated", format_time(now - 500 * kDay)}, {"updatedBy", "admin"}}}});
      ++sort;
    }
  }
  tickets.clear();
  deleted_tickets.clear();
  next_ticket_id = 1001 + s.tickets;
  notes.clear();
  time_entries.clear();
  next_note_id = 50001;
  next_time_entry_id = 70001;
  for (int k = 0; k < s.tickets; ++k) {
    Rng r(mix_seed(s.seed, kTickets, static_cast<uint64_t>(k)));
    int64_t id = 1001 + k;
    size_t b = r.below(boards.size());
    std::vector<const Json*> statuses;
    for (const Json& st : board_statuses) {
      if (st["board"]["id"] == boards[b]["id"]) statuses.push_back(&st);
    }
    const Json& st = *statuses[r.below(2)];
    const Account& acct = accounts[r.below(accounts.size())];
    TimeMs entered = now - static_cast<TimeMs>(1 + r.below(30)) * kDay;
    tickets[id] = {{"id", id},
                   {"summary", std::string(r.chance(0.5) ? "VPN drops every hour" : "Printer offline — 2nd floor") + " (" + acct.name + ")"},
                   {"recordType", "ServiceTicket"},
                   {"board", boards[b]},
                   {"status", {{"id", st["id"]}, {"name", st["name"]}, {"Sort", st["sortOrder"]}}},
                   {"company", {{"id", 200 + static_cast<int64_t>(&acct - accounts.data())}, {"identifier", "C" + std::to_string(&acct - accounts.data())}, {"name", acct.name}}},
                   {"priority", ref(4, "Priority 3 - Normal Response")},
                   {"severity", "Medium"},
                   {"impact", "Medium"},
                   {"closedFlag", false},
                   {"_info", {{"lastUpdated", format_time(entered + kHour)}, {"updatedBy", "asmith"}, {"dateEntered", format_time(entered)}, {"enteredBy", "asmith"}}}};
    {
      // Contact, owner and the closed/parent fields come from their own stream,
      // so the fields above keep their bytes for a given seed.
      static const std::array<const char*, 6> kContacts = {"Pat Customer", "Jordan Lee", "Sam Rivera",
                                                           "Alex Morgan", "Chris Taylor", "Robin Patel"};
      Rng p(mix_seed(s.seed, kTicketPeople, static_cast<uint64_t>(k)));
      const size_t c = p.below(kContacts.size());
      Json& t = tickets[id];
      t["contact"] = ref(500 + static_cast<int64_t>(c), kContacts[c]);
      t["owner"] = member_ref(p.below(7));
      t["closedDate"] = nullptr;
      t["parentTicketId"] = nullptr;
    }
    Json note = {{"id", next_note_id++},
                 {"ticketId", id},
                 {"text", "Customer reports the issue started after the last update."},
                 {"detailDescriptionFlag", true},
                 {"internalAnalysisFlag", false},
                 {"resolutionFlag", false},
                 {"issueFlag", false},
                 {"member", member_ref(r.below(7))},
                 {"contact", nullptr},
                 {"customerUpdatedFlag", false},
                 {"processNotifications", false},
                 {"dateCreated", format_time(entered)},
                 {"createdBy", "asmith"},
                 {"internalFlag", false},
                 {"externalFlag", true},
                 {"_info", {{"lastUpdated", format_time(entered)}, {"updatedBy", "asmith"}}}};
    notes[id].push_back(std::move(note));
  }
  generate_autotask(*this);
}

}  // namespace cwsim
