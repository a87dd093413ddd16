"""The ingest path end to end through a real broker: 100,000 valid events and
a few hundred bad ones, produced with kcat and with `carelog produce`."""
import collections
import json
import urllib.request

from bad_events import cases
from conftest import (Engine, consume_all, end_offsets, generate, headers_of, log_records,
                      produce_with_carelog, produce_with_kcat, wait_caught_up)


def test_log_holds_exactly_the_valid_events_and_the_dlq_exactly_the_bad_ones(brokers, topic, tmp_path):
    feed = generate(tmp_path / "feed.jsonl", sellers=300, events=100000, seed=7, days=90)
    feed_sellers = sorted({json.loads(l)["seller_id"] for l in feed})
    bad = list(cases(16, lambda i: feed_sellers[i]))

    # Sellers of even rank go through kcat, odd through carelog produce; one
    # producer per seller keeps each seller's events in order.
    rank = {s: i for i, s in enumerate(feed_sellers)}
    via_kcat = lambda seller: rank.get(seller, hash(seller)) % 2 == 0
    kcat_lines, carelog_lines = [], []
    for line in feed:
        seller = json.loads(line)["seller_id"]
        (kcat_lines if via_kcat(seller) else carelog_lines).append((seller, line))
    bad_kcat = [(k, v) for k, v, _ in bad if k == "SOMEONE_ELSE" or via_kcat(k)]
    bad_carelog = [(k, v) for k, v, _ in bad if not (k == "SOMEONE_ELSE" or via_kcat(k))]
    # kcat carries explicit keys (so it can send a key that contradicts seller_id).
    produce_with_kcat(brokers, topic, kcat_lines + bad_kcat)
    carelog_file = tmp_path / "via-carelog.jsonl"
    carelog_file.write_text("".join(v + "\n" for _, v in carelog_lines + bad_carelog))
    produce_with_carelog(brokers, topic, carelog_file)

    ends = end_offsets(brokers, topic)
    assert sum(ends.values()) == len(feed) + len(bad)

    engine = Engine(tmp_path / "data", topic, brokers).start()
    wait_caught_up(engine.data_dir, ends, engine)
    assert engine.stop() == 0, engine.output()[-2000:]

    # The log: exactly the valid events, each once, in per-seller order, with
    # the original bytes.
    valid = [(json.loads(l)["seller_id"], l) for l in feed] + \
            [(k, v) for k, v, code in bad if code is None]
    expected_by_seller = collections.defaultdict(list)
    for seller, value in valid:
        expected_by_seller[seller].append(value)
    got_by_seller = collections.defaultdict(list)
    # (The engine's derived events, notifications for the returns, are not compared here.)
    records = [r for r in log_records(engine.data_dir) if not r["event"]["event_id"].startswith("derived:")]
    for r in records:
        got_by_seller[r["event"]["seller_id"]].append(json.dumps(r["event"], ensure_ascii=False, separators=(",", ":")))
    assert len(records) == len(valid)
    assert set(got_by_seller) == set(expected_by_seller)
    for seller, values in expected_by_seller.items():
        got = got_by_seller[seller]
        assert [json.loads(v)["event_id"] for v in got] == [json.loads(v)["event_id"] for v in values], seller
    # All of one seller's events are in one partition.
    partitions = collections.defaultdict(set)
    for r in records:
        partitions[r["event"]["seller_id"]].add(r["partition"])
    assert all(len(p) == 1 for p in partitions.values())

    # The dead-letter topic: exactly the bad ones, each with its reason.
    expected_bad = {v: code for _, v, code in bad if code not in (None, "duplicate")}
    dlq = consume_all(brokers, topic + ".dlq", len(expected_bad))
    assert len(dlq) == len(expected_bad)
    got_codes = {}
    for rec in dlq:
        h = headers_of(rec)
        got_codes[rec["payload"]] = h["carelog.reason.code"]
        assert h["carelog.source.topic"] == topic
        assert int(h["carelog.source.partition"]) in range(6)
        assert int(h["carelog.source.offset"]) >= 0
        assert h["carelog.reason.message"]
    assert got_codes == expected_bad
    assert set(expected_bad.values()) >= {"invalid_json", "missing_field", "unknown_order",
                                          "return_terminal", "key_mismatch", "event_id_conflict"}


