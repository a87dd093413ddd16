#include "engine/domain_rules.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
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

// What the rules read of an order, a return request and a claim, and the
// effects they record once an event passes. A State gives, by id:
//   order(id)           -> pointer-like, null when none: status, currency,
//                          paid_cents, refunded_cents, items (.sku, .unit_cents)
//   return_request(id)  -> pointer-like: status, order_id, value_cents, refunded_cents
//   claim(id)           -> pointer-like: decided
//   known(kind, id)     -> bool
// and the effects of an accepted event (placed, order_status, requested,
// return_status, item_received, refunded, claim_filed, claim_decided,
// put_known). Three States: the rules' own state written through a batch
// (RecordingState), the same read-only (a check), and a seller's projection
// (ProjectedState), which records nothing: its fold of the event is the effect.

// SellerState, each effect a copy of the entity changed and put into `b`.
class RecordingState {
 public:
  RecordingState(SellerState& s, LogBatch& b, uint32_t p, const std::string& seller)
      : s_(s), b_(b), p_(p), seller_(seller) {}
  const OrderState* order(std::string_view id) { return s_.order(p_, seller_, id); }
  const ReturnState* return_request(std::string_view id) { return s_.return_request(p_, seller_, id); }
  const ClaimState* claim(std::string_view id) { return s_.claim(p_, seller_, id); }
  bool known(Known kind, std::string_view id) { return s_.known(p_, seller_, kind, id); }

  void placed(const OrderPlaced& d, std::string currency, int64_t paid_cents) {
    OrderState o;
    o.currency = std::move(currency);
    o.paid_cents = paid_cents;
    o.items.reserve(d.items.size());
    for (const auto& i : d.items) o.items.push_back({i.sku, i.item_price.cents});
    s_.put_order(b_, p_, seller_, d.order_id, std::move(o));
  }
  void order_status(const std::string& id, OrderStatus to) {
    OrderState next = *s_.order(p_, seller_, id);
    next.status = to;
    s_.put_order(b_, p_, seller_, id, std::move(next));
  }
  void requested(const ReturnRequested& d, int64_t value_cents) {
    ReturnState r;
    r.order_id = d.order_id;
    r.value_cents = value_cents;
    s_.put_return(b_, p_, seller_, d.return_id, std::move(r));
  }
  void return_status(const std::string& id, ReturnStatus to) {
    ReturnState next = *s_.return_request(p_, seller_, id);
    next.status = to;
    s_.put_return(b_, p_, seller_, id, std::move(next));
  }
  void item_received(const std::string& id) {
    ReturnState next = *s_.return_request(p_, seller_, id);
    next.item_received = true;
    s_.put_return(b_, p_, seller_, id, std::move(next));
  }
  void refunded(const RefundIssued& d, bool completes) {
    OrderState order = *s_.order(p_, seller_, d.order_id);
    order.refunded_cents += d.amount.cents;
    s_.put_order(b_, p_, seller_, d.order_id, std::move(order));
    if (d.return_id) {
      ReturnState ret = *s_.return_request(p_, seller_, *d.return_id);
      ret.refunded_cents += d.amount.cents;
      if (completes) ret.status = ReturnStatus::kCompleted;
      s_.put_return(b_, p_, seller_, *d.return_id, std::move(ret));
    }
    s_.put_known(b_, p_, seller_, Known::kRefund, d.refund_id);
  }
  void claim_filed(const std::string& id) { s_.put_claim(b_, p_, seller_, id, ClaimState{false}); }
  void claim_decided(const std::string& id) { s_.put_claim(b_, p_, seller_, id, ClaimState{true}); }
  void put_known(Known kind, const std::string& id) { s_.put_known(b_, p_, seller_, kind, id); }

 private:
  SellerState& s_;
  LogBatch& b_;
  uint32_t p_;
  const std::string& seller_;
};

// An effect a read-only State drops.
struct NoEffects {
  template <class... Args>
  void placed(Args&&...) {}
  template <class... Args>
  void order_status(Args&&...) {}
  template <class... Args>
  void requested(Args&&...) {}
  template <class... Args>
  void return_status(Args&&...) {}
  template <class... Args>
  void item_received(Args&&...) {}
  template <class... Args>
  void refunded(Args&&...) {}
  template <class... Args>
  void claim_filed(Args&&...) {}
  template <class... Args>
  void claim_decided(Args&&...) {}
  template <class... Args>
  void put_known(Args&&...) {}
};

