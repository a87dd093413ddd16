#include "connectors/query_service.h"

#include <charconv>
#include <optional>
#include <utility>
#include <chrono>
#include <set>

#include "events/json_encoder.h"
#include "events/text_rules.h"
#include "projections/account_health.h"
#include "projections/deadlines.h"
#include "projections/order_history.h"
#include "projections/response_times.h"
#include "projections/returns_queue.h"
#include "projections/seller_meta.h"
#include "projections/seller_queries.h"

namespace carelog {

std::string error_json(const std::string& code, const std::string& message, const std::string& field) {
  std::string out = "{\"error\":{\"code\":";
  append_json_string(out, code);
  if (!field.empty()) {
    out += ",\"field\":";
    append_json_string(out, field);
  }
  out += ",\"message\":";
  append_json_string(out, message);
  out += "}}";
  return out;
}

std::string rejected_record_json(const RejectedRecord& r) {
  std::string out = "{\"topic\":";
  append_json_string(out, r.topic);
  out += ",\"partition\":" + std::to_string(r.partition) + ",\"offset\":" + std::to_string(r.offset);
  out += ",\"seller_id\":";
  append_json_string(out, r.seller_id);
  out += ",\"event_id\":";
  append_json_string(out, r.event_id);
  out += ",\"code\":";
  append_json_string(out, r.reason.code);
  out += ",\"field\":";
  append_json_string(out, r.reason.field);
  out += ",\"message\":";
  append_json_string(out, r.reason.message);
  out += ",\"rejected_at\":";
  append_json_string(out, format_rfc3339(Timestamp{r.rejected_at_micros, 0}));
  out += ",\"value\":";
  append_json_string(out, r.value);
  // The value may be the first bytes of a larger record (event_log.h).
  const uint64_t whole = std::max<uint64_t>(r.value_bytes, r.value.size());
  out += ",\"value_bytes\":" + std::to_string(whole) + ",\"value_truncated\":";
  out += r.value.size() < whole ? "true" : "false";
  out += ",\"value_sha256\":\"" + to_hex(r.value_sha256) + "\"";
  return out + "}";
}

namespace {

QueryResponse bad_parameter(const std::string& name, const std::string& why) {
  return {400, error_json("bad_parameter", "parameter '" + name + "': " + why)};
}

QueryResponse not_found(const std::string& what) { return {404, error_json("not_found", what)}; }

// Checks that `params` holds only `allowed` names; fills `bad` otherwise.
bool only_allowed(const QueryParams& params, std::initializer_list<const char*> allowed,
                  QueryResponse& bad) {
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [k, v] : params) {
    if (!ok.count(k)) {
      bad = {400, error_json("bad_parameter", "unknown parameter '" + k + "'")};
      return false;
    }
  }
  return true;
}

bool time_param(const QueryParams& params, const char* name, std::optional<int64_t>& out,
                QueryResponse& bad) {
  auto it = params.find(name);
  if (it == params.end()) return true;
  auto t = text::parse_rfc3339(it->second);
  if (!t) {
    bad = bad_parameter(name, "expected an RFC 3339 time with offset, e.g. 2013-01-10T12:00:00Z, got '" +
                                  it->second + "'");
    return false;
  }
  out = t->micros;
  return true;
}

bool limit_param(const QueryParams& params, int64_t& out, QueryResponse& bad) {
  auto it = params.find("limit");
  if (it == params.end()) return true;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 1 || v > 1000) {
    bad = bad_parameter("limit", "expected an integer in 1..1000, got '" + it->second + "'");
    return false;
  }
  out = v;
  return true;
}

std::string param(const QueryParams& params, const char* name, std::string fallback = "") {
  auto it = params.find(name);
  return it == params.end() ? fallback : it->second;
}

// Times a query into carelog_query_seconds{endpoint}.
class QueryTimer {
 public:
  QueryTimer(EngineMetrics* m, const char* endpoint)
      : m_(m), endpoint_(endpoint), start_(std::chrono::steady_clock::now()) {}
  ~QueryTimer() {
    if (m_) {
      m_->query_seconds(endpoint_).observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
  }

 private:
  EngineMetrics* m_;
  const char* endpoint_;
  std::chrono::steady_clock::time_point start_;
};

template <class Q>
QueryResponse render(const std::variant<std::string, QueryError>& r) {
  if (const auto* e = std::get_if<QueryError>(&r)) return bad_parameter(e->parameter, e->message);
  return {200, std::get<std::string>(r)};
}

}  // namespace

QueryService::QueryService(const EventLog& log, EngineMetrics* metrics, ProjectionStore* store)
    : log_(log), metrics_(metrics) {
  // A data dir read from outside an engine may stop short of the log.
  if (!store) own_store_ = std::make_unique<ProjectionStore>(log, ReturnsPolicy{}, /*fold_log_past_marks=*/true);
  store_ = store ? store : own_store_.get();
}

