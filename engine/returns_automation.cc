#include "engine/returns_automation.h"

#include "engine/hash_chain.h"
#include "projections/order_facts.h"

namespace carelog {
bool address_usable(const Address& a) {
  return !a.name.empty() && !a.line1.empty() && !a.city.empty() && !a.postal_code.empty() &&
         !a.country.empty();
}

namespace {

class Deriver {
 public:
  explicit Deriver(const Event& cause) : cause_(cause) {}
  void emit(EventData data) {
    Event e;
    e.event_id = "derived:" + cause_.event_id + ":" + std::to_string(++n_);
    e.occurred_at = cause_.occurred_at;
    e.seller_id = cause_.seller_id;
    e.marketplace = cause_.marketplace;
    e.schema_version = kCurrentSchemaVersion;
    e.data = std::move(data);
    out_.push_back(std::move(e));
  }
  void notify(NotifyTo to, const char* template_name, const std::string& return_id,
              std::optional<std::vector<std::string>> links = std::nullopt) {
    NotificationRequested n;
    n.to = to;
    n.template_name = template_name;
    n.return_id = return_id;
    n.action_links = std::move(links);
    emit(std::move(n));
  }
  std::vector<Event> take() { return std::move(out_); }

 private:
  const Event& cause_;
  int n_ = 0;
  std::vector<Event> out_;
};

class RowFacts : public DerivationFacts {
 public:
  explicit RowFacts(const SellerRowWriter& rows) : rows_(rows) {}
  std::optional<ReturnSettings> settings(std::string_view marketplace) const override {
    return read_return_settings(rows_, marketplace);
  }
  std::optional<OrderFacts> order(std::string_view order_id) const override {
    return read_order_facts(rows_, order_id);
  }

 private:
  const SellerRowWriter& rows_;
};

class ProjectionFacts : public DerivationFacts {
 public:
  explicit ProjectionFacts(const SellerProjection& seller) : seller_(seller) {}
  std::optional<ReturnSettings> settings(std::string_view marketplace) const override {
    const ReturnSettings* s = seller_.latest_settings(marketplace);
    return s ? std::optional<ReturnSettings>(*s) : std::nullopt;
  }
  std::optional<OrderFacts> order(std::string_view order_id) const override {
    const OrderFacts* o = seller_.order(order_id);
    return o ? std::optional<OrderFacts>(*o) : std::nullopt;
  }

 private:
  const SellerProjection& seller_;
};

void on_request(const Event& cause, const ReturnRequested& r, const DerivationFacts& facts,
                const ReturnsPolicy& policy, Deriver& d) {
  auto settings = facts.settings(cause.marketplace);
  AutoAuthorize mode = settings ? settings->auto_authorize : AutoAuthorize::kOff;
  std::optional<std::vector<std::string>> links;
  if (settings && settings->email_action_links) links = std::vector<std::string>{"authorize", "close", "reply"};
  bool authorize = mode == AutoAuthorize::kAll;
  if (mode == AutoAuthorize::kPolicy) {
    auto order = facts.order(r.order_id);
    std::vector<std::string> skus;
    for (const auto& i : r.items) skus.push_back(i.sku);
    authorize = order && in_return_policy(policy, *order, skus, settings->return_window_days,
                                          cause.occurred_at.micros);
  }
  if (!authorize) {
    d.notify(NotifyTo::kSeller, "return_requested", r.return_id, links);
    return;
  }
  if (!address_usable(settings->return_address)) {
    d.notify(NotifyTo::kSeller, "return_auto_authorization_failed_no_address", r.return_id, links);
    return;
  }
  ReturnAuthorized a;
  a.return_id = r.return_id;
  a.rma = derived_rma(r.return_id);
  a.return_address = settings->return_address;
  a.label = LabelKind::kUnpaid;
  a.authorized_by = AuthorizedBy::kAuto;
  d.emit(std::move(a));
  d.notify(NotifyTo::kBuyer, "return_authorized", r.return_id);
}

}  // namespace

bool is_derived_event_id(const std::string& event_id) { return event_id.rfind("derived:", 0) == 0; }

std::string derived_rma(const std::string& return_id) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  auto digest = content_digest("rma:" + return_id);
  std::string rma;
  for (int i = 0; i < 10; ++i) rma.push_back(alphabet[digest[i] % 62]);
  return rma;
}

std::vector<Event> derive_events(const Event& cause, const SellerRowWriter& rows,
                                 const ReturnsPolicy& policy) {
  return derive_events(cause, RowFacts(rows), policy);
}

std::vector<Event> derive_events(const Event& cause, const SellerProjection& seller,
                                 const ReturnsPolicy& policy) {
  return derive_events(cause, ProjectionFacts(seller), policy);
}

std::vector<Event> derive_events(const Event& cause, const DerivationFacts& facts, const ReturnsPolicy& policy) {
  if (is_derived_event_id(cause.event_id)) return {};
  Deriver d(cause);
  std::visit(
      [&](const auto& data) {
        using T = std::decay_t<decltype(data)>;
        if constexpr (std::is_same_v<T, ReturnRequested>) {
          on_request(cause, data, facts, policy, d);
        } else if constexpr (std::is_same_v<T, ReturnAuthorized>) {
          d.notify(NotifyTo::kBuyer, "return_authorized", data.return_id);
        } else if constexpr (std::is_same_v<T, ReturnClosed>) {
          if (data.closed_by != ClosedBy::kBuyer) d.notify(NotifyTo::kBuyer, "return_closed", data.return_id);
          if (data.closed_by != ClosedBy::kSeller) d.notify(NotifyTo::kSeller, "return_closed", data.return_id);
        } else if constexpr (std::is_same_v<T, ReturnCancelled>) {
          d.notify(NotifyTo::kSeller, "return_cancelled", data.return_id);
        }
      },
      cause.data);
  return d.take();
}

}  // namespace carelog
