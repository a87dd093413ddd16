#include "engine/domain_rules.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include <spdlog/spdlog.h>

#include "events/json_encoder.h"

namespace carelog {
namespace {

// Orders above this total are refused, so sums of refunds and values never
// overflow (10^15 cents = 10^13 of any currency).
constexpr int64_t kMaxOrderCents = 1'000'000'000'000'000;

Rejection reject(const char* code, std::string field, std::string message) {
  return Rejection{code, std::move(field), std::move(message)};
}

bool terminal(ReturnStatus s) {
  return s == ReturnStatus::kClosed || s == ReturnStatus::kCancelled ||
         s == ReturnStatus::kCompleted;
}

const char* status_name(ReturnStatus s) {
  switch (s) {
    case ReturnStatus::kRequested: return "requested";
    case ReturnStatus::kAuthorized: return "authorized";
    case ReturnStatus::kClosed: return "closed";
    case ReturnStatus::kCancelled: return "cancelled";
    case ReturnStatus::kCompleted: return "completed";
  }
  return "?";
}

// The state a check reads and does not change: reads go to the seller's
// state, changes are dropped (a command checked before it becomes an event).
class ReadOnlyState {
 public:
  explicit ReadOnlyState(SellerState& s) : s_(s) {}
  const OrderState* order(uint32_t p, std::string_view seller, std::string_view id) {
    return s_.order(p, seller, id);
  }
  const ReturnState* return_request(uint32_t p, std::string_view seller, std::string_view id) {
    return s_.return_request(p, seller, id);
  }
  const ClaimState* claim(uint32_t p, std::string_view seller, std::string_view id) {
    return s_.claim(p, seller, id);
  }
  bool known(uint32_t p, std::string_view seller, Known kind, std::string_view id) {
    return s_.known(p, seller, kind, id);
  }
  template <class... Args>
  void put_order(Args&&...) {}
  template <class... Args>
  void put_return(Args&&...) {}
  template <class... Args>
  void put_claim(Args&&...) {}
  template <class... Args>
  void put_known(Args&&...) {}

 private:
  SellerState& s_;
};
struct NoBatch {};

// Evaluates one event for one seller; members keep the call sites short.
// State: SellerState (apply) or ReadOnlyState (check); Batch: what a change
// goes into.
template <class State, class Batch>
class Rules {
 public:
  Rules(uint32_t p, const Event& e, State& s, Batch& b)
      : p_(p), seller_(e.seller_id), s_(s), b_(b) {}

  std::optional<Rejection> operator()(const OrderPlaced& d) {
    if (s_.order(p_, seller_, d.order_id)) {
      return reject(reject::kDuplicateEntity, "data.order_id", "order " + d.order_id + " already exists");
    }
    OrderState o;
    o.currency = d.items.front().item_price.currency;
    for (auto& i : d.items) {
      if (i.item_price.currency != o.currency) {
        return reject(reject::kInvalidMoney, "data.items", "items of one order must share one currency");
      }
      int64_t line = 0;
      if (__builtin_mul_overflow(i.item_price.cents, static_cast<int64_t>(i.quantity), &line) ||
          __builtin_add_overflow(o.paid_cents, line, &o.paid_cents) || o.paid_cents > kMaxOrderCents) {
        return reject(reject::kOutOfRange, "data.items", "the order's total is out of range");
      }
      o.items.push_back({i.sku, i.item_price.cents});
    }
    s_.put_order(b_, p_, seller_, d.order_id, std::move(o));
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const OrderShipped& d) {
    return order_transition(d.order_id, OrderStatus::kShipped);
  }
  std::optional<Rejection> operator()(const OrderDelivered& d) {
    return order_transition(d.order_id, OrderStatus::kDelivered);
  }
  std::optional<Rejection> operator()(const OrderCancelled& d) {
    return order_transition(d.order_id, OrderStatus::kCancelled);
  }

