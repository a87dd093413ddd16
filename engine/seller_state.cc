#include "engine/seller_state.h"

#include <cstring>

namespace carelog {
namespace {

void put_i64(std::string& out, int64_t v) { put_be64(out, static_cast<uint64_t>(v)); }
bool get_i64(std::string_view& in, int64_t& v) {
  if (in.size() < 8) return false;
  v = static_cast<int64_t>(get_be64(in.data()));
  in.remove_prefix(8);
  return true;
}

constexpr char kOrderKind = 'o';
constexpr char kReturnKind = 'r';
constexpr char kClaimKind = 'c';

}  // namespace

std::string encode_order(const OrderState& o) {
  std::string out;
  out.push_back(static_cast<char>(o.status));
  put_i64(out, o.paid_cents);
  put_i64(out, o.refunded_cents);
  put_str(out, o.currency);
  put_be32(out, static_cast<uint32_t>(o.items.size()));
  for (auto& i : o.items) {
    put_str(out, i.sku);
    put_i64(out, i.unit_cents);
  }
  return out;
}

bool decode_order(std::string_view in, OrderState& o) {
  if (in.empty() || static_cast<uint8_t>(in[0]) > 3) return false;
  o.status = static_cast<OrderStatus>(in[0]);
  in.remove_prefix(1);
  if (!get_i64(in, o.paid_cents) || !get_i64(in, o.refunded_cents) || !get_str(in, o.currency) ||
      in.size() < 4) {
    return false;
  }
  uint32_t n = get_be32(in.data());
  in.remove_prefix(4);
  o.items.resize(n);
  for (auto& i : o.items) {
    if (!get_str(in, i.sku) || !get_i64(in, i.unit_cents)) return false;
  }
  return in.empty();
}

std::string encode_return(const ReturnState& r) {
  std::string out;
  out.push_back(static_cast<char>(r.status));
  out.push_back(r.item_received ? 1 : 0);
  put_str(out, r.order_id);
  put_i64(out, r.value_cents);
  put_i64(out, r.refunded_cents);
  return out;
}

bool decode_return(std::string_view in, ReturnState& r) {
  if (in.size() < 2 || static_cast<uint8_t>(in[0]) > 4) return false;
  r.status = static_cast<ReturnStatus>(in[0]);
  r.item_received = in[1] != 0;
  in.remove_prefix(2);
  return get_str(in, r.order_id) && get_i64(in, r.value_cents) && get_i64(in, r.refunded_cents) &&
         in.empty();
}

SellerState::SellerState(const EventLog& log, size_t max_cached_entities)
    : log_(log), max_cached_(max_cached_entities) {}

const std::string& SellerState::make_key(uint32_t p, std::string_view seller, char kind,
                                         std::string_view id) {
  key_.clear();
  put_be32(key_, p);
  key_.append(seller);
  key_.push_back('\0');
  key_.push_back(kind);
  key_.append(id);
  return key_;
}

std::optional<OrderState> SellerState::order(uint32_t p, std::string_view seller,
                                             std::string_view id) {
  const std::string& k = make_key(p, seller, kOrderKind, id);
  if (auto it = orders_.find(k); it != orders_.end()) return it->second;
  auto raw = log_.get_state(k);
  OrderState o;
  if (!raw || !decode_order(*raw, o)) return std::nullopt;
  orders_.emplace(k, o);
  return o;
}

std::optional<ReturnState> SellerState::return_request(uint32_t p, std::string_view seller,
                                                       std::string_view id) {
  const std::string& k = make_key(p, seller, kReturnKind, id);
  if (auto it = returns_.find(k); it != returns_.end()) return it->second;
  auto raw = log_.get_state(k);
  ReturnState r;
  if (!raw || !decode_return(*raw, r)) return std::nullopt;
  returns_.emplace(k, r);
  return r;
}

std::optional<ClaimState> SellerState::claim(uint32_t p, std::string_view seller,
                                             std::string_view id) {
  const std::string& k = make_key(p, seller, kClaimKind, id);
  if (auto it = claims_.find(k); it != claims_.end()) return it->second;
  auto raw = log_.get_state(k);
  if (!raw || raw->size() != 1) return std::nullopt;
  ClaimState c{(*raw)[0] != 0};
  claims_.emplace(k, c);
  return c;
}

bool SellerState::known(uint32_t p, std::string_view seller, Known kind, std::string_view id) {
  const std::string& k = make_key(p, seller, static_cast<char>(kind), id);
  if (auto it = known_.find(k); it != known_.end()) return it->second;
  bool present = log_.get_state(k).has_value();
  if (present) known_.emplace(k, true);  // absence is not cached: it can change
  return present;
}

void SellerState::put_order(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id,
                            const OrderState& o) {
  const std::string& k = make_key(p, seller, kOrderKind, id);
  b.put_state(k, encode_order(o));
  orders_[k] = o;
}

void SellerState::put_return(LogBatch& b, uint32_t p, std::string_view seller,
                             std::string_view id, const ReturnState& r) {
  const std::string& k = make_key(p, seller, kReturnKind, id);
  b.put_state(k, encode_return(r));
  returns_[k] = r;
}

void SellerState::put_claim(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id,
                            const ClaimState& c) {
  const std::string& k = make_key(p, seller, kClaimKind, id);
  b.put_state(k, std::string(1, c.decided ? 1 : 0));
  claims_[k] = c;
}

void SellerState::put_known(LogBatch& b, uint32_t p, std::string_view seller, Known kind,
                            std::string_view id) {
  const std::string& k = make_key(p, seller, static_cast<char>(kind), id);
  b.put_state(k, std::string_view());
  known_[k] = true;
}

void SellerState::drop_cache() {
  orders_.clear();
  returns_.clear();
  claims_.clear();
  known_.clear();
}

bool SellerState::over_limit() const {
  return orders_.size() + returns_.size() + claims_.size() + known_.size() > max_cached_;
}

void SellerState::trim_cache() {
  if (over_limit()) drop_cache();
}

}  // namespace carelog
