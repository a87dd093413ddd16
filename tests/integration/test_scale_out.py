"""Scale-out on Kafka's consumer group, with the real broker: a 12-partition
topic, three engines (separate processes and data dirs) in one group; every
query for a sample of sellers, asked of every engine, equals a single
engine's answer. One engine is SIGKILLed while events still arrive: its
partitions move, are restored from the topic, and the answers are equal
again, with every partition's log holding each event once. A fourth engine
joins: rebalance, same answers."""
import json
import re
import threading
import time
import uuid

from conftest import Engine, carelog, end_offsets, generate, http_get, produce_with_carelog, wait_caught_up

PARTITIONS = 12
FAST_FAILOVER = ('[kafka]\nsession.timeout.ms = "6000"\nheartbeat.interval.ms = "1000"\n'
                 'topic.metadata.refresh.interval.ms = "5000"\n')


def answer(port, path, timeout=90):
    """The 200 answer of `path`, retrying while partitions move (503)."""
    deadline = time.time() + timeout
    while True:
        status, body = http_get(port, path)
        if status == 200:
            return body
        assert status == 503, (path, status, body)
        assert time.time() < deadline, f"{path} still {status} after {timeout}s: {body}"
        time.sleep(0.3)


def sample_queries(feed):
    events = [json.loads(l) for l in feed]
    size = {}
    for e in events:
        size[e["seller_id"]] = size.get(e["seller_id"], 0) + 1
    sellers = sorted(size, key=lambda s: (-size[s], s))
    sample = sellers[:4] + sellers[4::6]
    paths = []
    for s in sample:
        for what in ["response-times", "returns?limit=1000", "messages?limit=1000", "account-health"]:
            paths.append(f"/v1/sellers/{s}/{what}")
        order = next((e["data"]["order_id"] for e in events if e["seller_id"] == s and e["type"] == "order.placed"),
                     None)
        if order:
            paths.append(f"/v1/orders/{order}/history?seller_id={s}")
    return paths


def comparable(body):
    """An answer without the records' hashes (each engine seals with keys of its own)."""
    if isinstance(body, dict) and "events" in body:
        return dict(body, events=[{k: v for k, v in e.items() if k != "hash"} for e in body["events"]])
    return body


def answers(port, paths):
    return {p: comparable(answer(port, p)) for p in paths}


def cluster(port):
    status, body = http_get(port, "/v1/cluster")
    assert status == 200, body
    return body


def wait_stable(port, members, timeout=120):
    """Until `members` engines are seen, and between them serve every partition once."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        c = cluster(port)
        serving = sorted(p for m in c["members"] for p in m["serving"])
        if len(c["members"]) == members and serving == list(range(PARTITIONS)) and \
                not any(m["restoring"] for m in c["members"]):
            return c
        time.sleep(0.5)
    raise AssertionError(f"cluster not stable with {members} members: {cluster(port)}")


def log_counts(data_dir):
    out = carelog("log", "count", "--data-dir", data_dir).stdout
    return {int(m[1]): (int(m[2]), int(m[3]))
            for m in re.finditer(r"partition (\d+): (\d+) events, next source offset (-?\d+)", out)}


def test_three_engines_answer_like_one_through_a_kill_and_a_join(brokers, tmp_path):
    topic = "scale-" + uuid.uuid4().hex[:8]
    carelog("topics", "create", "--brokers", brokers, "--topic", topic, "--partitions", PARTITIONS)
    feed = generate(tmp_path / "feed.jsonl", sellers=90, events=24000, seed=12, days=60)
    cut = int(len(feed) * 0.7)
    (tmp_path / "first.jsonl").write_text("\n".join(feed[:cut]) + "\n")
    (tmp_path / "rest.jsonl").write_text("\n".join(feed[cut:]) + "\n")
    produce_with_carelog(brokers, topic, tmp_path / "first.jsonl")
    paths = sample_queries(feed)
    config = tmp_path / "carelog.toml"
    config.write_text(FAST_FAILOVER)

    group = f"scale-{topic}"
    engines = [Engine(tmp_path / f"node{i}", topic, brokers, group=group, extra=["--config", config]).start()
               for i in range(3)]
    ports = [e.http_port() for e in engines]
    c = wait_stable(ports[0], 3)
    assert {m["http"].split(":")[-1] for m in c["members"]} == {str(p) for p in ports}

    # A single engine's answers on the first 70 %, asked of every engine.
    single = Engine(tmp_path / "single", topic, brokers, group=f"single-{topic}",
                    extra=["--members-topic", "off"]).start()
    wait_caught_up(single.data_dir, end_offsets(brokers, topic, PARTITIONS), single)
    expected = answers(single.http_port(), paths)
    for port in ports:
        assert answers(port, paths) == expected, f"engine on {port} differs"
    # Forwarded answers say who served them.
    status, _ = http_get(ports[0], paths[0])
    assert status == 200

    # SIGKILL one engine while the rest of the feed arrives.
    producer = threading.Thread(target=produce_with_carelog, args=(brokers, topic, tmp_path / "rest.jsonl"))
    producer.start()
    time.sleep(0.3)
    engines[1].kill()
    producer.join()
    wait_caught_up(single.data_dir, end_offsets(brokers, topic, PARTITIONS), single)
    expected = answers(single.http_port(), paths)
    c = wait_stable(ports[0], 2)
    # The partitions the survivors took over were restored from the topic, and said so.
    restored = engines[0].output() + engines[2].output()
    assert re.search(r"restore: partition \d+ serves", restored), restored[-3000:]
    status, metrics = http_get(ports[0], "/metrics")
    assert status == 200 and "carelog_restore_remaining{partition=" in metrics
    for i in (0, 2):
        assert answers(ports[i], paths) == expected, f"engine {i} differs after the kill"

    # Every partition's serving engine holds each of its events once, up to its end.
    ends = end_offsets(brokers, topic, PARTITIONS)
    reference = log_counts(single.data_dir)
    port_to_dir = {ports[i]: engines[i].data_dir for i in (0, 2)}
    for m in c["members"]:
        counts = log_counts(port_to_dir[int(m["http"].split(":")[-1])])
        for p in m["serving"]:
            assert counts[p] == reference[p], (p, counts.get(p), reference[p])
            assert counts[p][1] == ends[p]

    # A fourth engine joins: rebalance, same answers everywhere.
    engines.append(Engine(tmp_path / "node3", topic, brokers, group=group, extra=["--config", config]).start())
    ports.append(engines[3].http_port())
    wait_stable(ports[0], 3)
    for i in (0, 2, 3):
        assert answers(ports[i], paths) == expected, f"engine {i} differs after the join"

    # Cross-seller answers merge every member's partitions.
    merged = answer(ports[3], "/v1/audit/partitions")
    assert sorted(p["partition"] for p in merged["partitions"]) == list(range(PARTITIONS))
    for i in (0, 2, 3):
        assert engines[i].stop() == 0
    assert single.stop() == 0
