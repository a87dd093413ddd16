"""Returns automation through the real broker: automatic authorizations in
the returns queue and on the decisions topic, and exactly-once (by event id)
decisions across SIGKILL."""
import json
import random
import time

from conftest import (Engine, consume_all, end_offsets, http_get, produce_with_carelog, static_member,
                      wait_caught_up)

ADDRESS = {"name": "Ma boutique", "line1": "ma rue", "city": "ma ville", "postal_code": "08140", "country": "FR"}


def env(eid, seller, type_, at, data):
    return json.dumps({"event_id": eid, "type": type_, "occurred_at": at, "seller_id": seller,
                       "marketplace": "FR", "schema_version": 1, "data": data}, separators=(",", ":"))


def seller_feed(seller, mode, n_orders, in_policy_every=2):
    """Settings, then per order: placed, shipped, delivered 7 Jan 2013, and a
    return request either 2 days after delivery (in policy) or 40 days after."""
    lines = [env(f"{seller}-set", seller, "seller.return_settings_changed", "2013-01-01T00:00:00+01:00",
                 {"auto_authorize": mode, "return_window_days": 30, "return_address": ADDRESS,
                  "email_action_links": True})]
    item = {"sku": "JEM-021835", "asin": "B008HK0021", "title": "Peluche Hello Kitty", "quantity": 1,
            "item_price": {"amount": "9.90", "currency": "EUR"}, "category": "toys"}
    expect = {}
    for i in range(n_orders):
        oid = f"403-{i:07d}-0000001"
        lines.append(env(f"{seller}-o{i}", seller, "order.placed", "2013-01-03T10:00:00+01:00",
                         {"order_id": oid, "buyer_id": "B1", "items": [item],
                          "latest_ship_date": "2013-01-05T23:59:59+01:00",
                          "latest_delivery_date": "2013-01-09T23:59:59+01:00"}))
        lines.append(env(f"{seller}-s{i}", seller, "order.shipped", "2013-01-05T10:00:00+01:00", {"order_id": oid}))
        lines.append(env(f"{seller}-d{i}", seller, "order.delivered", "2013-01-07T10:00:00+01:00", {"order_id": oid}))
        inside = i % in_policy_every == 0
        at = "2013-01-09T10:00:00+01:00" if inside else "2013-02-16T10:00:00+01:00"
        rid = f"R{i:05d}"
        lines.append(env(f"{seller}-r{i}", seller, "return.requested", at,
                         {"return_id": rid, "order_id": oid, "buyer_id": "B1",
                          "items": [{"sku": "JEM-021835", "asin": "B008HK0021", "quantity": 1}],
                          "reason": "defective", "gift": False}))
        expect[rid] = inside
    return lines, expect


def test_policy_and_all_modes_authorize_and_publish(brokers, topic, tmp_path):
    policy_lines, expect = seller_feed("SELLER_POLICY", "policy", 4)
    all_lines, _ = seller_feed("SELLER_ALL", "all", 4)
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(policy_lines + all_lines) + "\n")
    produce_with_carelog(brokers, topic, feed)
    decisions = topic + ".decisions"
    engine = Engine(tmp_path / "data", topic, brokers, extra=["--decisions-topic", decisions]).start()
    port = engine.http_port()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)

    status, body = http_get(port, "/v1/sellers/SELLER_POLICY/returns")
    assert status == 200
    rows = {r["return_id"]: r for r in body["returns"]}
    for rid, inside in expect.items():
        if inside:
            assert rows[rid]["status"] == "authorized" and rows[rid]["authorized_by"] == "auto", rows[rid]
            assert len(rows[rid]["rma"]) == 10 and rows[rid]["return_address"]["name"] == "Ma boutique"
        else:
            assert rows[rid]["status"] == "authorization_required" and rows[rid]["in_policy"] is False
    status, body = http_get(port, "/v1/sellers/SELLER_ALL/returns")
    assert all(r["status"] == "authorized" and r["authorized_by"] == "auto" for r in body["returns"])

    # The settings as queried, and the support desk's deadlines: the requests
    # left for the seller (out of policy, made at the seller's newest instant)
    # are due 48 h later.
    status, body = http_get(port, "/v1/sellers/SELLER_POLICY/return-settings")
    assert status == 200 and body["marketplaces"]["FR"]["auto_authorize"] == "policy"
    waiting = sorted(rid for rid, inside in expect.items() if not inside)
    status, body = http_get(port, "/v1/sellers/SELLER_POLICY/deadlines?within=48h")
    assert status == 200, body
    assert sorted(i["id"] for i in body["items"] if i["kind"] == "return") == waiting
    status, body = http_get(port, "/v1/sellers/SELLER_POLICY/deadlines?within=1h")
    assert [i for i in body["items"] if i["kind"] == "return"] == []
    status, body = http_get(port, "/v1/sellers/SELLER_POLICY/deadlines?within=soon")
    assert status == 400 and "within" in body["error"]["message"]

    # The decisions topic: each automatic authorization, keyed by seller.
    authorized_in_queue = sum(1 for v in expect.values() if v) + 4
    records = consume_all(brokers, decisions, authorized_in_queue)
    auths = [json.loads(r["payload"]) for r in records if '"return.authorized"' in r["payload"]]
    assert len(auths) == authorized_in_queue
    assert all(a["data"]["authorized_by"] == "auto" and a["event_id"].startswith("derived:") for a in auths)
    assert all(r["key"] == json.loads(r["payload"])["seller_id"] for r in records)
    assert engine.stop() == 0


def test_decisions_exactly_once_by_event_id_across_sigkill(brokers, topic, tmp_path):
    lines = []
    for s in range(6):
        l, _ = seller_feed(f"SELLER_{s}", "all", 150, in_policy_every=1)
        lines += l
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n")
    produce_with_carelog(brokers, topic, feed)
    ends = end_offsets(brokers, topic)
    decisions = topic + ".decisions"
    data = tmp_path / "data"
    rng = random.Random(9)
    args = dict(data_dir=data, topic=topic, brokers=brokers,
                extra=["--decisions-topic", decisions, "--batch-size", "50",
                       *static_member(tmp_path, "decisions-test")])  # restarts resume at once
    for _ in range(5):
        e = Engine(**args).start()
        time.sleep(rng.uniform(0.4, 1.2))
        e.kill()
    e = Engine(**args).start()
    wait_caught_up(e.data_dir, ends, e)
    assert e.stop() == 0

    # In the log: each derived event once.
    from conftest import log_records
    derived = [r["event"]["event_id"] for r in log_records(data) if r["event"]["event_id"].startswith("derived:")]
    assert len(derived) == len(set(derived)) == 6 * 150 * 2  # an authorization and a notification per request
    # On the topic: at least once each; deduped by event id, exactly the log's.
    records = consume_all(brokers, decisions, len(derived))
    ids = [json.loads(r["payload"])["event_id"] for r in records]
    assert set(ids) == set(derived)

    # A rebuild derives the same events, byte for byte, and publishes nothing.
    from conftest import carelog
    p = carelog("replay", "--data-dir", data)
    assert p.stdout.strip().endswith(f"{len(derived)} derived events checked, 0 differ"), p.stdout
    assert len(consume_all(brokers, decisions, len(records), timeout=0)) == len(records)
