#include "engine/seller_state.h"

#include <cstring>
#include <utility>

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

// Debian's Abseil has a string_view of its own.
absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

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

SellerState::SellerState(const EventLog& log, size_t max_cached_entities, bool deferred)
    : log_(log), max_cached_(max_cached_entities), deferred_(deferred) {}

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

SellerState::Entities& SellerState::entities(uint32_t p, std::string_view seller) {
  // The rules ask several times per event about the same seller.
  if (last_ && last_partition_ == p && last_seller_ == seller) {
    last_->last_used = ++clock_;
    return *last_;
  }
  key_.clear();
  put_be32(key_, p);
  key_.append(seller);
  auto [it, inserted] = sellers_.try_emplace(key_);
  if (inserted) {
    it->second = std::make_unique<Entities>();
    Entities& e = *it->second;
    key_.push_back('\0');
    const size_t prefix = key_.size();
    log_.scan_state(key_, [&](std::string_view key, std::string_view value) {
      if (key.size() <= prefix) return;
      const char kind = key[prefix];
      const std::string id(key.substr(prefix + 1));
      if (kind == kOrderKind) {
        OrderState o;
        if (decode_order(value, o)) e.orders.emplace(id, Cached<OrderState>{std::move(o), false});
      } else if (kind == kReturnKind) {
        ReturnState r;
        if (decode_return(value, r)) e.returns.emplace(id, Cached<ReturnState>{std::move(r), false});
      } else if (kind == kClaimKind) {
        if (value.size() == 1) e.claims.emplace(id, Cached<ClaimState>{ClaimState{value[0] != 0}, false});
      } else {
        e.known.emplace(std::string(key.substr(prefix)), Cached<bool>{true, false});
      }
    });
    cached_ += e.size();
  }
  it->second->last_used = ++clock_;
  last_ = it->second.get();
  last_partition_ = p;
  last_seller_.assign(seller);
  return *it->second;
}

const OrderState* SellerState::order(uint32_t p, std::string_view seller,
                                             std::string_view id) {
  const Entities& e = entities(p, seller);
  if (auto it = e.orders.find(av(id)); it != e.orders.end()) return &it->second.value;
  return nullptr;
}

const ReturnState* SellerState::return_request(uint32_t p, std::string_view seller,
                                                       std::string_view id) {
  const Entities& e = entities(p, seller);
  if (auto it = e.returns.find(av(id)); it != e.returns.end()) return &it->second.value;
  return nullptr;
}

const ClaimState* SellerState::claim(uint32_t p, std::string_view seller,
                                             std::string_view id) {
  const Entities& e = entities(p, seller);
  if (auto it = e.claims.find(av(id)); it != e.claims.end()) return &it->second.value;
  return nullptr;
}

bool SellerState::known(uint32_t p, std::string_view seller, Known kind, std::string_view id) {
  const Entities& e = entities(p, seller);
  known_key_.assign(1, static_cast<char>(kind));
  known_key_.append(id);
  return e.known.contains(known_key_);
}

template <>
std::string SellerState::encode(const OrderState& o) { return encode_order(o); }
template <>
std::string SellerState::encode(const ReturnState& r) { return encode_return(r); }
template <>
std::string SellerState::encode(const ClaimState& c) { return std::string(1, c.decided ? 1 : 0); }
template <>
std::string SellerState::encode(const bool&) { return std::string(); }

template <class T>
void SellerState::put(Entities& e, Map<T>& map, std::string_view id, T value, LogBatch& b, char kind,
                      uint32_t p, std::string_view seller) {
  auto it = map.find(av(id));
  if (it == map.end()) {
    it = map.try_emplace(std::string(id)).first;
    ++cached_;
  }
  Cached<T>& entry = it->second;
  entry.value = std::move(value);
  if (!deferred_) {
    b.put_state(make_key(p, seller, kind, id), encode(entry.value));
  } else if (!entry.dirty) {
    entry.dirty = true;
    ++e.dirty;
    ++dirty_;
  }
}

void SellerState::put_order(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id,
                            OrderState o) {
  Entities& e = entities(p, seller);
  put(e, e.orders, id, std::move(o), b, kOrderKind, p, seller);
}

void SellerState::put_return(LogBatch& b, uint32_t p, std::string_view seller,
                             std::string_view id, ReturnState r) {
  Entities& e = entities(p, seller);
  put(e, e.returns, id, std::move(r), b, kReturnKind, p, seller);
}

void SellerState::put_claim(LogBatch& b, uint32_t p, std::string_view seller, std::string_view id,
                            ClaimState c) {
  Entities& e = entities(p, seller);
  put(e, e.claims, id, std::move(c), b, kClaimKind, p, seller);
}

void SellerState::put_known(LogBatch& b, uint32_t p, std::string_view seller, Known kind,
                            std::string_view id) {
  Entities& e = entities(p, seller);
  std::string k(1, static_cast<char>(kind));
  k.append(id);
  // (The row key is kind + id as well: the known map's key is its tail.)
  auto [it, inserted] = e.known.try_emplace(k);
  if (inserted) ++cached_;
  it->second.value = true;
  if (!deferred_) {
    b.put_state(make_key(p, seller, static_cast<char>(kind), id), std::string_view());
  } else if (!it->second.dirty) {
    it->second.dirty = true;
    ++e.dirty;
    ++dirty_;
  }
}

void SellerState::write_dirty(LogBatch& b) {
  if (dirty_ == 0) return;
  for (auto& entry : sellers_) {
    const std::string& seller_key = entry.first;  // (clang 14 cannot capture a structured binding)
    Entities& e = *entry.second;
    if (e.dirty == 0) continue;
    // seller_key is be32 partition + seller: the row key is it, 0x00, kind, id.
    auto write = [&](auto& map, char kind) {
      for (auto& [id, cached] : map) {
        if (!cached.dirty) continue;
        key_.assign(seller_key);
        key_.push_back('\0');
        if (kind != 0) key_.push_back(kind);
        key_.append(id);
        b.put_state(key_, encode(cached.value));
        cached.dirty = false;
      }
    };
    write(e.orders, kOrderKind);
    write(e.returns, kReturnKind);
    write(e.claims, kClaimKind);
    write(e.known, 0);  // its ids start with their kind
    e.dirty = 0;
  }
  dirty_ = 0;
}

void SellerState::drop_cache() {
  last_ = nullptr;
  sellers_.clear();
  dirty_ = 0;
  cached_ = 0;
}

bool SellerState::over_limit() const { return cached_ > max_cached_; }

void SellerState::trim_cache() {
  if (!over_limit()) return;
  last_ = nullptr;
  // First the sellers not used since the trim before; then, if that is not
  // enough, every clean one (they load again on next use).
  const uint64_t cold_before = std::exchange(trimmed_at_, clock_);
  for (const bool all_clean : {false, true}) {
    absl::erase_if(sellers_, [&](const auto& entry) {
      const Entities& e = *entry.second;
      if (e.dirty > 0 || (!all_clean && e.last_used >= cold_before)) return false;
      cached_ -= e.size();
      return true;
    });
    if (!over_limit()) return;
  }
}

}  // namespace carelog
