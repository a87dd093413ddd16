"""Audit through the real broker: export is byte for byte what was consumed
and re-imports to the same answers; rejected events are listed and, once
their cause is fixed, re-submitted through the same validation."""
import json
import re
import time

from conftest import (REPO, Engine, carelog, end_offsets, generate, produce_with_carelog, stored_offsets,
                      wait_caught_up)

SEED = REPO / "samples" / "seed-feed.jsonl"


def answers(data, seller):
    """The seller's answers, less the rows' "version": a position in that data
    dir's log, which another log numbers otherwise."""
    out = [carelog("query", what, "--seller", seller, "--data-dir", data, *extra).stdout
           for what, extra in [("response-times", []), ("returns", ["--limit", "1000"]),
                               ("messages", ["--limit", "1000"]), ("account-health", [])]]
    return [re.sub(r',"version":\d+', "", a) for a in out]


def test_export_is_byte_for_byte_and_reimports_to_the_same_answers(brokers, topic, tmp_path):
    feed_path = tmp_path / "feed.jsonl"
    feed = generate(feed_path, sellers=20, events=8000, seed=3, days=60)
    feed_path.write_text("\n".join(feed + SEED.read_text().splitlines()) + "\n")
    produce_with_carelog(brokers, topic, feed_path)
    engine = Engine(tmp_path / "data", topic, brokers).start()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    assert engine.stop() == 0

    for seller in ["A2SELLER0001", json.loads(feed[0])["seller_id"]]:
        out = tmp_path / f"{seller}.jsonl"
        carelog("audit", "export", "--data-dir", engine.data_dir, "--seller", seller, "--out", out)
        expected = [l for l in feed_path.read_text().splitlines() if json.loads(l)["seller_id"] == seller]
        assert out.read_bytes() == ("\n".join(expected) + "\n").encode()

    # An order: exactly its events (order, returns, refund), in log order.
    out = tmp_path / "order.jsonl"
    carelog("audit", "export", "--data-dir", engine.data_dir, "--seller", "A2SELLER0001",
            "--order", "403-9930700-9360319", "--out", out)
    types = [json.loads(l)["type"] for l in out.read_text().splitlines()]
    assert types == ["order.placed", "order.shipped", "order.delivered", "return.requested", "return.requested",
                     "return.authorized", "return.closed", "return.item_received", "refund.issued"]
    # The same order without --seller: found through the sellers' history indexes.
    by_order = tmp_path / "by-order.jsonl"
    carelog("audit", "export", "--data-dir", engine.data_dir, "--order", "403-9930700-9360319", "--out", by_order)
    assert by_order.read_bytes() == out.read_bytes()
    assert carelog("audit", "export", "--data-dir", engine.data_dir, "--order", "NO-SUCH-ORDER",
                   check=False).returncode == 3
    # --until keeps what happened up to then.
    out = tmp_path / "until.jsonl"
    carelog("audit", "export", "--data-dir", engine.data_dir, "--seller", "A2SELLER0001",
            "--until", "2013-01-07T19:40:00+01:00", "--out", out)
    assert all(json.loads(l)["occurred_at"] <= "2013-01-07T19:40:00+01:00" for l in out.read_text().splitlines())

    # Re-import the seed seller's export into a fresh topic and engine: same answers.
    exported = tmp_path / "A2SELLER0001.jsonl"
    topic2 = topic + "-reimport"
    carelog("topics", "create", "--brokers", brokers, "--topic", topic2, "--partitions", 6)
    produce_with_carelog(brokers, topic2, exported)
    engine2 = Engine(tmp_path / "data2", topic2, brokers).start()
    wait_caught_up(engine2.data_dir, end_offsets(brokers, topic2), engine2)
    assert engine2.stop() == 0
    assert answers(engine2.data_dir, "A2SELLER0001") == answers(engine.data_dir, "A2SELLER0001")


def test_rejected_list_and_replay_once_the_cause_is_fixed(brokers, topic, tmp_path):
    seed = SEED.read_text().splitlines()
    placed = next(l for l in seed if '"order.placed"' in l and "403-9930700-9360319" in l)
    others = [l for l in seed if l != placed]
    first = tmp_path / "first.jsonl"
    first.write_text("\n".join(others) + "\n")  # the order is missing: its events are rejected
    produce_with_carelog(brokers, topic, first)
    engine = Engine(tmp_path / "data", topic, brokers).start()
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)

    listed = [json.loads(l) for l in carelog("rejected", "list", "--data-dir", engine.data_dir,
                                             "--code", "unknown_order").stdout.splitlines()]
    assert {r["event_id"] for r in listed} and all(r["field"] == "data.order_id" for r in listed)
    # The order arrives; the rejected events are re-submitted and now pass.
    late = tmp_path / "late.jsonl"
    late.write_text(placed + "\n")
    produce_with_carelog(brokers, topic, late)
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    p = carelog("rejected", "replay", "--data-dir", engine.data_dir, "--code", "unknown_order",
                "--brokers", brokers, "--topic", topic)
    assert f"re-submitted {len(listed)} rejected records" in p.stdout
    wait_caught_up(engine.data_dir, end_offsets(brokers, topic), engine)
    port = engine.http_port()
    from conftest import http_get
    status, body = http_get(port, "/v1/sellers/A2SELLER0001/returns")
    assert status == 200 and body["total"] == 2
    assert engine.stop() == 0


def test_verify_names_an_altered_and_a_deleted_record_in_a_copy_of_a_data_dir(tmp_path):
    """Tampering goes through RocksDB's own `ldb` tool, on a copy of a data dir
    a real engine wrote: one byte of record 10 changed, record 20 deleted."""
    import shutil
    import subprocess
    data = tmp_path / "data"
    carelog("run", "--source", f"file:{SEED}", "--data-dir", data, "--stats-interval-s", 0)
    assert carelog("audit", "verify", "--data-dir", data).returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(data, copy)

    def ldb(*args):
        return subprocess.run(["ldb", f"--db={copy}", "--column_family=log", *args], check=True,
                              capture_output=True, text=True).stdout

    key = lambda seq: "0x" + (0).to_bytes(4, "big").hex() + seq.to_bytes(8, "big").hex()
    value = ldb("get", "--key_hex", "--value_hex", key(10)).strip()
    raw = bytearray.fromhex(value[2:])
    raw[len(raw) // 2] ^= 0x01  # one bit of the stored body (sealed or not)
    ldb("put", "--key_hex", "--value_hex", key(10), "0x" + raw.hex())
    ldb("delete", "--key_hex", key(20))

    p = carelog("audit", "verify", "--data-dir", copy, check=False)
    assert p.returncode == 1, p.stdout
    broken = [l for l in p.stdout.splitlines() if l.startswith("BROKEN")]
    assert len(broken) == 2, p.stdout
    assert broken[0].startswith("BROKEN partition 0 seq 10: hash mismatch"), broken[0]
    assert broken[1].startswith("BROKEN partition 0 seq 21: missing records 20..20"), broken[1]
    # The original is untouched.
    assert carelog("audit", "verify", "--data-dir", data).returncode == 0
