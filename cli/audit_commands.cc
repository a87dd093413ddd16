#include "cli/audit_commands.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "connectors/kafka_client.h"
#include "connectors/query_service.h"
#include "engine/event_log.h"
#include "engine/projection_store.h"
#include "engine/returns_automation.h"
#include "cli/engine_client.h"
#include "events/json_encoder.h"
#include "events/text_rules.h"

namespace carelog {
namespace {


bool matches(const RejectedRecord& r, const RejectedFilter& f) {
  if (!f.seller.empty() && r.seller_id != f.seller) return false;
  if (!f.code.empty() && r.reason.code != f.code) return false;
  if (f.positions.empty()) return true;
  std::string pos = std::to_string(r.partition) + ":" + std::to_string(r.offset);
  for (const auto& p : f.positions) {
    if (p == pos) return true;
  }
  return false;
}

}  // namespace

namespace {

// The seqs of `order`'s events of one seller, from its projection's order
// history (the log past the last checkpoint included); empty when the seller
// has no such order.
std::set<uint64_t> order_seqs_of(const EventLog& log, uint32_t partition, const std::string& seller,
                                 const std::string& order) {
  std::set<uint64_t> seqs;
  ProjectionStore store(log, ReturnsPolicy{}, /*fold_log_past_marks=*/true);  // (no policy read for history)
  store.read(partition, seller, [&](const SellerProjection& s) {
    if (auto it = s.history.find(order); it != s.history.end()) seqs.insert(it->second.begin(), it->second.end());
  });
  return seqs;
}

}  // namespace

int audit_export(const ExportOptions& o) {
  auto log = open_read_only(o.data_dir);
  if (!log) return 1;
  std::optional<int64_t> until;
  if (o.until) {
    auto t = text::parse_rfc3339(*o.until);
    if (!t) {
      std::fprintf(stderr, "carelog: --until: expected an RFC 3339 time, got '%s'\n", o.until->c_str());
      return 2;
    }
    until = t->micros;
  }
  // The sellers to export, with their partitions (and, with --order, the
  // order's seqs): one seller, or every seller holding the order (an order
  // with items from several sellers is in each one's log).
  struct Part {
    std::string seller;
    uint32_t partition;
    std::optional<std::set<uint64_t>> seqs;
  };
  std::vector<Part> parts;
  if (!o.seller.empty()) {
    auto partition = log->seller_partition(o.seller);
    if (!partition) {
      std::fprintf(stderr, "carelog: unknown seller '%s'\n", o.seller.c_str());
      return 3;
    }
    parts.push_back({o.seller, *partition, std::nullopt});
    if (o.order) {
      parts.back().seqs = order_seqs_of(*log, *partition, o.seller, *o.order);
      if (parts.back().seqs->empty()) {
        std::fprintf(stderr, "carelog: seller '%s' has no order '%s'\n", o.seller.c_str(), o.order->c_str());
        return 3;
      }
    }
  } else if (o.order) {
    auto sellers = log->sellers();
    std::sort(sellers.begin(), sellers.end());
    for (auto& [seller, partition] : sellers) {
      auto seqs = order_seqs_of(*log, partition, seller, *o.order);
      if (!seqs.empty()) parts.push_back({seller, partition, std::move(seqs)});
    }
    if (parts.empty()) {
      std::fprintf(stderr, "carelog: no seller has an order '%s'\n", o.order->c_str());
      return 3;
    }
  } else {
    std::fprintf(stderr, "carelog: audit export needs --seller or --order\n");
    return 2;
  }
  std::FILE* out = o.out == "-" ? stdout : std::fopen(o.out.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "carelog: cannot write %s\n", o.out.c_str());
    return 1;
  }
  uint64_t n = 0;
  Status st = Status::Ok();
  for (const Part& part : parts) {
    // From the first of the order's seqs when there is an order.
    uint64_t from = part.seqs ? *part.seqs->begin() : 1;
    st = log->scan(part.partition, from, [&](const LogRecord& r, std::string_view) {
      if (part.seqs && r.seq > *part.seqs->rbegin()) return false;
      if (r.event.seller_id != part.seller) return true;
      if (!o.with_derived && is_derived_event_id(r.event.event_id)) return true;
      if (until && r.event.occurred_at.micros > *until) return true;
      if (part.seqs && !part.seqs->count(r.seq)) return true;
      std::fwrite(r.original.data(), 1, r.original.size(), out);
      std::fputc('\n', out);
      ++n;
      return true;
    });
    if (!st.ok()) break;
  }
  if (out != stdout) std::fclose(out);
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "carelog audit export: %llu events\n", static_cast<unsigned long long>(n));
  return 0;
}

int rejected_list(const RejectedFilter& f) {
  auto log = open_read_only(f.data_dir);
  if (!log) return 1;
  int64_t shown = 0;
  Status st = log->list_rejected([&](const RejectedRecord& r) {
    if (shown >= f.limit) return false;
    if (!matches(r, f)) return true;
    std::printf("%s\n", rejected_record_json(r).c_str());
    ++shown;
    return true;
  });
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}

int rejected_replay(const RejectedFilter& f, const std::string& brokers, const std::string& topic) {
  auto log = open_read_only(f.data_dir);
  if (!log) return 1;
  std::vector<RejectedRecord> chosen;
  Status st = log->list_rejected([&](const RejectedRecord& r) {
    if (static_cast<int64_t>(chosen.size()) >= f.limit) return false;
    if (matches(r, f)) chosen.push_back(r);
    return true;
  });
  if (!st.ok()) {
    std::fprintf(stderr, "carelog: %s\n", st.message().c_str());
    return 1;
  }
  KafkaConf conf;
  st = make_kafka_conf(brokers, {}, {{"partitioner", "murmur2_random"}, {"enable.idempotence", "true"}}, conf);
  char err[512];
  KafkaHandle rk(st.ok() ? rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err) : nullptr);
  if (!rk) {
    std::fprintf(stderr, "carelog: producer: %s\n", st.ok() ? err : st.message().c_str());
    return 1;
  }
  conf.release();
  for (const auto& r : chosen) {
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
        RD_KAFKA_V_KEY(r.key.empty() ? nullptr : r.key.data(), r.key.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    if (e) {
      std::fprintf(stderr, "carelog: produce: %s\n", rd_kafka_err2str(e));
      return 1;
    }
  }
  if (rd_kafka_flush(rk.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "carelog: flush to %s failed\n", topic.c_str());
    return 1;
  }
  std::printf("re-submitted %zu rejected records to %s\n", chosen.size(), topic.c_str());
  return 0;
}

}  // namespace carelog