// SellerState, read only (a command checked before it becomes an event).
class ReadOnlyState : public NoEffects {
 public:
  ReadOnlyState(SellerState& s, uint32_t p, const std::string& seller) : s_(s), p_(p), seller_(seller) {}
  const OrderState* order(std::string_view id) { return s_.order(p_, seller_, id); }
  const ReturnState* return_request(std::string_view id) { return s_.return_request(p_, seller_, id); }
  const ClaimState* claim(std::string_view id) { return s_.claim(p_, seller_, id); }
  bool known(Known kind, std::string_view id) { return s_.known(p_, seller_, kind, id); }

 private:
  SellerState& s_;
  uint32_t p_;
  const std::string& seller_;
};

absl::string_view key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// A seller's projection as the rules' state. Its entities hold every
// instant of their lives; the rules need the state the log order left, which
// those instants decide because the rules admit no event past a terminal
// state: an order is cancelled once a cancellation is logged, else delivered
// once a delivery is; a request is completed, closed or cancelled once that
// instant is set (at most one is: each is terminal), else authorized once
// authorized.
class ProjectedState : public NoEffects {
 public:
  struct Order {
    OrderStatus status;
    std::string currency;
    int64_t paid_cents, refunded_cents;
    std::span<const OrderItemFacts> items;
  };
  struct Return {
    ReturnStatus status;
    std::string_view order_id;
    int64_t value_cents, refunded_cents;
  };
  struct Claim {
    bool decided;
  };
  explicit ProjectedState(const SellerProjection* s) : s_(s) {}

  std::optional<Order> order(std::string_view id) const {
    const OrderFacts* o = s_ ? s_->order(id) : nullptr;
    if (!o) return std::nullopt;
    const OrderStatus status = o->cancelled_at   ? OrderStatus::kCancelled
                               : o->delivered_at ? OrderStatus::kDelivered
                               : o->shipped_at   ? OrderStatus::kShipped
                                                 : OrderStatus::kPlaced;
    return Order{status, o->currency, o->paid_cents, o->refunded_cents, o->items};
  }
  std::optional<Return> return_request(std::string_view id) const {
    const return_rows::ReturnRow* x = s_ ? s_->return_request(id) : nullptr;
    if (!x) return std::nullopt;
    const ReturnStatus status = x->completed_at   ? ReturnStatus::kCompleted
                                : x->closed_at    ? ReturnStatus::kClosed
                                : x->cancelled_at ? ReturnStatus::kCancelled
                                : x->authorized_at ? ReturnStatus::kAuthorized
                                                   : ReturnStatus::kRequested;
    int64_t refunded = 0;
    for (const auto& r : x->refunds) refunded += r.cents;
    return Return{status, x->order_id, x->value_cents, refunded};
  }
  std::optional<Claim> claim(std::string_view id) const {
    if (!s_) return std::nullopt;
    auto it = s_->claim_order.find(key(id));
    if (it == s_->claim_order.end()) return std::nullopt;
    for (const auto& c : s_->orders[it->second].claims) {
      if (c.claim_id == id) return Claim{c.decided_at.has_value()};
    }
    return std::nullopt;
  }
  bool known(Known kind, std::string_view id) const {
    if (!s_) return false;
    switch (kind) {
      case Known::kReceivedMessage: return s_->received_index.contains(key(id));
      case Known::kSentMessage: return s_->sent_index.contains(key(id));
      case Known::kRefund: return s_->refund_order.contains(key(id));
      case Known::kFeedback: return s_->feedback_order.contains(key(id));
    }
    return false;
  }

 private:
  const SellerProjection* s_;
};

// Evaluates one event of one seller against a State (above).
template <class State>
class Rules {
 public:
  explicit Rules(State& s) : s_(s) {}

