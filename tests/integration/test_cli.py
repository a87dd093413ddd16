"""The engine's command line with the file source (no broker needed unless a
test asks for the `brokers` fixture): running, resuming, rejected records,
configuration errors and precedence, data dir ownership, SIGTERM."""
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CARELOG, REPO, carelog, generate, log_records, stored_offsets

SEED = REPO / "samples" / "seed-feed.jsonl"
SEED_LINES = SEED.read_text().splitlines()
SEED_IDS = [json.loads(l)["event_id"] for l in SEED_LINES]
N_SEED = len(SEED_LINES)  # 85 events

# Every setting: its flag and its variable (spec: "Every flag has a CARELOG_*
# environment variable and a key in the TOML config").
SETTINGS = ["source", "brokers", "topic", "group", "dlq_topic", "data_dir", "http", "batch_size",
            "batch_wait_ms", "stats_interval_s", "max_record_bytes", "future_skew_s", "follow", "disable_wal",
            "log_level", "marketplaces", "admin_tokens", "decisions_topic", "non_returnable_categories"]


def run_file(path, data_dir, *extra, check=True, **kw):
    return carelog("run", "--source", f"file:{path}", "--data-dir", data_dir,
                   "--stats-interval-s", 0, *extra, check=check, **kw)


def log_total(data_dir):
    """The total of `carelog log count` (source and derived events), or None."""
    p = carelog("log", "count", "--data-dir", data_dir, check=False)
    m = re.search(r"^total: (\d+) events$", p.stdout, re.M)
    return int(m[1]) if p.returncode == 0 and m else None


def total_events(data_dir):
    """Events from the source in the log (not the engine's derived ones), or None."""
    if log_total(data_dir) is None:
        return None
    return len(event_ids(data_dir))


def event_ids(data_dir):
    return [r["event"]["event_id"] for r in log_records(data_dir)
            if not r["event"]["event_id"].startswith("derived:")]


def ids_of(lines):
    return [json.loads(l)["event_id"] for l in lines if l.strip()]


