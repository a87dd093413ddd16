"""Helpers for the integration tests: the carelog binary, the real Kafka
broker started by scripts/test (scripts/kafka-up), kcat, and engine processes.
"""
import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Engines started by the tests listen on a free port (announced in their log).
os.environ.setdefault("CARELOG_HTTP", "127.0.0.1:0")
CARELOG = os.environ.get("CARELOG_BIN", str(REPO / "build" / "carelog"))
BROKERS = os.environ.get("CARELOG_BROKERS", "127.0.0.1:9092")


def run(args, check=True, **kw):
    kw.setdefault("timeout", 300)  # a hung command fails its test instead of the suite
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def carelog(*args, check=True, **kw):
    return run([CARELOG, *map(str, args)], check=check, **kw)


@pytest.fixture(scope="session")
def brokers():
    p = run(["kcat", "-L", "-b", BROKERS, "-m", "5"], check=False)
    if p.returncode != 0:
        pytest.fail(f"no Kafka broker answers on {BROKERS}: run the tests with scripts/test")
    return BROKERS


@pytest.fixture
def topic(brokers, request):
    """A fresh topic with 6 partitions, named after the test."""
    name = re.sub(r"[^a-zA-Z0-9]", "-", request.node.name)[:40] + "-" + uuid.uuid4().hex[:8]
    carelog("topics", "create", "--brokers", brokers, "--topic", name, "--partitions", 6)
    return name


def produce_with_carelog(brokers, topic, path):
    """carelog produce; returns {partition: count} as reported."""
    out = carelog("produce", "--brokers", brokers, "--topic", topic, path).stdout
    return {int(m[1]): int(m[2]) for m in re.finditer(r"partition (\d+): (\d+)", out)}


def produce_with_kcat(brokers, topic, keyed_lines):
    """kcat -P with key<TAB>value lines and the murmur2 partitioner (a client
    we did not write). keyed_lines: list of (key or None, value)."""
    data = "".join(f"{k or ''}\t{v}\n" for k, v in keyed_lines)
    p = subprocess.run(["kcat", "-P", "-b", brokers, "-t", topic, "-K", "\t",
                        "-X", "partitioner=murmur2_random"], input=data, text=True,
                       capture_output=True)
    assert p.returncode == 0, p.stderr


def end_offsets(brokers, topic, partitions=6):
    """High watermark of each partition, read with kcat."""
    out = {}
    for p in range(partitions):
        r = run(["kcat", "-Q", "-b", brokers, "-t", f"{topic}:{p}:-1"], check=False)
        m = re.search(r"\[\d+\]\s+offset\s+(\d+)", r.stdout)
        if m:
            out[p] = int(m.group(1))
        else:  # kcat -Q is for timestamps; fall back to consuming to the end
            r = run(["kcat", "-C", "-b", brokers, "-t", topic, "-p", str(p), "-o", "-1", "-e",
                     "-f", "%o\n"], check=False)
            lines = [l for l in r.stdout.split() if l.strip()]
            out[p] = int(lines[-1]) + 1 if lines else 0
    return out


def consume_all(brokers, topic, expected, timeout=60):
    """Every record of `topic` as dicts (partition, offset, key, value,
    headers), waiting until at least `expected` are there."""
    deadline = time.time() + timeout
    while True:
        r = run(["kcat", "-C", "-b", brokers, "-t", topic, "-o", "beginning", "-e", "-J"], check=False)
        records = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
        if len(records) >= expected or time.time() > deadline:
            return records
        time.sleep(1)


def headers_of(record):
    h = record.get("headers") or []
    return dict(zip(h[0::2], h[1::2]))


_engines = []


@pytest.fixture(autouse=True)
def kill_leftover_engines():
    """No engine outlives its test, even one that failed."""
    yield
    while _engines:
        e = _engines.pop()
        if e.proc is not None and e.proc.poll() is None:
            e.proc.kill()
            e.proc.wait()


class Engine:
    """A `carelog run` process against the broker."""

    def __init__(self, data_dir, topic, brokers, group=None, extra=(), log_path=None):
        self.data_dir = str(data_dir)
        self.args = [CARELOG, "run", "--brokers", brokers, "--topic", topic,
                     "--group", group or f"g-{topic}", "--data-dir", self.data_dir,
                     "--stats-interval-s", "1", *map(str, extra)]
        self.log_path = log_path or (Path(self.data_dir).parent / (Path(self.data_dir).name + ".log"))
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.log_start = self.log.tell()  # this run's output starts here
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        _engines.append(self)
        return self

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self, timeout=60):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self.log.close()
        return code

    def output(self):
        return Path(self.log_path).read_text()

    def healthy(self, port):
        """/healthz answers 200: the group has assigned this engine its partitions."""
        import urllib.error
        import urllib.request
        import ssl
        for scheme, ctx in [("http", None), ("https", ssl._create_unverified_context())]:
            try:
                with urllib.request.urlopen(f"{scheme}://127.0.0.1:{port}/healthz", timeout=5, context=ctx) as r:
                    return r.status == 200
            except (urllib.error.URLError, ConnectionError, OSError):
                continue
        return False

    def http_port(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(r"http: serving on [0-9.]+:(\d+)", self.output()[self.log_start:])
            if m and self.healthy(int(m.group(1))):
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise AssertionError(f"engine exited:\n{self.output()[-2000:]}")
            time.sleep(0.1)
        raise AssertionError("engine never announced its HTTP port")


def http_get(port, path, token=None):
    """(status, parsed JSON body or text) of GET http://127.0.0.1:port/path."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, body = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def static_member(tmp_path, instance_id):
    """`--config` arguments giving an engine a static group membership
    (group.instance.id): restarted after a SIGKILL under the same id, it takes
    its partitions back at once instead of after the group's session timeout
    (45 s), so a test's next kill lands while it ingests."""
    cfg = Path(tmp_path) / f"{instance_id}.toml"
    cfg.write_text(f'[kafka]\n"group.instance.id" = "{instance_id}"\n')
    return ["--config", str(cfg)]


def stored_offsets(data_dir):
    out = carelog("log", "count", "--data-dir", data_dir, check=False).stdout
    return {int(m[1]): (int(m[2]), int(m[3]))
            for m in re.finditer(r"partition (\d+): (\d+) events, next source offset (-?\d+)", out)}


def wait_caught_up(data_dir, ends, engine=None, timeout=300):
    """Waits until the stored offset of every partition equals its end offset."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if engine is not None and engine.proc.poll() is not None:
            raise AssertionError(f"engine exited {engine.proc.returncode}:\n{engine.output()[-3000:]}")
        got = stored_offsets(data_dir)
        if all(got.get(p, (0, 0 if e == 0 else -1))[1] == e for p, e in ends.items()):
            return got
        time.sleep(0.5)
    raise AssertionError(f"not caught up after {timeout}s: {stored_offsets(data_dir)} vs {ends}")


def log_records(data_dir):
    """Every record of the log as dicts, in (partition, seq) order."""
    out = carelog("log", "tail", "-n", 1 << 40, "--data-dir", data_dir).stdout
    return [json.loads(l) for l in out.splitlines()]


def generate(path, **opts):
    args = ["gen", "--out", path]
    for k, v in opts.items():
        args += [f"--{k}", v]
    carelog(*args)
    return [l for l in Path(path).read_text().splitlines() if l]
