#include "tools/feed_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "events/event.h"
#include "events/json_encoder.h"

namespace carelog {
namespace {

constexpr int64_t kMinute = 60'000'000, kHour = 60 * kMinute, kDay = 24 * kHour;

struct Pending {
  int64_t at;        // micros
  int64_t seller;
  int64_t order;     // tie-break: story order
  int64_t step;
  Event event;
};

class Story {
 public:
  Story(std::mt19937_64& rng, std::vector<Pending>& out, const std::string& seller, int64_t seller_index,
        int64_t& counter)
      : rng_(rng), out_(out), seller_(seller), seller_index_(seller_index), counter_(counter) {}

  double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  int64_t between(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  // Seller reply delay: log-normal around ~3 h; about 12% past 24 h.
  int64_t reply_delay() {
    double hours = std::lognormal_distribution<double>(std::log(3.0), 1.4)(rng_);
    return std::max<int64_t>(kMinute, static_cast<int64_t>(hours * static_cast<double>(kHour)));
  }

  void emit(int64_t at, EventData data) {
    Event e;
    e.event_id = seller_ + "-" + std::to_string(++counter_);
    e.occurred_at = Timestamp{at, 60};
    e.seller_id = seller_;
    e.marketplace = "FR";
    e.data = std::move(data);
    out_.push_back(Pending{at, seller_index_, story_, step_++, std::move(e)});
  }
  void begin(int64_t story) {
    story_ = story;
    step_ = 0;
  }

 private:
  std::mt19937_64& rng_;
  std::vector<Pending>& out_;
  std::string seller_;
  int64_t seller_index_;
  int64_t& counter_;
  int64_t story_ = 0, step_ = 0;
};

const ReturnReason kReasons[] = {
    ReturnReason::kOrderedByAccident, ReturnReason::kBetterPriceAvailable,
    ReturnReason::kQualityNotAdequate, ReturnReason::kIncompatibleOrNotUseful,
    ReturnReason::kDamagedBoxIntact, ReturnReason::kMissedEstimatedDelivery,
    ReturnReason::kMissingParts, ReturnReason::kItemAndBoxDamaged, ReturnReason::kWrongItemSent,
    ReturnReason::kDefective, ReturnReason::kExtraItemReceived, ReturnReason::kNoLongerNeeded};
const char* kCategories[] = {"toys", "home", "kitchen", "books", "media", "electronics", "grocery", "clothing"};
const char* kSubjects[] = {"Demande de renseignements concernant les détails d'un produit",
                           "Demande de renseignements concernant la livraison d'une commande",
                           "Re: Amazon Invoice / Facture / Rechnung"};

Address seller_address(const std::string& seller) {
  Address a;
  a.name = "Service retours " + seller;
  a.line1 = "12 rue de la Paix";
  a.city = "Paris";
  a.postal_code = "75002";
  a.country = "FR";
  a.phone = "01 23 24 25 26";
  return a;
}

std::string rma_for(int64_t n) {
  static const char* alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string s;
  uint64_t x = static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 10; ++i) {
    s.push_back(alphabet[x % 57]);
    x = x / 57 + 0x2545F4914F6CDD1DULL * static_cast<uint64_t>(i + 1);
  }
  return s;
}

// One order and everything that follows from it.
void order_story(Story& s, const std::string& seller, int64_t seller_index, int64_t order_no,
                 int64_t placed_at) {
  char order_id[32];
  std::snprintf(order_id, sizeof order_id, "%03lld-%07lld-%07lld",
                static_cast<long long>(400 + seller_index % 600),
                static_cast<long long>(seller_index % 10'000'000),
                static_cast<long long>(order_no % 10'000'000));
  std::string buyer = "BUYER" + std::to_string(s.between(1, 9'999'999));
  std::string alias = "b" + std::to_string(s.between(100000, 999999)) + "@marketplace.amazon.fr";

  OrderPlaced placed;
  placed.order_id = order_id;
  placed.buyer_id = buyer;
  int items = s.uniform() < 0.8 ? 1 : 2;
  for (int i = 0; i < items; ++i) {
    OrderItem it;
    it.sku = "SKU-" + std::to_string(s.between(1000, 9999));
    it.asin = "B00" + std::to_string(s.between(1000000, 9999999));
    it.title = "Article " + it.sku;
    it.quantity = s.uniform() < 0.9 ? 1 : 2;
    it.item_price = Money{s.between(199, 15000), "EUR"};
    it.category = kCategories[s.between(0, 7)];
    placed.items.push_back(it);
  }
  placed.latest_ship_date = Timestamp{placed_at + 2 * kDay, 60};
  placed.latest_delivery_date = Timestamp{placed_at + 6 * kDay, 60};
  s.emit(placed_at, placed);
  int64_t paid = 0;
  for (auto& it : placed.items) paid += it.item_price.cents * it.quantity;

  // Buyer question before shipping, sometimes.
  int64_t t = placed_at;
  auto thread = [&](int64_t at, bool about_order) {
    std::string thread_id = std::string(order_id) + "-T" + std::to_string(s.between(1, 1'000'000));
    MessageReceived m;
    m.message_id = "M" + std::to_string(s.between(1, 1LL << 40));
    m.thread_id = thread_id;
    m.buyer_id = buyer;
    m.buyer_alias = alias;
    if (about_order) m.order_id = order_id;
    m.subject = kSubjects[s.between(0, 2)];
    m.body = "Bonjour, pouvez-vous me renseigner ? Merci.";
    m.auto_reply = s.uniform() < 0.04;
    s.emit(at, m);
    if (m.auto_reply) return;
    double u = s.uniform();
    if (u < 0.03) {
      s.emit(at + s.between(kMinute, 6 * kHour), MessageNoResponseNeeded{m.message_id});
      return;
    }
    if (u < 0.08) return;  // never answered
    if (u < 0.12) {        // an auto-responder first: answers nothing
      MessageSent a;
      a.message_id = "S" + std::to_string(s.between(1, 1LL << 40));
      a.thread_id = thread_id;
      a.body = "Merci pour votre message, nous vous répondrons sous 24 heures.";
      a.sender = Sender::kSellerAuto;
      s.emit(at + kMinute, a);
    }
    MessageSent r;
    r.message_id = "S" + std::to_string(s.between(1, 1LL << 40));
    r.thread_id = thread_id;
    r.in_reply_to = m.message_id;
    if (about_order) r.order_id = order_id;
    r.body = "Bonjour, votre colis est en route. Cordialement.";
    r.sender = Sender::kSeller;
    s.emit(at + s.reply_delay(), r);
  };
  if (s.uniform() < 0.15) thread(placed_at + s.between(kMinute, 20 * kHour), true);

  if (s.uniform() < 0.02) {
    OrderCancelled c;
    c.order_id = order_id;
    c.cancelled_by = s.uniform() < 0.33 ? CancelledBy::kSeller : CancelledBy::kBuyer;
    s.emit(placed_at + s.between(kMinute, 20 * kHour) + kDay, c);
    return;
  }
  t = placed_at + (s.uniform() < 0.05 ? s.between(2 * kDay + kHour, 4 * kDay) : s.between(2 * kHour, 40 * kHour));
  OrderShipped shipped;
  shipped.order_id = order_id;
  shipped.carrier = "Colissimo";
  shipped.tracking_id = "6A" + std::to_string(s.between(100000000, 999999999));
  s.emit(t, shipped);
  t += s.between(kDay, 4 * kDay);
  s.emit(t, OrderDelivered{order_id});
  int64_t delivered_at = t;

  if (s.uniform() < 0.20) thread(delivered_at + s.between(kHour, 5 * kDay), true);
  if (s.uniform() < 0.08) {
    FeedbackReceived f;
    f.feedback_id = "FB" + std::to_string(s.between(1, 1LL << 40));
    f.order_id = order_id;
    double u = s.uniform();
    f.rating = u < 0.05 ? 1 : u < 0.08 ? 2 : u < 0.15 ? 3 : u < 0.35 ? 4 : 5;
    s.emit(delivered_at + s.between(kDay, 10 * kDay), f);
  }
  if (s.uniform() < 0.006) {
    ClaimFiled c;
    c.claim_id = "CL" + std::to_string(s.between(1, 1LL << 40));
    c.order_id = order_id;
    c.kind = s.uniform() < 0.8 ? ClaimKind::kAToZ : ClaimKind::kChargeback;
    int64_t at = delivered_at + s.between(kDay, 20 * kDay);
    s.emit(at, c);
    double u = s.uniform();
    ClaimDecided d{c.claim_id, u < 0.5 ? ClaimOutcome::kDenied : u < 0.8 ? ClaimOutcome::kGranted : ClaimOutcome::kWithdrawn};
    s.emit(at + s.between(kDay, 7 * kDay), d);
  }
  if (s.uniform() < 0.10) {
    ReturnRequested r;
    r.return_id = "RET" + std::to_string(s.between(1, 1LL << 40));
    r.order_id = order_id;
    r.buyer_id = buyer;
    const OrderItem& item = placed.items.front();
    r.items.push_back(ReturnItem{item.sku, item.asin, 1});
    r.reason = kReasons[s.between(0, 11)];
    if (s.uniform() < 0.3) r.comment = "Ne fonctionne pas correctement.";
    r.gift = s.uniform() < 0.05;
    int64_t at = delivered_at + (s.uniform() < 0.9 ? s.between(kHour, 25 * kDay) : s.between(31 * kDay, 45 * kDay));
    s.emit(at, r);
    double u = s.uniform();
    int64_t decided = at + (s.uniform() < 0.85 ? s.between(10 * kMinute, 40 * kHour) : s.between(49 * kHour, 5 * kDay));
    if (u < 0.65) {
      ReturnAuthorized a;
      a.return_id = r.return_id;
      a.rma = rma_for(s.between(1, 1LL << 50));
      a.return_address = seller_address(seller);
      a.label = LabelKind::kUnpaid;
      a.authorized_by = AuthorizedBy::kSeller;
      s.emit(decided, a);
      if (s.uniform() < 0.85) {
        int64_t received = decided + s.between(2 * kDay, 8 * kDay);
        s.emit(received, ReturnItemReceived{r.return_id, std::string("unopened")});
        int64_t value = item.item_price.cents;
        RefundIssued f;
        f.refund_id = "RF" + std::to_string(s.between(1, 1LL << 40));
        f.order_id = order_id;
        f.return_id = r.return_id;
        if (s.uniform() < 0.8 || value < 2) {
          f.amount = Money{value, "EUR"};
          f.refund_kind = RefundKind::kFull;
          s.emit(received + s.between(kHour, 2 * kDay), f);
        } else {
          f.amount = Money{value / 2, "EUR"};
          f.refund_kind = RefundKind::kPartial;
          s.emit(received + kHour, f);
          f.refund_id += "b";
          f.amount = Money{value - value / 2, "EUR"};
          s.emit(received + 2 * kHour, f);
        }
      }
    } else if (u < 0.78) {
      ReturnClosed c;
      c.return_id = r.return_id;
      c.close_reason = s.uniform() < 0.5 ? CloseReason::kReturnWindowExpired : CloseReason::kDuplicateRequest;
      c.message = "Votre demande a été fermée.";
      c.closed_by = ClosedBy::kSeller;
      s.emit(decided, c);
    } else if (u < 0.88) {
      s.emit(at + s.between(10 * kMinute, 20 * kHour), ReturnCancelled{r.return_id});
    }  // else: still waiting for the seller
  }
  (void)paid;
}

}  // namespace

int64_t generate_feed(const FeedOptions& o, const std::function<void(const std::string&)>& emit) {
  std::mt19937_64 rng(o.seed);
  // Zipf weights: seller i gets 1/(i+1)^s of the orders.
  std::vector<double> weight(static_cast<size_t>(o.sellers));
  double total = 0;
  for (int64_t i = 0; i < o.sellers; ++i) total += weight[i] = 1.0 / std::pow(static_cast<double>(i + 1), o.zipf_exponent);
  // About 4 events per order on average with the probabilities above.
  const double events_per_order = 4.0;
  int64_t orders_total = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(o.events) / events_per_order));
  std::vector<Pending> pending;
  pending.reserve(static_cast<size_t>(o.events * 11 / 10));
  const int64_t start = o.start_epoch_seconds * 1'000'000;
  const int64_t span = std::max<int64_t>(1, o.days) * kDay;
  int64_t story_no = 0;
  for (int64_t i = 0; i < o.sellers; ++i) {
    char seller[32];
    std::snprintf(seller, sizeof seller, "A%011lld", static_cast<long long>(i + 1));
    int64_t counter = 0;
    Story s(rng, pending, seller, i, counter);
    s.begin(story_no++);
    ReturnSettingsChanged settings;
    settings.auto_authorize = AutoAuthorize::kOff;
    settings.return_window_days = 30;
    settings.return_address = seller_address(seller);
    s.emit(start, settings);
    int64_t orders = std::max<int64_t>(1, std::llround(static_cast<double>(orders_total) * weight[i] / total));
    for (int64_t n = 0; n < orders; ++n) {
      s.begin(story_no++);
      // Orders spread over the first 80% of the span so their lives fit in it.
      int64_t placed_at = start + kMinute + s.between(0, span * 8 / 10);
      order_story(s, seller, i, n + 1, placed_at);
    }
  }
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    if (a.at != b.at) return a.at < b.at;
    if (a.seller != b.seller) return a.seller < b.seller;
    if (a.order != b.order) return a.order < b.order;
    return a.step < b.step;
  });
  for (const auto& p : pending) emit(encode_json(p.event));
  return static_cast<int64_t>(pending.size());
}

}  // namespace carelog