def assert_verified(data_dir, records):
    """The chain verifies over every record; `records` of them came from the source."""
    p = carelog("log", "verify", "--data-dir", data_dir, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    last = p.stdout.strip().splitlines()[-1]
    assert last.startswith(f"OK: {log_total(data_dir)} records"), p.stdout
    assert total_events(data_dir) == records


def rejected(data_dir):
    out = carelog("log", "rejected", "--data-dir", data_dir, "--limit", 1000).stdout
    return [json.loads(l) for l in out.splitlines()]


def summary(p):
    """(appended, duplicates, rejected) from the engine's last line."""
    out = p.stdout + p.stderr if hasattr(p, "stdout") else p
    m = re.search(r"carelog stopped: (\d+) events appended, (\d+) duplicates, (\d+) rejected", out)
    assert m, out
    return tuple(int(x) for x in m.groups())


def wait_until(predicate, proc=None, timeout=20, what="condition"):
    """Polls `predicate` until true; fails if `proc` exits first or on timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"engine exited {proc.returncode} before {what}:\n{out[-3000:]}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def start_engine(args, env=None):
    return subprocess.Popen([CARELOG, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)


def stop_engine(proc, sig=signal.SIGTERM, timeout=15):
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"engine did not stop within {timeout}s of {sig!r}")
    return code, proc.stdout.read()


def write_lines(path, lines, mode="w"):
    with open(path, mode) as f:
        f.write("".join(l + "\n" for l in lines))


# ---------------------------------------------------------------- running from a file

def test_run_seed_feed_then_count_and_verify(tmp_path):
    data = tmp_path / "data"
    p = run_file(SEED, data)
    assert p.returncode == 0
    count = carelog("log", "count", "--data-dir", data).stdout
    total = log_total(data)  # the seed's events and the notifications they derive
    assert total > N_SEED
    assert re.search(rf"partition 0: {total} events, next source offset {SEED.stat().st_size}$", count, re.M), count
    assert_verified(data, N_SEED)
    assert event_ids(data) == SEED_IDS
    assert rejected(data) == []


def test_second_run_resumes_and_appends_only_new_lines(tmp_path):
    feed = generate(tmp_path / "all.jsonl", sellers=5, events=400, days=10, seed=7)
    assert len(feed) > 300
    half = len(feed) // 2
    f = tmp_path / "feed.jsonl"
    data = tmp_path / "data"

    write_lines(f, feed[:half])
    run_file(f, data)
    assert total_events(data) == half

    write_lines(f, feed[half:], mode="a")
    # Exactly the new lines are read: none is re-read (as a duplicate).
    assert summary(run_file(f, data)) == (len(feed) - half, 0, 0)
    assert total_events(data) == len(feed)
    ids = event_ids(data)
    assert len(ids) == len(set(ids)), "duplicates in the log"
    assert ids == ids_of(feed)
    assert stored_offsets(data)[0] == (log_total(data), f.stat().st_size)
    assert rejected(data) == [], "events of the second half refer to orders of the first"

    # Nothing new: a third run appends nothing.
    assert summary(run_file(f, data)) == (0, 0, 0)
    assert total_events(data) == len(feed)
    assert_verified(data, len(feed))


def test_blank_lines_crlf_and_unterminated_last_line(tmp_path):
    f = tmp_path / "gappy.jsonl"
    text = ("\n\n" + "\n\n  \n".join(SEED_LINES[:10]) + "\r\n\t\n" + "\n".join(SEED_LINES[10:]))
    assert not text.endswith("\n")
    f.write_text(text)
    data = tmp_path / "data"
    run_file(f, data)
    assert event_ids(data) == SEED_IDS
    assert rejected(data) == []
    assert stored_offsets(data)[0] == (log_total(data), f.stat().st_size)
    assert_verified(data, N_SEED)


def test_rejected_records_go_to_the_rejected_store(tmp_path):
    bad_order = next(json.loads(l) for l in SEED_LINES if json.loads(l)["type"] == "order.shipped")
    bad_order["event_id"] = "bad-unknown-order"
    bad_order["data"]["order_id"] = "999-0000000-0000000"
    lines = SEED_LINES[:5] + ["{not json"] + SEED_LINES[5:12] + [json.dumps(bad_order)] + SEED_LINES[12:]
    f = tmp_path / "mixed.jsonl"
    write_lines(f, lines)
    offsets = {}
    pos = 0
    for l in lines:
        offsets[l] = pos
        pos += len(l.encode()) + 1

    data = tmp_path / "data"
    assert summary(run_file(f, data)) == (N_SEED, 0, 2)
    # The valid records around the bad ones are all appended, in order.
    assert event_ids(data) == SEED_IDS
    assert_verified(data, N_SEED)

    rej = rejected(data)
    assert len(rej) == 2, rej
    by_code = {r["code"]: r for r in rej}
    assert set(by_code) == {"invalid_json", "unknown_order"}
    assert by_code["invalid_json"]["value"] == "{not json"
    assert by_code["invalid_json"]["offset"] == offsets["{not json"]
    assert by_code["invalid_json"]["topic"] == f"file:{f}"
    uo = by_code["unknown_order"]
    assert uo["field"] == "data.order_id"
    assert uo["event_id"] == "bad-unknown-order"
    assert uo["seller_id"] == "A2SELLER0001"
    assert "999-0000000-0000000" in uo["message"]
    assert uo["offset"] == offsets[json.dumps(bad_order)]

    # A rerun neither re-appends nor re-rejects anything.
    assert summary(run_file(f, data)) == (0, 0, 0)
    assert total_events(data) == N_SEED
    assert len(rejected(data)) == 2


def test_an_event_from_the_future_or_with_a_member_twice_is_rejected_and_moves_nothing(tmp_path):
    """One event stamped 2999 would move its seller's default as_of there;
    a member given twice means different things to different readers."""
    future = json.loads(SEED_LINES[-1])
    future["event_id"] = "from-the-future"
    future["occurred_at"] = "2999-01-01T00:00:00Z"
    twice = SEED_LINES[-1][:-1] + ',"seller_id":"SOMEONE_ELSE"}'
    f = tmp_path / "feed.jsonl"
    write_lines(f, SEED_LINES + [json.dumps(future), twice])
    data = tmp_path / "data"
    assert summary(run_file(f, data)) == (N_SEED, 0, 2)
    by_code = {r["code"]: r for r in rejected(data)}
    assert set(by_code) == {"future_time", "duplicate_key"}, by_code
    assert by_code["future_time"]["field"] == "occurred_at"
    assert by_code["duplicate_key"]["field"] == "seller_id"
    p = carelog("query", "response-times", "--seller", "A2SELLER0001", "--data-dir", data)
    assert json.loads(p.stdout)["as_of"] == "2013-01-10T12:00:00Z"


def test_the_data_dir_is_its_users_alone(tmp_path):
    data = tmp_path / "data"
    run_file(SEED, data)
    assert (data.stat().st_mode & 0o777) == 0o700
    files = [p for p in data.rglob("*")]
    assert files
    for p in files:
        want = 0o700 if p.is_dir() else 0o600
        assert (p.stat().st_mode & 0o777) == want, (p, oct(p.stat().st_mode))


# ---------------------------------------------------------------- configuration

@pytest.mark.parametrize("lines,line,key", [
    (['topic = "events"', "", "bach_size = 10"], 3, "bach_size"),          # unknown key
    (['topic = "events"', 'batch_size = "500"'], 2, "batch_size"),       # wrong type
    (['group = "g"', 'topic = "events"', "", "batch_size = 0"], 4, "batch_size"),  # out of range
    (['topic = "events"', "batch_size = ", "follow = true"], 2, None),   # TOML syntax error
    (['admin_tokens = [""]'], 1, "admin_tokens"),                         # an empty token: auth off
    (['admin_tokens = [" ", "root"]'], 1, "admin_tokens"),
    (["[seller_tokens]", 'A1 = "t"', 'A2 = "t"'], 3, "seller_tokens.A2"),  # one token, two sellers
])
def test_bad_config_file_exits_2_naming_file_line_and_key(tmp_path, lines, line, key):
    cfg = tmp_path / "bad.toml"
    write_lines(cfg, lines)
    data = tmp_path / "data"
    p = carelog("run", "--config", cfg, "--source", f"file:{SEED}", "--data-dir", data, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"{cfg}:{line}:" in p.stderr, p.stderr
    if key:
        assert f"'{key}'" in p.stderr, p.stderr
    assert not data.exists(), "the engine must not start on a bad config"


def test_a_config_path_that_is_a_directory_stops_start_up(tmp_path):
    data = tmp_path / "data"
    p = carelog("run", "--config", tmp_path, "--source", f"file:{SEED}", "--data-dir", data, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "not a file" in p.stderr, p.stderr
    assert not data.exists(), "the engine must not start on a bad config"


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedFile:
    """`carelog run` on a file, following it, serving HTTP on 127.0.0.1:port;
    started and healthy on entry, stopped with SIGTERM on exit."""

    def __init__(self, path, data_dir, port, *extra):
        self.port = port
        self.args = [CARELOG, "run", "--source", f"file:{path}", "--data-dir", data_dir, "--follow=true",
                     "--http", f"127.0.0.1:{port}", "--stats-interval-s", "0", *map(str, extra)]

    def request(self, method, path):
        import urllib.error
        import urllib.request
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=b"" if method in ("POST", "PUT", "PATCH") else None)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            assert self.proc.poll() is None, "the engine exited"
            assert time.time() < deadline, "the engine never served"
            time.sleep(0.1)

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def test_a_port_in_use_stops_the_second_engine_and_a_bad_port_is_refused(tmp_path):
    port = free_port()
    with ServedFile(SEED, tmp_path / "a", port):
        # No SO_REUSEPORT: the second engine cannot share the address (it
        # would take half of the connections, bearer tokens included).
        p = carelog("run", "--source", f"file:{SEED}", "--data-dir", tmp_path / "b", "--follow=true",
                    "--http", f"127.0.0.1:{port}", "--stats-interval-s", 0, check=False, timeout=30)
        assert p.returncode != 0, p.stdout + p.stderr
        assert f"cannot listen on 127.0.0.1:{port}" in p.stdout + p.stderr, p.stdout + p.stderr
    p = carelog("run", "--source", f"file:{SEED}", "--data-dir", tmp_path / "c", "--http", "127.0.0.1:83836",
                check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "0..65535" in p.stderr, p.stderr


def test_a_wrong_method_answers_405_with_allow_and_a_bad_escape_400(tmp_path):
    with ServedFile(SEED, tmp_path / "a", free_port()) as engine:
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            status, headers, body = engine.request(method, "/v1/sellers/A2SELLER0001/returns")
            assert status == 405, (method, status, body)
            assert headers["Allow"] == "GET, HEAD"
            assert json.loads(body)["error"]["code"] == "method_not_allowed"
        status, headers, body = engine.request("GET", "/v1/admin/forget-buyer")
        assert (status, headers.get("Allow")) == (405, "POST"), body
        status, _, body = engine.request("GET", "/v1/sellers/A2SELLER0001/returns?q=%ZZ")
        assert status == 400, body
        assert json.loads(body)["error"]["code"] == "bad_parameter"
        status, _, body = engine.request("GET", "/v1/sellers/A2SELLER0001/returns?q=DYrkY0qDRR%20")
        assert status == 200, body


def test_oversized_and_lengthless_requests_get_a_json_error_at_once(tmp_path):
    import socket

    def raw(port, request):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            started = time.time()
            s.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
                    re.search(rb"Content-Length: (\d+)", data).group(1) if b"Content-Length" in data else 0):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, body = data.split(b"\r\n\r\n", 1)
            return int(head.split()[1]), json.loads(body), time.time() - started

    with ServedFile(SEED, tmp_path / "a", free_port()) as engine:
        status, body, took = raw(engine.port, b"POST /v1/admin/forget-buyer HTTP/1.1\r\nHost: x\r\n"
                                              b"Content-Length: 100000\r\n\r\n" + b"x" * 100000)
        assert (status, body["error"]["code"]) == (413, "too_large") and "65536" in body["error"]["message"]
        status, body, took = raw(engine.port, b"GET /v1/rejected?" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (status, body["error"]["code"]) == (414, "too_large")
        status, body, took = raw(engine.port, b"POST /v1/admin/forget-buyer HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (status, body["error"]["code"]) == (411, "length_required")
        assert took < 1, took


def test_rejected_pages_are_bounded_in_bytes_and_follow_a_cursor(tmp_path):
    """Six rejected records of ~900 KB: a page stops past 4 MiB, and its
    "next" cursor leads to the rest."""
    big = [json.dumps({"event_id": f"big-{i}", "type": "order.placed", "seller_id": "A2SELLER0001",
                       "occurred_at": "2013-01-07T19:36:31+01:00", "marketplace": "FR", "schema_version": 1,
                       "data": {"pad": "x" * 900_000}}) for i in range(6)]
    f = tmp_path / "feed.jsonl"
    write_lines(f, SEED_LINES + big)
    with ServedFile(f, tmp_path / "data", free_port()) as engine:
        deadline = time.time() + 30
        while True:
            status, _, body = engine.request("GET", "/v1/rejected")
            page = json.loads(body)
            if status == 200 and (len(page["rejected"]) == 5 or time.time() > deadline):
                break
            time.sleep(0.2)
        assert [r["event_id"] for r in page["rejected"]] == [f"big-{i}" for i in range(5)]
        assert len(body) < 6 * 900_000
        rest = json.loads(engine.request("GET", "/v1/rejected?cursor=" + page["next"])[2])
        assert [r["event_id"] for r in rest["rejected"]] == ["big-5"]
        assert "next" not in rest
        two = json.loads(engine.request("GET", "/v1/rejected?limit=2")[2])
        assert [r["event_id"] for r in two["rejected"]] == ["big-0", "big-1"] and "next" in two
        status, _, body = engine.request("GET", "/v1/rejected?cursor=nonsense")
        assert status == 400 and json.loads(body)["error"]["code"] == "bad_parameter", body


def test_a_followed_file_truncated_or_replaced_is_read_again_and_nothing_is_lost_or_doubled(tmp_path):
    """logrotate's copytruncate (the same file, shorter), then its create (a
    new file under the name): the new content is ingested from its start,
    with a warning; a restart, and a file truncated while the engine is
    down, add nothing twice."""
    f = tmp_path / "feed.jsonl"
    data = tmp_path / "data"
    log = tmp_path / "engine.log"

    def wait_for(n):
        deadline = time.time() + 30
        while total_events(data) != n:
            assert time.time() < deadline, f"{total_events(data)} events, expected {n}"
            time.sleep(0.2)

    write_lines(f, SEED_LINES[:40])
    engine = subprocess.Popen([CARELOG, "run", "--source", f"file:{f}", "--data-dir", data, "--follow=true",
                               "--http", "off", "--stats-interval-s", "0", "--checkpoint-interval-ms", "100"],
                              stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(40)
        # copytruncate: the content moves to a copy, the file is emptied in place.
        (tmp_path / "feed.jsonl.1").write_bytes(f.read_bytes())
        with open(f, "r+") as t:
            t.truncate(0)
        write_lines(f, SEED_LINES[40:60], mode="a")
        wait_for(60)
        # create: a new file under the name.
        write_lines(tmp_path / "feed.new", SEED_LINES[60:])
        os.rename(tmp_path / "feed.new", f)
        wait_for(N_SEED)
    finally:
        engine.send_signal(signal.SIGTERM)
        assert engine.wait(timeout=30) == 0
    out = log.read_text()
    assert "was truncated" in out and "was replaced by another file" in out, out
    assert event_ids(data) == SEED_IDS
    assert_verified(data, N_SEED)
    # A restart reads from where it stopped in the new file: nothing more.
    assert summary(run_file(f, data)) == (0, 0, 0)
    # Truncated while the engine was down, to lines it has seen: read from
    # the start again, and nothing doubled.
    write_lines(f, SEED_LINES[80:])
    p = run_file(f, data)
    assert summary(p) == (0, N_SEED - 80, 0), p.stdout + p.stderr
    assert "shorter" in p.stdout + p.stderr
    assert event_ids(data) == SEED_IDS


def test_produce_without_a_broker_stops_with_an_error():
    started = time.time()
    p = carelog("produce", "--brokers", "127.0.0.1:1", "--topic", "nowhere", SEED, check=False, timeout=60)
    assert p.returncode != 0
    assert "no Kafka broker answers on 127.0.0.1:1" in p.stderr, p.stderr
    assert time.time() - started < 30


def test_serving_beyond_loopback_without_tokens_is_announced_loudly(tmp_path):
    p = run_file(SEED, tmp_path / "d", "--http", "0.0.0.0:0", "--log-level", "info")
    assert "WITHOUT AUTHENTICATION" in p.stdout + p.stderr, p.stdout + p.stderr
    p = run_file(SEED, tmp_path / "e", "--http", "127.0.0.1:0", "--log-level", "info")
    assert "WITHOUT AUTHENTICATION" not in p.stdout + p.stderr


def test_config_file_from_carelog_config_and_flag_beats_it(tmp_path):
    cfg = tmp_path / "carelog.toml"
    write_lines(cfg, [f'source = "file:{SEED}"', f'data_dir = "{tmp_path / "from-file"}"',
                      "stats_interval_s = 0"])
    env = {**os.environ, "CARELOG_CONFIG": str(cfg)}
    env.pop("CARELOG_DATA_DIR", None)
    carelog("run", env=env)
    assert total_events(tmp_path / "from-file") == N_SEED
    carelog("run", "--data-dir", tmp_path / "from-flag", env=env)
    assert total_events(tmp_path / "from-flag") == N_SEED
    # A bad CARELOG_CONFIG is named like --config.
    write_lines(cfg, ["batch_size = -1"])
    p = carelog("run", env=env, check=False)
    assert p.returncode == 2
    assert f"{cfg}:1:" in p.stderr and "'batch_size'" in p.stderr, p.stderr


def test_bad_environment_and_flag_values_name_their_origin(tmp_path):
    env = {**os.environ, "CARELOG_BATCH_SIZE": "abc"}
    p = carelog("run", "--source", f"file:{SEED}", "--data-dir", tmp_path / "d", env=env, check=False)
    assert p.returncode == 2
    assert "CARELOG_BATCH_SIZE" in p.stderr and "abc" in p.stderr, p.stderr
    p = carelog("run", "--source", f"file:{SEED}", "--data-dir", tmp_path / "d", "--batch-size", "0",
                check=False)
    assert p.returncode == 2
    assert "--batch-size" in p.stderr, p.stderr
    assert not (tmp_path / "d").exists()


def test_unknown_flag_fails(tmp_path):
    data = tmp_path / "data"
    p = carelog("run", "--source", f"file:{SEED}", "--data-dir", data, "--bacth-size", "5", check=False)
    assert p.returncode != 0
    assert "--bacth-size" in p.stderr, p.stderr
    assert not data.exists()


def test_data_dir_environment_is_honoured_and_the_flag_beats_it(tmp_path):
    env_dir, flag_dir = tmp_path / "env-dir", tmp_path / "flag-dir"
    env = {**os.environ, "CARELOG_DATA_DIR": str(env_dir)}
    env.pop("CARELOG_CONFIG", None)
    carelog("run", "--source", f"file:{SEED}", "--stats-interval-s", 0, env=env)
    assert total_events(env_dir) == N_SEED

    env["CARELOG_DATA_DIR"] = str(tmp_path / "env-dir-2")
    carelog("run", "--source", f"file:{SEED}", "--stats-interval-s", 0, "--data-dir", flag_dir, env=env)
    assert total_events(flag_dir) == N_SEED
    assert not (tmp_path / "env-dir-2").exists()


def test_run_help_lists_every_flag_and_variable():
    out = carelog("run", "--help").stdout
    for key in SETTINGS:
        flag = "--" + key.replace("_", "-")
        var = "CARELOG_" + key.upper()
        lines = out.splitlines()
        at = next((i for i, l in enumerate(lines) if re.match(rf"\s+{re.escape(flag)}\b", l)), None)
        assert at is not None, f"{flag} missing from --help:\n{out}"
        # The option's entry: its line and the description wrapped under it.
        entry = lines[at] + " " + " ".join(
            l for l in lines[at + 1:at + 3] if not re.match(r"\s+-", l))
        assert var in entry, f"{var} not in the entry of {flag}: {entry!r}"
    assert "--config" in out and "CARELOG_CONFIG" in out


# ---------------------------------------------------------------- data dir ownership

def test_data_dir_of_one_source_refuses_another(tmp_path):
    data = tmp_path / "data"
    run_file(SEED, data)
    other = tmp_path / "other.jsonl"
    write_lines(other, SEED_LINES[:3])
    p = run_file(other, data, check=False)
    assert p.returncode == 1
    out = p.stdout + p.stderr
    assert f"file:{SEED}" in out and f"file:{other}" in out, out
    # Kafka is refused before any broker is contacted.
    p = carelog("run", "--data-dir", data, "--brokers", "127.0.0.1:1", "--topic", "t1", check=False,
                timeout=30)
    assert p.returncode == 1
    out = p.stdout + p.stderr
    assert f"file:{SEED}" in out and "kafka:t1" in out, out
    assert total_events(data) == N_SEED
    assert_verified(data, N_SEED)


# ---------------------------------------------------------------- follow and SIGTERM

def test_sigterm_stops_a_following_engine_cleanly_then_a_rerun_resumes(tmp_path):
    feed = generate(tmp_path / "all.jsonl", sellers=4, events=300, days=10, seed=5)
    a, b, c = len(feed) // 3, 2 * len(feed) // 3, len(feed)
    f = tmp_path / "feed.jsonl"
    data = tmp_path / "data"
    write_lines(f, feed[:a])

    # follow through the environment, so this test does not depend on how the
    # bare --follow flag is parsed (see test_follow_is_a_flag).
    env = {**os.environ, "CARELOG_FOLLOW": "true"}
    proc = start_engine(["run", "--source", f"file:{f}", "--data-dir", data, "--stats-interval-s", 0], env=env)
    try:
        wait_until(lambda: total_events(data) == a, proc, what=f"{a} events")
        # Lines appended while it follows are picked up.
        write_lines(f, feed[a:b], mode="a")
        wait_until(lambda: total_events(data) == b, proc, what=f"{b} events")
    finally:
        code, out = stop_engine(proc)
    assert code == 0, out
    assert summary(out) == (b, 0, 0)
    assert_verified(data, b)
    assert event_ids(data) == ids_of(feed[:b])

    write_lines(f, feed[b:], mode="a")
    assert summary(run_file(f, data)) == (c - b, 0, 0)
    ids = event_ids(data)
    assert len(ids) == len(set(ids)) == c
    assert ids == ids_of(feed)
    assert_verified(data, c)


def test_follow_is_a_flag(tmp_path):
    """`carelog run --source file:F --follow --data-dir D` (spec'd form: a bare
    boolean flag)."""
    f = tmp_path / "feed.jsonl"
    write_lines(f, SEED_LINES)
    data = tmp_path / "data"
    proc = start_engine(["run", "--source", f"file:{f}", "--follow", "--data-dir", data,
                         "--stats-interval-s", 0])
    try:
        wait_until(lambda: total_events(data) == N_SEED, proc, what="the seed feed")
        assert proc.poll() is None, "a following engine keeps running at the end of the file"
    finally:
        if proc.poll() is None:
            code, out = stop_engine(proc)
        else:
            code, out = proc.returncode, proc.stdout.read()
    assert code == 0, out
    assert_verified(data, N_SEED)


def test_follow_waits_for_a_partial_line_to_be_completed(tmp_path):
    f = tmp_path / "feed.jsonl"
    last = SEED_LINES[-1]
    with open(f, "w") as out:
        out.write("\n".join(SEED_LINES[:-1]) + "\n" + last[:40])  # a writer caught mid-line
    data = tmp_path / "data"
    env = {**os.environ, "CARELOG_FOLLOW": "true"}
    proc = start_engine(["run", "--source", f"file:{f}", "--data-dir", data, "--stats-interval-s", 0], env=env)
    try:
        wait_until(lambda: total_events(data) == N_SEED - 1, proc, what="all but the last line")
        with open(f, "a") as out:
            out.write(last[40:] + "\n")
        wait_until(lambda: total_events(data) == N_SEED, proc, what="the completed line")
    finally:
        code, out = stop_engine(proc)
    assert code == 0, out
    assert event_ids(data) == SEED_IDS
    assert rejected(data) == []


# ---------------------------------------------------------------- Kafka

def test_missing_topic_fails_at_startup(brokers, tmp_path):
    topic = f"no-such-topic-{os.getpid()}-{int(time.time() * 1000)}"
    try:
        p = carelog("run", "--brokers", brokers, "--topic", topic, "--group", f"g-{topic}",
                    "--data-dir", tmp_path / "data", "--stats-interval-s", 0, check=False, timeout=60)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        pytest.fail(f"carelog run against missing topic {topic} still running after 60 s")
    assert p.returncode == 1, p.stdout + p.stderr
    out = p.stdout + p.stderr
    assert topic in out, out
    assert re.search(r"unknown topic|not found|does not exist", out, re.I), out
