"""The ingest path end to end through a real broker: 100,000 valid events and
a few hundred bad ones, produced with kcat and with `carelog produce`."""
import collections
import json

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