  std::optional<Rejection> operator()(const MessageReceived& d) {
    if (s_.known(p_, seller_, Known::kReceivedMessage, d.message_id)) {
      return reject(reject::kDuplicateEntity, "data.message_id", "message " + d.message_id + " already received");
    }
    if (auto r = need_order_if(d.order_id)) return r;
    s_.put_known(b_, p_, seller_, Known::kReceivedMessage, d.message_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const MessageSent& d) {
    if (s_.known(p_, seller_, Known::kSentMessage, d.message_id)) {
      return reject(reject::kDuplicateEntity, "data.message_id", "message " + d.message_id + " already sent");
    }
    if (d.in_reply_to && !s_.known(p_, seller_, Known::kReceivedMessage, *d.in_reply_to)) {
      return reject(reject::kUnknownMessage, "data.in_reply_to",
                    "the seller has no received message " + *d.in_reply_to);
    }
    if (auto r = need_order_if(d.order_id)) return r;
    s_.put_known(b_, p_, seller_, Known::kSentMessage, d.message_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const MessageNoResponseNeeded& d) {
    if (!s_.known(p_, seller_, Known::kReceivedMessage, d.message_id)) {
      return reject(reject::kUnknownMessage, "data.message_id",
                    "the seller has no received message " + d.message_id);
    }
    return std::nullopt;
  }

  std::optional<Rejection> operator()(const ReturnRequested& d) {
    if (s_.return_request(p_, seller_, d.return_id)) {
      return reject(reject::kDuplicateEntity, "data.return_id", "return " + d.return_id + " already requested");
    }
    auto order = s_.order(p_, seller_, d.order_id);
    if (!order) return unknown_order("data.order_id", d.order_id);
    if (order->status == OrderStatus::kCancelled) {
      return reject(reject::kOrderState, "data.order_id", "order " + d.order_id + " was cancelled");
    }
    ReturnState r;
    r.order_id = d.order_id;
    for (auto& item : d.items) {
      for (auto& oi : order->items) {
        if (oi.sku == item.sku) {
          int64_t line = 0;
          if (__builtin_mul_overflow(oi.unit_cents, static_cast<int64_t>(item.quantity), &line) ||
              __builtin_add_overflow(r.value_cents, line, &r.value_cents)) {
            return reject(reject::kOutOfRange, "data.items", "the returned items' value is out of range");
          }
          break;
        }
      }
    }
    s_.put_return(b_, p_, seller_, d.return_id, std::move(r));
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnAuthorized& d) {
    auto r = s_.return_request(p_, seller_, d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (r->status == ReturnStatus::kAuthorized) {
      return reject(reject::kAlreadyAuthorized, "data.return_id", "return " + d.return_id + " is already authorized");
    }
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    ReturnState next = *r;
    next.status = ReturnStatus::kAuthorized;
    s_.put_return(b_, p_, seller_, d.return_id, std::move(next));
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnClosed& d) {
    auto r = s_.return_request(p_, seller_, d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    ReturnState next = *r;
    next.status = ReturnStatus::kClosed;
    s_.put_return(b_, p_, seller_, d.return_id, std::move(next));
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnCancelled& d) {
    auto r = s_.return_request(p_, seller_, d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    if (r->status != ReturnStatus::kRequested) {
      return reject(reject::kReturnAlreadyActed, "data.return_id",
                    "return " + d.return_id + " cannot be cancelled: the seller has already acted");
    }
    ReturnState next = *r;
    next.status = ReturnStatus::kCancelled;
    s_.put_return(b_, p_, seller_, d.return_id, std::move(next));
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnItemReceived& d) {
    auto r = s_.return_request(p_, seller_, d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    ReturnState next = *r;
    next.item_received = true;
    s_.put_return(b_, p_, seller_, d.return_id, std::move(next));
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const RefundIssued& d) {
    if (s_.known(p_, seller_, Known::kRefund, d.refund_id)) {
      return reject(reject::kDuplicateEntity, "data.refund_id", "refund " + d.refund_id + " already issued");
    }
    auto order = s_.order(p_, seller_, d.order_id);
    if (!order) return unknown_order("data.order_id", d.order_id);
    const ReturnState* ret = nullptr;
    if (d.return_id) {
      ret = s_.return_request(p_, seller_, *d.return_id);
      if (!ret) return unknown_return(*d.return_id);
      if (ret->order_id != d.order_id) {
        return reject(reject::kUnknownReturn, "data.return_id",
                      "return " + *d.return_id + " belongs to order " + ret->order_id);
      }
      if (ret->status == ReturnStatus::kCancelled) return terminal_return(*d.return_id, ret->status);
    }
    if (d.amount.currency != order->currency) {
      return reject(reject::kInvalidMoney, "data.amount.currency",
                    "refund in " + d.amount.currency + " for an order paid in " + order->currency);
    }
    if (d.amount.cents > order->paid_cents - order->refunded_cents) {
      return reject(reject::kRefundExceedsPaid, "data.amount",
                    "refunds would total " + format_money_amount(order->refunded_cents + d.amount.cents) + " " +
                        order->currency + ", the order was paid " + format_money_amount(order->paid_cents) + " " +
                        order->currency + " (" + format_money_amount(order->paid_cents - order->refunded_cents) +
                        " left to refund)");
    }
    // (Copies first: a put may move what the views show.)
    std::optional<ReturnState> ret_next;
    if (ret) ret_next = *ret;
    OrderState order_next = *order;
    order_next.refunded_cents += d.amount.cents;
    s_.put_order(b_, p_, seller_, d.order_id, std::move(order_next));
    if (ret_next) {
      ret_next->refunded_cents += d.amount.cents;
      bool reaches_value = ret_next->value_cents > 0 && ret_next->refunded_cents >= ret_next->value_cents;
      if ((d.refund_kind == RefundKind::kFull || reaches_value) &&
          (ret_next->status == ReturnStatus::kRequested || ret_next->status == ReturnStatus::kAuthorized)) {
        ret_next->status = ReturnStatus::kCompleted;
      }
      s_.put_return(b_, p_, seller_, *d.return_id, std::move(*ret_next));
    }
    s_.put_known(b_, p_, seller_, Known::kRefund, d.refund_id);
    return std::nullopt;
  }

  std::optional<Rejection> operator()(const ClaimFiled& d) {
    if (s_.claim(p_, seller_, d.claim_id)) {
      return reject(reject::kDuplicateEntity, "data.claim_id", "claim " + d.claim_id + " already filed");
    }
    if (!s_.order(p_, seller_, d.order_id)) return unknown_order("data.order_id", d.order_id);
    s_.put_claim(b_, p_, seller_, d.claim_id, ClaimState{false});
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ClaimDecided& d) {
    auto c = s_.claim(p_, seller_, d.claim_id);
    if (!c) {
      return reject(reject::kUnknownClaim, "data.claim_id", "the seller has no claim " + d.claim_id);
    }
    if (c->decided) {
      return reject(reject::kClaimDecided, "data.claim_id", "claim " + d.claim_id + " is already decided");
    }
    s_.put_claim(b_, p_, seller_, d.claim_id, ClaimState{true});
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const FeedbackReceived& d) {
    if (s_.known(p_, seller_, Known::kFeedback, d.feedback_id)) {
      return reject(reject::kDuplicateEntity, "data.feedback_id", "feedback " + d.feedback_id + " already received");
    }
    if (!s_.order(p_, seller_, d.order_id)) return unknown_order("data.order_id", d.order_id);
    s_.put_known(b_, p_, seller_, Known::kFeedback, d.feedback_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnSettingsChanged&) { return std::nullopt; }
  std::optional<Rejection> operator()(const NotificationRequested&) { return std::nullopt; }
  std::optional<Rejection> operator()(const BuyerErasureRequested&) { return std::nullopt; }

 private:
  std::optional<Rejection> order_transition(const std::string& id, OrderStatus to) {
    auto o = s_.order(p_, seller_, id);
    if (!o) return unknown_order("data.order_id", id);
    if (o->status == OrderStatus::kCancelled) {
      return reject(reject::kOrderState, "data.order_id", "order " + id + " was cancelled");
    }
    if (to == OrderStatus::kCancelled && o->status == OrderStatus::kDelivered) {
      return reject(reject::kOrderState, "data.order_id", "order " + id + " was already delivered");
    }
    // A late "shipped" after "delivered" does not move the order back.
    OrderState next = *o;
    if (!(to == OrderStatus::kShipped && o->status == OrderStatus::kDelivered)) next.status = to;
    s_.put_order(b_, p_, seller_, id, std::move(next));
    return std::nullopt;
  }
  std::optional<Rejection> need_order_if(const std::optional<std::string>& id) {
    if (id && !s_.order(p_, seller_, *id)) return unknown_order("data.order_id", *id);
    return std::nullopt;
  }
  Rejection unknown_order(const char* field, const std::string& id) {
    return reject(reject::kUnknownOrder, field, "the seller has no order " + id);
  }
  Rejection unknown_return(const std::string& id) {
    return reject(reject::kUnknownReturn, "data.return_id", "the seller has no return " + id);
  }
  Rejection terminal_return(const std::string& id, ReturnStatus s) {
    return reject(reject::kReturnTerminal, "data.return_id",
                  std::string("return ") + id + " is " + status_name(s) + ", a terminal state");
  }

  uint32_t p_;
  const std::string& seller_;
  State& s_;
  Batch& b_;
};

}  // namespace

std::optional<Rejection> apply_domain_rules(uint32_t partition, const Event& event,
                                            SellerState& state, LogBatch& batch) {
  return std::visit(Rules<SellerState, LogBatch>(partition, event, state, batch), event.data);
}

std::optional<Rejection> check_domain_rules(uint32_t partition, const Event& event, SellerState& state) {
  ReadOnlyState read_only(state);
  NoBatch none;
  return std::visit(Rules<ReadOnlyState, NoBatch>(partition, event, read_only, none), event.data);
}

Status catch_up_rule_state(EventLog& log, uint64_t& folded) {
  folded = 0;
  const std::map<uint32_t, uint64_t> behind = log.rule_state_behind();
  if (behind.empty()) return Status::Ok();
  SellerState state(log, std::numeric_limits<size_t>::max(), /*deferred=*/true);
  constexpr size_t kRecordsPerBatch = 5000;
  for (const auto& entry : behind) {
    const uint32_t partition = entry.first;  // (clang 14 cannot capture a structured binding)
    auto batch = std::make_unique<LogBatch>(log, log.projections());
    size_t in_batch = 0;
    Status inner = Status::Ok();
    // Each batch moves the mark with it: a crash midway resumes after it.
    Status scanned = log.scan_events(partition, entry.second + 1, [&](const LogRecord& r, std::string_view) {
      if (auto why = apply_domain_rules(partition, r.event, state, *batch)) {
        // It passed them when it was appended: the state was not where the mark says.
        spdlog::warn("rules' state catch-up: partition {} seq {} ({}) breaks {}: {}", partition, r.seq,
                     r.event.event_id, why->code, why->message);
      }
      ++folded;
      if (++in_batch >= kRecordsPerBatch) {
        state.write_dirty(*batch);
        batch->set_rule_state_behind(partition, r.seq);
        inner = log.commit(*batch);
        if (!inner.ok()) return false;
        state.trim_cache();
        batch = std::make_unique<LogBatch>(log, log.projections());
        in_batch = 0;
      }
      return true;
    });
    if (!scanned.ok()) return scanned;
    if (!inner.ok()) return inner;
    state.write_dirty(*batch);
    batch->clear_rule_state_behind(partition);
    if (Status c = log.commit(*batch); !c.ok()) return c;
  }
  return Status::Ok();
}

}  // namespace carelog