def test_a_poison_record_is_dead_lettered_bounded_and_a_dead_letter_topic_that_refuses_it_stops_nothing(
        brokers, topic, tmp_path):
    """A ~1 MB record that breaks the rules goes to the dead-letter topic as
    its first 64 KiB with its size and SHA-256; and when the dead-letter topic
    takes nothing (its limit below any record), ingest goes on all the same,
    the rejected records kept in the rejected store."""
    import hashlib
    import subprocess
    from conftest import carelog, http_get
    feed = generate(tmp_path / "feed.jsonl", sellers=20, events=400, seed=3, days=10)
    seller = json.loads(feed[0])["seller_id"]
    poison = json.dumps({"event_id": "poison-1", "type": "order.placed", "seller_id": seller,
                         "occurred_at": "2013-01-07T19:36:31+01:00", "marketplace": "FR", "schema_version": 1,
                         "data": {"pad": "x" * 990_000}}, separators=(",", ":"))
    assert 990_000 < len(poison) < 1_000_000
    # (An idempotent producer: a retried request must not reorder a seller's events.)
    data = "".join(f"{json.loads(l)['seller_id']}\t{l}\n" for l in feed[:200]) + f"{seller}\t{poison}\n" + \
        "".join(f"{json.loads(l)['seller_id']}\t{l}\n" for l in feed[200:])
    p = subprocess.run(["kcat", "-P", "-b", brokers, "-t", topic, "-K", "\t", "-X", "partitioner=murmur2_random",
                        "-X", "message.max.bytes=2000000", "-X", "enable.idempotence=true"], input=data, text=True, capture_output=True)
    assert p.returncode == 0, p.stderr
    ends = end_offsets(brokers, topic)
    engine = Engine(tmp_path / "data", topic, brokers).start()
    wait_caught_up(engine.data_dir, ends, engine)
    dlq = consume_all(brokers, topic + ".dlq", 1)
    assert len(dlq) == 1, dlq
    h = headers_of(dlq[0])
    assert h["carelog.value.truncated"] == "true"
    assert int(h["carelog.value.bytes"]) == len(poison.encode())
    assert h["carelog.value.sha256"] == hashlib.sha256(poison.encode()).hexdigest()
    assert dlq[0]["payload"] == poison[:64 * 1024]
    assert h["carelog.reason.code"]
    assert engine.stop() == 0, engine.output()[-2000:]
    records = [r for r in log_records(engine.data_dir) if not r["event"]["event_id"].startswith("derived:")]
    assert len(records) == len(feed)

    # A dead-letter topic that refuses every record: the engine goes on.
    topic2 = topic + "-refusing"
    carelog("topics", "create", "--brokers", brokers, "--topic", topic2, "--partitions", 6)
    carelog("topics", "create", "--brokers", brokers, "--topic", topic2 + ".dlq", "--partitions", 1,
            "--topic-config", "max.message.bytes=100")
    p = subprocess.run(["kcat", "-P", "-b", brokers, "-t", topic2, "-K", "\t", "-X", "partitioner=murmur2_random",
                        "-X", "message.max.bytes=2000000", "-X", "enable.idempotence=true"], input=data, text=True, capture_output=True)
    assert p.returncode == 0, p.stderr
    ends = end_offsets(brokers, topic2)
    engine = Engine(tmp_path / "data2", topic2, brokers, extra=["--http", "127.0.0.1:0"]).start()
    wait_caught_up(engine.data_dir, ends, engine, timeout=240)
    port = engine.http_port()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    assert "carelog_dead_letter_failures_total 1" in metrics, metrics
    status, body = http_get(port, "/v1/rejected")
    assert status == 200, body
    assert [r["event_id"] for r in body["rejected"]] == ["poison-1"]
    assert engine.stop() == 0, engine.output()[-2000:]
    assert "not dead-lettered" in engine.output()