QueryResponse QueryService::with_seller(
    const std::string& seller_id,
    const std::function<QueryResponse(const SellerProjection&, uint32_t)>& answer) const {
  auto partition = log_.seller_partition(seller_id);
  QueryResponse out = not_found("unknown seller '" + seller_id + "'");
  if (partition) {
    store_->read(*partition, seller_id, [&](const SellerProjection& s) {
      if (s.meta.events > 0) out = answer(s, *partition);
    });
  }
  return out;
}

std::string QueryService::command_row(const std::string& seller_id, CommandKind kind, const std::string& id) const {
  std::optional<std::string> row;
  with_seller(seller_id, [&](const SellerProjection& s, uint32_t) -> QueryResponse {
    const int64_t as_of = s.meta.newest_micros;
    switch (kind) {
      case CommandKind::kReply:
      case CommandKind::kNoResponseNeeded: row = message_row_json(s, id, /*received=*/true, as_of); break;
      case CommandKind::kAuthorize:
      case CommandKind::kClose:
      case CommandKind::kRefund: row = return_row_json(s, id, as_of); break;
      case CommandKind::kReturnSettings: row = return_settings_json(s, as_of); break;
    }
    return {};
  });
  return row.value_or("null");
}

QueryResponse QueryService::as_of_query(const std::string& seller_id, const QueryParams& params,
                                        const std::function<std::string(const SellerProjection&, int64_t)>& answer) const {
  QueryResponse bad;
  std::optional<int64_t> as_of;
  if (!only_allowed(params, {"as_of"}, bad) || !time_param(params, "as_of", as_of, bad)) return bad;
  return with_seller(seller_id, [&](const SellerProjection& s, uint32_t) -> QueryResponse {
    return {200, answer(s, as_of.value_or(s.meta.newest_micros))};
  });
}

QueryResponse QueryService::response_times(const std::string& seller_id, const QueryParams& params) const {
  QueryTimer timer(metrics_, "response_times");
  return as_of_query(seller_id, params, [&](const SellerProjection& s, int64_t as_of) {
    return response_times_json(seller_id, compute_response_times(s, as_of));
  });
}

QueryResponse QueryService::response_times_table(const std::string& seller_id,
                                                 const QueryParams& params) const {
  return as_of_query(seller_id, params, [&](const SellerProjection& s, int64_t as_of) {
    return carelog::response_times_table(seller_id, compute_response_times(s, as_of));
  });
}

QueryResponse QueryService::account_health(const std::string& seller_id, const QueryParams& params) const {
  QueryTimer timer(metrics_, "account_health");
  return as_of_query(seller_id, params, [](const SellerProjection& s, int64_t as_of) {
    return account_health_json(s, as_of);
  });
}

QueryResponse QueryService::return_settings(const std::string& seller_id, const QueryParams& params) const {
  QueryTimer timer(metrics_, "return_settings");
  return as_of_query(seller_id, params, [](const SellerProjection& s, int64_t as_of) {
    return return_settings_json(s, as_of);
  });
}


QueryResponse QueryService::returns(const std::string& seller_id, const QueryParams& params) const {
  QueryTimer t(metrics_, "returns");
  QueryResponse bad;
  ReturnsQuery q;
  std::optional<int64_t> as_of;
  if (!only_allowed(params, {"status", "closed_by", "from", "to", "q", "limit", "cursor", "as_of"}, bad) ||
      !time_param(params, "as_of", as_of, bad) || !time_param(params, "from", q.from, bad) ||
      !time_param(params, "to", q.to, bad) || !limit_param(params, q.limit, bad)) {
    return bad;
  }
  q.status = param(params, "status", "all");
  static const std::set<std::string> statuses = {"all", "authorization_required", "authorized",
                                                 "completed", "closed"};
  if (!statuses.count(q.status)) {
    return bad_parameter("status", "expected all, authorization_required, authorized, completed or closed");
  }
  if (params.count("closed_by")) {
    ClosedBy by;
    if (!parse_enum(param(params, "closed_by"), by)) {
      return bad_parameter("closed_by", "expected buyer, seller or marketplace");
    }
    q.closed_by = by;
  }
  q.q = param(params, "q");
  q.cursor = param(params, "cursor");
  return with_seller(seller_id, [&](const SellerProjection& s, uint32_t) {
    q.as_of = as_of.value_or(s.meta.newest_micros);
    return render<ReturnsQuery>(returns_json(s, q));
  });
}

QueryResponse QueryService::messages(const std::string& seller_id, const QueryParams& params) const {
  QueryTimer t(metrics_, "messages");
  QueryResponse bad;
  MessagesQuery q;
  std::optional<int64_t> as_of;
  if (!only_allowed(params, {"q", "direction", "from", "to", "limit", "cursor", "as_of"}, bad) ||
      !time_param(params, "as_of", as_of, bad) || !time_param(params, "from", q.from, bad) ||
      !time_param(params, "to", q.to, bad) || !limit_param(params, q.limit, bad)) {
    return bad;
  }
  q.direction = param(params, "direction", "all");
  if (q.direction != "all" && q.direction != "received" && q.direction != "sent") {
    return bad_parameter("direction", "expected received, sent or all");
  }
  q.q = param(params, "q");
  q.cursor = param(params, "cursor");
  return with_seller(seller_id, [&](const SellerProjection& s, uint32_t) {
    q.as_of = as_of.value_or(s.meta.newest_micros);
    return render<MessagesQuery>(messages_json(s, q));
  });
}

