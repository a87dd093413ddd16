#include "connectors/cluster_http.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <tuple>

#include "events/json_encoder.h"

namespace carelog {
namespace {

httplib::Client client_for(const ClusterView& cluster, const std::string& address) {
  httplib::Client cli((cluster.https ? "https://" : "http://") + address);
  cli.set_connection_timeout(2, 0);
  cli.set_read_timeout(30, 0);
  if (cluster.https && !cluster.ca_file.empty()) cli.set_ca_cert_path(cluster.ca_file.c_str());
  return cli;
}

std::string target_of(const httplib::Request& req) {
  if (req.params.empty()) return req.path;
  return req.path + "?" + httplib::detail::params_to_query_str(req.params);
}

httplib::Headers forward_headers(const ClusterView& cluster, const httplib::Request& req) {
  httplib::Headers h;
  for (const char* name : {"Authorization", "Idempotency-Key", "If-Match", "X-Request-Id"}) {
    if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
  }
  h.emplace(kForwardedHeader, cluster.membership.load()->options().member_id);
  return h;
}

}  // namespace

void forward(const ClusterView& cluster, const MemberInfo& to, const httplib::Request& req,
             httplib::Response& res) {
  auto cli = client_for(cluster, to.http);
  const std::string content_type =
      req.has_header("Content-Type") ? req.get_header_value("Content-Type") : "application/json";
  auto r = req.method == "POST"  ? cli.Post(target_of(req), forward_headers(cluster, req), req.body, content_type)
           : req.method == "PUT" ? cli.Put(target_of(req), forward_headers(cluster, req), req.body, content_type)
                                 : cli.Get(target_of(req).c_str(), forward_headers(cluster, req));
  if (!r) {
    res.status = 503;
    res.set_header("Retry-After", "1");
    res.set_content(R"({"error":{"code":"unavailable","message":"the member serving this seller did not answer"}})",
                    "application/json");
    return;
  }
  res.status = r->status;
  if (r->has_header("Retry-After")) res.set_header("Retry-After", r->get_header_value("Retry-After"));
  res.set_header("X-Carelog-Served-By", to.id);
  res.set_content(r->body, r->get_header_value("Content-Type").empty() ? "application/json"
                                                                          : r->get_header_value("Content-Type"));
}

std::vector<std::string> gather_from_members(const ClusterView& cluster, const httplib::Request& req) {
  std::vector<std::string> out;
  const std::string self = cluster.membership.load()->options().member_id;
  for (const auto& m : cluster.membership.load()->members()) {
    if (m.id == self) continue;
    auto cli = client_for(cluster, m.http);
    auto r = cli.Get(target_of(req).c_str(), forward_headers(cluster, req));
    if (r && r->status == 200) out.push_back(r->body);
  }
  return out;
}

std::string merge_arrays(const std::string& field, const std::vector<std::string>& answers, size_t limit) {
  struct Element {
    int64_t partition, position;
    std::string json;
  };
  std::vector<Element> all;
  simdjson::ondemand::parser parser;
  for (const auto& a : answers) {
    simdjson::padded_string padded(a);
    simdjson::ondemand::document doc;
    simdjson::ondemand::array arr;
    if (parser.iterate(padded).get(doc) || doc[field].get_array().get(arr)) continue;
    for (auto v : arr) {
      simdjson::ondemand::object o;
      if (v.get_object().get(o)) continue;
      std::string_view raw;
      if (o.raw_json().get(raw)) continue;
      std::string json(raw);
      simdjson::ondemand::parser inner;
      simdjson::padded_string p2(json);
      simdjson::ondemand::document d2;
      int64_t partition = 0, position = 0;
      if (!inner.iterate(p2).get(d2)) {
        if (d2["partition"].get_int64().get(partition)) partition = 0;
        if (d2["offset"].get_int64().get(position)) {
          d2.rewind();
          if (d2["seq"].get_int64().get(position)) position = 0;
        }
      }
      all.push_back({partition, position, std::move(json)});
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Element& a, const Element& b) {
    return std::tie(a.partition, a.position) < std::tie(b.partition, b.position);
  });
  if (limit && all.size() > limit) all.resize(limit);
  std::string out = "{\"" + field + "\":[";
  for (size_t i = 0; i < all.size(); ++i) {
    if (i) out += ',';
    out += all[i].json;
  }
  return out + "]}";
}

std::string cluster_json(const ClusterView& cluster) {
  const std::string self = cluster.membership.load()->options().member_id;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out = "{\"partitions\":" + std::to_string(cluster.ownership->partition_count()) + ",\"self\":";
  append_json_string(out, self);
  out += ",\"members\":[";
  bool first = true;
  for (const auto& m : cluster.membership.load()->members()) {
    if (!first) out += ',';
    first = false;
    out += "{\"member\":";
    append_json_string(out, m.id);
    out += ",\"http\":";
    append_json_string(out, m.http);
    auto ints = [&](const std::vector<int32_t>& v) {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
      return s + "]";
    };
    out += ",\"serving\":" + ints(m.serving) + ",\"restoring\":" + ints(m.restoring);
    out += ",\"heard_ms_ago\":" + std::to_string(std::max<int64_t>(0, now_ms - m.at_ms)) + "}";
  }
  out += "],\"restore\":[";
  first = true;
  for (const auto& [p, pos] : cluster.ownership->restore_progress()) {
    if (!first) out += ',';
    first = false;
    out += "{\"partition\":" + std::to_string(p) + ",\"resumed_at\":" + std::to_string(pos.start) +
           ",\"next_offset\":" + std::to_string(pos.next) + ",\"restore_to\":" + std::to_string(pos.target) +
           ",\"lag\":" + std::to_string(std::max<int64_t>(0, pos.target - pos.next)) + "}";
  }
  return out + "]}";
}

}  // namespace carelog
