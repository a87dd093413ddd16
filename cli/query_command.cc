#include "cli/query_command.h"

#include <simdjson.h>

#include <cstdio>

namespace carelog {
namespace {

std::string cell(simdjson::dom::element e) {
  if (e.is_null()) return "-";
  if (e.is_string()) return std::string(std::string_view(e.get_string()));
  if (e.is_bool()) return bool(e.get_bool()) ? "yes" : "no";
  if (e.is<int64_t>()) return std::to_string(int64_t(e.get_int64()));
  if (e.is<double>()) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", double(e.get_double()));
    return b;
  }
  if (e.is_object()) {  // money
    simdjson::dom::object o = e.get_object();
    std::string_view amount, currency;
    if (!o["amount"].get(amount) && !o["currency"].get(currency)) {
      return std::string(amount) + " " + std::string(currency);
    }
  }
  return simdjson::minify(e);
}

// Prints rows of `list` with `columns` as an aligned text table.
void print_table(simdjson::dom::array list, const std::vector<std::string>& columns) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back(columns);
  for (simdjson::dom::element row : list) {
    std::vector<std::string> r;
    for (const auto& c : columns) {
      simdjson::dom::element v;
      r.push_back(row[c].get(v) ? "" : cell(v));
    }
    rows.push_back(r);
  }
  std::vector<size_t> width(columns.size(), 0);
  for (auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      std::printf("%-*s%s", static_cast<int>(width[i]), r[i].c_str(), i + 1 < r.size() ? "  " : "\n");
    }
  }
}

int print_as_table(const std::string& what, const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc)) {
    std::printf("%s\n", json.c_str());
    return 0;
  }
  simdjson::dom::array list;
  if (what == "returns" && !doc["returns"].get(list)) {
    print_table(list, {"requested_at", "return_id", "order_id", "status", "reason", "rma", "closed_by",
                       "in_policy", "overdue", "refunded"});
  } else if (what == "messages" && !doc["messages"].get(list)) {
    print_table(list, {"occurred_at", "direction", "status", "order_id", "buyer_alias", "subject"});
  } else if (what == "history" && !doc["events"].get(list)) {
    print_table(list, {"seq", "hash"});
  } else if (what == "deadlines" && !doc["items"].get(list)) {
    print_table(list, {"deadline", "kind", "id", "overdue", "due_in_seconds", "order_id", "buyer_alias", "reason"});
  } else if (what == "rejected" && !doc["rejected"].get(list)) {
    print_table(list, {"partition", "offset", "seller_id", "event_id", "code", "field", "message"});
  } else if (what == "account-health") {
    simdjson::dom::object metrics;
    if (doc["metrics"].get(metrics)) {
      std::printf("%s\n", json.c_str());
      return 0;
    }
    std::printf("%-30s %8s %10s %12s %7s %8s %s\n", "metric", "rate", "numerator", "denominator", "window",
                "target", "status");
    for (auto [name, m] : metrics) {
      std::printf("%-30s %8s %10s %12s %6sd %8s %s\n", std::string(name).c_str(), cell(m["rate"]).c_str(),
                  cell(m["numerator"]).c_str(), cell(m["denominator"]).c_str(), cell(m["window_days"]).c_str(),
                  cell(m["target"]).c_str(), cell(m["status"]).c_str());
    }
  } else {
    std::printf("%s\n", json.c_str());
  }
  return 0;
}

}  // namespace

int run_query(const std::string& data_dir, const std::string& what, const std::string& seller,
              const std::string& order, const std::string& format, QueryParams params,
              const ReturnsPolicy& policy) {
  std::unique_ptr<EventLog> log;
  Status st = EventLog::open(data_dir, EventLogOptions{true, false}, log);
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return 1;
  }
  ProjectionStore store(*log, policy, /*fold_log_past_marks=*/true);
  QueryService q(*log, nullptr, &store);
  if (what != "rejected" && what != "history" && seller.empty()) {
    std::fprintf(stderr, "carelog: --seller is required for %s\n", what.c_str());
    return 2;
  }
  QueryResponse r;
  if (what == "response-times") {
    r = format == "table" ? q.response_times_table(seller, params) : q.response_times(seller, params);
  } else if (what == "returns") {
    r = q.returns(seller, params);
  } else if (what == "messages") {
    r = q.messages(seller, params);
  } else if (what == "account-health") {
    r = q.account_health(seller, params);
  } else if (what == "return-settings") {
    r = q.return_settings(seller, params);
  } else if (what == "deadlines") {
    r = q.deadlines(seller, params);
  } else if (what == "history") {
    if (order.empty() || seller.empty()) {
      std::fprintf(stderr, "carelog: history needs --order and --seller\n");
      return 2;
    }
    params["seller_id"] = seller;
    r = q.order_history(order, params);
  } else {
    if (!seller.empty()) params["seller_id"] = seller;
    r = q.rejected(params);
  }
  if (r.status != 200) {
    std::fprintf(stderr, "carelog: %s\n", r.body.c_str());
    return r.status == 404 ? 3 : 2;
  }
  if (format == "table" && what != "response-times") return print_as_table(what, r.body);
  std::printf("%s\n", r.body.c_str());
  return 0;
}

}  // namespace carelog