  std::optional<Rejection> operator()(const OrderPlaced& d) {
    if (s_.order(d.order_id)) {
      return reject(reject::kDuplicateEntity, "data.order_id", "order " + d.order_id + " already exists");
    }
    const std::string& currency = d.items.front().item_price.currency;
    int64_t paid_cents = 0;
    for (auto& i : d.items) {
      if (i.item_price.currency != currency) {
        return reject(reject::kInvalidMoney, "data.items", "items of one order must share one currency");
      }
      int64_t line = 0;
      if (__builtin_mul_overflow(i.item_price.cents, static_cast<int64_t>(i.quantity), &line) ||
          __builtin_add_overflow(paid_cents, line, &paid_cents) || paid_cents > kMaxOrderCents) {
        return reject(reject::kOutOfRange, "data.items", "the order's total is out of range");
      }
    }
    s_.placed(d, currency, paid_cents);
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
    if (s_.known(Known::kReceivedMessage, d.message_id)) {
      return reject(reject::kDuplicateEntity, "data.message_id", "message " + d.message_id + " already received");
    }
    if (auto r = need_order_if(d.order_id)) return r;
    s_.put_known(Known::kReceivedMessage, d.message_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const MessageSent& d) {
    if (s_.known(Known::kSentMessage, d.message_id)) {
      return reject(reject::kDuplicateEntity, "data.message_id", "message " + d.message_id + " already sent");
    }
    if (d.in_reply_to && !s_.known(Known::kReceivedMessage, *d.in_reply_to)) {
      return reject(reject::kUnknownMessage, "data.in_reply_to",
                    "the seller has no received message " + *d.in_reply_to);
    }
    if (auto r = need_order_if(d.order_id)) return r;
    s_.put_known(Known::kSentMessage, d.message_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const MessageNoResponseNeeded& d) {
    if (!s_.known(Known::kReceivedMessage, d.message_id)) {
      return reject(reject::kUnknownMessage, "data.message_id",
                    "the seller has no received message " + d.message_id);
    }
    return std::nullopt;
  }

  std::optional<Rejection> operator()(const ReturnRequested& d) {
    if (s_.return_request(d.return_id)) {
      return reject(reject::kDuplicateEntity, "data.return_id", "return " + d.return_id + " already requested");
    }
    auto order = s_.order(d.order_id);
    if (!order) return unknown_order("data.order_id", d.order_id);
    if (order->status == OrderStatus::kCancelled) {
      return reject(reject::kOrderState, "data.order_id", "order " + d.order_id + " was cancelled");
    }
    int64_t value_cents = 0;
    for (auto& item : d.items) {
      for (auto& oi : order->items) {
        if (oi.sku == item.sku) {
          int64_t line = 0;
          if (__builtin_mul_overflow(oi.unit_cents, static_cast<int64_t>(item.quantity), &line) ||
              __builtin_add_overflow(value_cents, line, &value_cents)) {
            return reject(reject::kOutOfRange, "data.items", "the returned items' value is out of range");
          }
          break;
        }
      }
    }
    s_.requested(d, value_cents);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnAuthorized& d) {
    auto r = s_.return_request(d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (r->status == ReturnStatus::kAuthorized) {
      return reject(reject::kAlreadyAuthorized, "data.return_id", "return " + d.return_id + " is already authorized");
    }
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    s_.return_status(d.return_id, ReturnStatus::kAuthorized);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnClosed& d) {
    auto r = s_.return_request(d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    s_.return_status(d.return_id, ReturnStatus::kClosed);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnCancelled& d) {
    auto r = s_.return_request(d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    if (r->status != ReturnStatus::kRequested) {
      return reject(reject::kReturnAlreadyActed, "data.return_id",
                    "return " + d.return_id + " cannot be cancelled: the seller has already acted");
    }
    s_.return_status(d.return_id, ReturnStatus::kCancelled);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnItemReceived& d) {
    auto r = s_.return_request(d.return_id);
    if (!r) return unknown_return(d.return_id);
    if (terminal(r->status)) return terminal_return(d.return_id, r->status);
    s_.item_received(d.return_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const RefundIssued& d) {
    if (s_.known(Known::kRefund, d.refund_id)) {
      return reject(reject::kDuplicateEntity, "data.refund_id", "refund " + d.refund_id + " already issued");
    }
    auto order = s_.order(d.order_id);
    if (!order) return unknown_order("data.order_id", d.order_id);
    bool completes = false;
    if (d.return_id) {
      auto ret = s_.return_request(*d.return_id);
      if (!ret) return unknown_return(*d.return_id);
      if (ret->order_id != d.order_id) {
        return reject(reject::kUnknownReturn, "data.return_id",
                      "return " + *d.return_id + " belongs to order " + std::string(ret->order_id));
      }
      if (ret->status == ReturnStatus::kCancelled) return terminal_return(*d.return_id, ret->status);
      // A full refund, or refunds reaching the returned items' value,
      // complete a request still open.
      const int64_t refunded = ret->refunded_cents + d.amount.cents;
      const bool reaches_value = ret->value_cents > 0 && refunded >= ret->value_cents;
      completes = (d.refund_kind == RefundKind::kFull || reaches_value) &&
                  (ret->status == ReturnStatus::kRequested || ret->status == ReturnStatus::kAuthorized);
    }
    const std::string currency(order->currency);
    if (d.amount.currency != currency) {
      return reject(reject::kInvalidMoney, "data.amount.currency",
                    "refund in " + d.amount.currency + " for an order paid in " + currency);
    }
    if (d.amount.cents > order->paid_cents - order->refunded_cents) {
      return reject(reject::kRefundExceedsPaid, "data.amount",
                    "refunds would total " + format_money_amount(order->refunded_cents + d.amount.cents) + " " +
                        currency + ", the order was paid " + format_money_amount(order->paid_cents) + " " +
                        currency + " (" + format_money_amount(order->paid_cents - order->refunded_cents) +
                        " left to refund)");
    }
    s_.refunded(d, completes);
    return std::nullopt;
  }

  std::optional<Rejection> operator()(const ClaimFiled& d) {
    if (s_.claim(d.claim_id)) {
      return reject(reject::kDuplicateEntity, "data.claim_id", "claim " + d.claim_id + " already filed");
    }
    if (!s_.order(d.order_id)) return unknown_order("data.order_id", d.order_id);
    s_.claim_filed(d.claim_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ClaimDecided& d) {
    auto c = s_.claim(d.claim_id);
    if (!c) {
      return reject(reject::kUnknownClaim, "data.claim_id", "the seller has no claim " + d.claim_id);
    }
    if (c->decided) {
      return reject(reject::kClaimDecided, "data.claim_id", "claim " + d.claim_id + " is already decided");
    }
    s_.claim_decided(d.claim_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const FeedbackReceived& d) {
    if (s_.known(Known::kFeedback, d.feedback_id)) {
      return reject(reject::kDuplicateEntity, "data.feedback_id", "feedback " + d.feedback_id + " already received");
    }
    if (!s_.order(d.order_id)) return unknown_order("data.order_id", d.order_id);
    s_.put_known(Known::kFeedback, d.feedback_id);
    return std::nullopt;
  }
  std::optional<Rejection> operator()(const ReturnSettingsChanged&) { return std::nullopt; }
  std::optional<Rejection> operator()(const NotificationRequested&) { return std::nullopt; }
  std::optional<Rejection> operator()(const BuyerErasureRequested&) { return std::nullopt; }

 private:
  std::optional<Rejection> order_transition(const std::string& id, OrderStatus to) {
    auto o = s_.order(id);
    if (!o) return unknown_order("data.order_id", id);
    if (o->status == OrderStatus::kCancelled) {
      return reject(reject::kOrderState, "data.order_id", "order " + id + " was cancelled");
    }
    if (to == OrderStatus::kCancelled && o->status == OrderStatus::kDelivered) {
      return reject(reject::kOrderState, "data.order_id", "order " + id + " was already delivered");
    }
    // A late "shipped" after "delivered" does not move the order back.
    if (!(to == OrderStatus::kShipped && o->status == OrderStatus::kDelivered)) s_.order_status(id, to);
    return std::nullopt;
  }
  std::optional<Rejection> need_order_if(const std::optional<std::string>& id) {
    if (id && !s_.order(*id)) return unknown_order("data.order_id", *id);
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

  State& s_;
};

}  // namespace

std::optional<Rejection> apply_domain_rules(uint32_t partition, const Event& event,
                                            SellerState& state, LogBatch& batch) {
  RecordingState recording(state, batch, partition, event.seller_id);
  return std::visit(Rules<RecordingState>(recording), event.data);
}

std::optional<Rejection> check_domain_rules(uint32_t partition, const Event& event, SellerState& state) {
  ReadOnlyState read_only(state, partition, event.seller_id);
  return std::visit(Rules<ReadOnlyState>(read_only), event.data);
}

std::optional<Rejection> check_domain_rules(const Event& event, const SellerProjection* seller) {
  ProjectedState projected(seller);
  return std::visit(Rules<ProjectedState>(projected), event.data);
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