QueryResponse QueryService::deadlines(const std::string& seller_id, const QueryParams& params) const {
  QueryTimer t(metrics_, "deadlines");
  QueryResponse bad;
  std::optional<int64_t> as_of;
  if (!only_allowed(params, {"within", "as_of"}, bad) || !time_param(params, "as_of", as_of, bad)) return bad;
  int64_t within = 24 * 3600 * int64_t{1'000'000};
  if (params.count("within") && !parse_within(param(params, "within"), within)) {
    return bad_parameter("within", "expected a duration like 6h, 90m or 2d (at most 30 days), got '" +
                                       param(params, "within") + "'");
  }
  return with_seller(seller_id, [&](const SellerProjection& s, uint32_t) {
    return render<int>(deadlines_json(s, as_of.value_or(s.meta.newest_micros), within));
  });
}

QueryResponse QueryService::order_history(const std::string& order_id, const QueryParams& params) const {
  QueryTimer t(metrics_, "order_history");
  QueryResponse bad;
  if (!only_allowed(params, {"seller_id"}, bad)) return bad;
  std::string seller_id = param(params, "seller_id");
  if (seller_id.empty()) return bad_parameter("seller_id", "required");
  return with_seller(seller_id, [&](const SellerProjection& s, uint32_t partition) -> QueryResponse {
    auto body = order_history_json(s, order_id, [&](uint64_t seq) -> std::optional<RecordView> {
      auto r = log_.read_record(partition, seq);
      if (!r) return std::nullopt;
      return RecordView{std::string(reinterpret_cast<const char*>(r->hash.data()), r->hash.size()),
                        std::move(r->original)};
    });
    if (!body) return not_found("seller '" + seller_id + "' has no order '" + order_id + "'");
    return {200, *body};
  });
}

QueryResponse QueryService::audit_partitions(const QueryParams& params) const {
  QueryResponse bad;
  if (!only_allowed(params, {}, bad)) return bad;
  std::string out = "{\"partitions\":[";
  bool first = true;
  for (const auto& [p, h] : log_.heads()) {
    if (partition_filter_ && !partition_filter_(p)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"partition\":" + std::to_string(p) + ",\"seq\":" + std::to_string(h.seq) + ",\"hash\":\"" +
           to_hex(h.hash) + "\"}";
  }
  out += "]}";
  return {200, out};
}

QueryResponse QueryService::rejected(const QueryParams& params) const {
  QueryTimer t(metrics_, "rejected");
  QueryResponse bad;
  int64_t limit = 100;
  if (!only_allowed(params, {"seller_id", "limit", "cursor"}, bad) || !limit_param(params, limit, bad)) return bad;
  std::string seller_id = param(params, "seller_id");
  // The cursor: "PARTITION:OFFSET" of the last record of the page before.
  std::optional<std::pair<uint32_t, int64_t>> after;
  if (auto it = params.find("cursor"); it != params.end()) {
    const std::string& c = it->second;
    const size_t colon = c.find(':');
    uint32_t p = 0;
    int64_t o = 0;
    const char* end = c.data() + c.size();
    if (colon == std::string::npos ||
        std::from_chars(c.data(), c.data() + colon, p).ptr != c.data() + colon ||
        std::from_chars(c.data() + colon + 1, end, o).ptr != end || colon == 0 || colon + 1 == c.size()) {
      return bad_parameter("cursor", "expected the \"next\" of a page before, got '" + c + "'");
    }
    after = std::make_pair(p, o);
  }
  // A page stops at `limit` records or past kMaxRejectedPageBytes of them
  // (at least one), whichever comes first: a rejected record may be 1 MiB.
  std::string out = "{\"rejected\":[";
  int64_t n = 0;
  std::optional<std::pair<uint32_t, int64_t>> last;
  bool more = false;
  Status st = log_.list_rejected(
      [&](const RejectedRecord& r) {
        if (!seller_id.empty() && r.seller_id != seller_id) return true;
        if (partition_filter_ && !partition_filter_(r.partition)) return true;
        if (n >= limit || (n > 0 && out.size() >= kMaxRejectedPageBytes)) {
          more = true;
          return false;
        }
        if (n++) out += ',';
        out += rejected_record_json(r);
        last = std::make_pair(r.partition, r.offset);
        return true;
      },
      after);
  if (!st.ok()) return {500, error_json("internal", st.message())};
  out += "]";
  if (more && last) out += ",\"next\":\"" + std::to_string(last->first) + ":" + std::to_string(last->second) + "\"";
  out += "}";
  return {200, out};
}

}  // namespace carelog
