// The response-time table of spec/projections.md §1, computed at query time
// from the message rows (messages.cc) for any as_of.
#include "projections/response_times.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <unordered_map>
#include <vector>

#include "events/json_encoder.h"
#include "projections/row_codec.h"

namespace carelog {

namespace {

std::string utc(int64_t micros) { return format_rfc3339(Timestamp{micros, 0}); }

// "Jan 3, 2013" (UTC), the seed's column headers.
std::string short_date(int64_t micros) {
  static const char* kMonths[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::string iso = utc(micros);  // YYYY-MM-DDThh:mm:ss...
  const size_t dash = iso.find('-', 1);
  const std::string year = iso.substr(0, dash);
  const int month = std::stoi(iso.substr(dash + 1, 2));
  const int day = std::stoi(iso.substr(dash + 4, 2));
  return std::string(kMonths[month - 1]) + " " + std::to_string(day) + ", " + year;
}

// "78% (14)": the rate as a whole percentage rounded half up, and the count.
std::string percent_cell(int64_t count, int64_t denominator) {
  if (denominator == 0) return "-- (0)";
  const int64_t pct = (200 * count + denominator) / (2 * denominator);
  return std::to_string(pct) + "% (" + std::to_string(count) + ")";
}

std::string plural(int64_t n, const char* unit) {
  return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

}  // namespace

ResponseTimesBuilder::ResponseTimesBuilder(int64_t as_of) : as_of_(as_of) {}

void ResponseTimesBuilder::add(const ReceivedFacts& m, std::optional<int64_t> first_reply) {
  int64_t response = 0;
  const MessageOutcome outcome = classify_received(m, first_reply, as_of_, &response);
  if (outcome == MessageOutcome::kExcluded) return;
  for (size_t i = 0; i < 3; ++i) {
    if (m.at <= as_of_ - kResponseWindowDays[i] * kMicrosPerDay) continue;
    Tally& t = tallies_[i];
    switch (outcome) {
      case MessageOutcome::kOnTime:
        ++t.on_time;
        t.response_micros += response;
        break;
      case MessageOutcome::kLate:
        ++t.late;
        t.response_micros += response;
        break;
      case MessageOutcome::kNoResponse:
        ++t.no_response;
        break;
      case MessageOutcome::kPending:
        ++t.pending;
        break;
      case MessageOutcome::kExcluded:
        break;
    }
  }
}

ResponseTimesReport ResponseTimesBuilder::finish() const {
  ResponseTimesReport report;
  report.as_of = as_of_;
  for (size_t i = 0; i < 3; ++i) {
    ResponseWindow& w = report.windows[i];
    w.days = static_cast<int>(kResponseWindowDays[i]);
    w.from = as_of_ - kResponseWindowDays[i] * kMicrosPerDay;
    w.to = as_of_;
    const Tally& t = tallies_[i];
    w.on_time = t.on_time;
    w.late = t.late;
    w.no_response = t.no_response;
    w.pending = t.pending;
    w.late_count = t.late + t.no_response;
    const int64_t denominator = t.on_time + t.late + t.no_response;
    if (denominator > 0) {
      w.on_time_rate = static_cast<double>(t.on_time) / static_cast<double>(denominator);
      w.late_rate = static_cast<double>(w.late_count) / static_cast<double>(denominator);
    }
    const int64_t answered = t.on_time + t.late;
    if (answered > 0) {
      // mean in seconds, rounded half up: floor((sum + n * 0.5 s) / (n * 1 s))
      const __int128 unit = static_cast<__int128>(answered) * kMicrosPerSecond;
      w.average_response_seconds = static_cast<int64_t>((t.response_micros + unit / 2) / unit);
    }
  }
  report.unanswered_last_7_days = tallies_[0].no_response + tallies_[0].pending;
  // Both 30-day targets, in exact integer arithmetic: on_time / d > 0.90 and
  // late_count / d <= 0.10. With no counted message (d == 0) nothing is
  // failing: "ok".
  const ResponseWindow& w30 = report.windows[1];
  const int64_t d = w30.on_time + w30.late + w30.no_response;
  report.ok = d == 0 || (w30.on_time * 10 > d * 9 && w30.late_count * 10 <= d);
  return report;
}

ResponseTimesReport compute_response_times(const SellerRows& rows, int64_t as_of) {
  const int64_t widest_from = as_of - kResponseWindowDays[2] * kMicrosPerDay;
  std::string begin(1, row_tag::kMessage), end(1, row_tag::kMessage);
  append_time(begin, widest_from + 1);  // (from, to]
  if (as_of == std::numeric_limits<int64_t>::max()) {
    end = prefix_end(end);
  } else {
    append_time(end, as_of + 1);
  }
  // One pass over the window's messages, in time order. A received message
  // counts as answered by the first seller reply in its thread at or after
  // it; such a reply is in the window too (after the message, at or before
  // as_of), so the pass collects the seller's replies per thread (ascending)
  // and the received messages, and pairs them afterwards.
  // (Only what classifying needs is kept: a large seller has tens of
  // thousands of messages in 90 days.)
  std::vector<std::pair<ReceivedFacts, std::string>> received;  // with the thread id
  std::unordered_map<std::string, std::vector<int64_t>> replies;
  rows.scan(begin, end, false, [&](std::string_view, std::string_view value) {
    MessageRow m;
    if (!decode_message_row(value, m)) return true;
    if (m.received) {
      if (!m.auto_reply) {
        received.emplace_back(ReceivedFacts{m.at, false, m.no_response_needed_at}, std::move(m.thread_id));
      }
    } else if (m.sender == Sender::kSeller) {
      replies[m.thread_id].push_back(m.at);
    }
    return true;
  });
  ResponseTimesBuilder builder(as_of);
  for (const auto& [m, thread_id] : received) {
    std::optional<int64_t> reply;
    if (auto it = replies.find(thread_id); it != replies.end()) {
      auto first = std::lower_bound(it->second.begin(), it->second.end(), m.at);
      if (first != it->second.end()) reply = *first;
    }
    builder.add(m, reply);
  }
  return builder.finish();
}

std::string response_times_json(const std::string& seller_id, const ResponseTimesReport& r) {
  std::string out = "{\"seller_id\":";
  append_json_string(out, seller_id);
  out += ",\"as_of\":\"" + utc(r.as_of) + "\",\"windows\":{";
  for (size_t i = 0; i < r.windows.size(); ++i) {
    const ResponseWindow& w = r.windows[i];
    if (i) out += ',';
    out += "\"" + std::to_string(w.days) + "d\":{\"from\":\"" + utc(w.from) + "\",\"to\":\"" +
           utc(w.to) + "\",\"on_time\":{\"count\":" + std::to_string(w.on_time) + ",\"rate\":";
    const int64_t denominator = w.on_time + w.late + w.no_response;
    out += format_ratio(w.on_time, denominator);
    out += "},\"late\":{\"count\":" + std::to_string(w.late_count) + ",\"rate\":";
    out += format_ratio(w.late_count, denominator);
    out += "},\"no_response_over_24h\":" + std::to_string(w.no_response) +
           ",\"responded_over_24h\":" + std::to_string(w.late) +
           ",\"pending\":" + std::to_string(w.pending) + ",\"average_response_seconds\":" +
           (w.average_response_seconds ? std::to_string(*w.average_response_seconds) : "null") +
           "}";
  }
  out += "},\"unanswered_last_7_days\":" + std::to_string(r.unanswered_last_7_days) +
         ",\"targets\":{\"on_time_rate_min\":0.9,\"late_rate_max\":0.1},\"status\":\"" +
         (r.ok ? "ok" : "at_risk") + "\"}";
  return out;
}

std::string response_times_table(const std::string& seller_id, const ResponseTimesReport& r) {
  std::string out =
      "Buyer-seller message response times (" + seller_id + ", as of " + utc(r.as_of) + ")\n";
  for (const auto& w : r.windows) {
    out += "\t" + std::to_string(w.days) + " days (" + short_date(w.from) + " - " +
           short_date(w.to) + ")";
  }
  out += "\tTarget\n";
  auto row = [&](const char* label, auto cell, const char* target) {
    out += label;
    for (const auto& w : r.windows) out += "\t" + cell(w);
    out += "\t";
    out += target;
    out += "\n";
  };
  row(
      "Response time under 24 hours",
      [](const ResponseWindow& w) {
        return percent_cell(w.on_time, w.on_time + w.late + w.no_response);
      },
      "> 90%");
  row(
      "Late responses",
      [](const ResponseWindow& w) {
        return percent_cell(w.late_count, w.on_time + w.late + w.no_response);
      },
      "\u2264 10%");
  row(
      "No response for more than 24 hours",
      [](const ResponseWindow& w) { return std::to_string(w.no_response); }, "--");
  row(
      "Response time over 24 hours", [](const ResponseWindow& w) { return std::to_string(w.late); },
      "--");
  row(
      "Average response time",
      [](const ResponseWindow& w) { return format_duration_words(w.average_response_seconds); },
      "--");
  out += "\nYou have " + plural(r.unanswered_last_7_days, "message") +
         " you have not answered in the last 7 days.\n";
  out += "Targets: response time under 24 hours > 90%, late responses \u2264 10% (30 days): " +
         std::string(r.ok ? "ok" : "at risk") + "\n";
  return out;
}

std::string format_duration_words(std::optional<int64_t> seconds) {
  if (!seconds) return "-";
  // Rounded to the nearest minute, half a minute up; every non-zero unit shown.
  const int64_t minutes_total = (*seconds + 30) / 60;
  const int64_t days = minutes_total / (24 * 60);
  const int64_t hours = minutes_total / 60 % 24;
  const int64_t minutes = minutes_total % 60;
  std::string out;
  auto add = [&](int64_t n, const char* unit) {
    if (n == 0) return;
    if (!out.empty()) out += ' ';
    out += plural(n, unit);
  };
  add(days, "day");
  add(hours, "hour");
  add(minutes, "minute");
  return out.empty() ? "0 minutes" : out;
}

}  // namespace carelog
