#!/usr/bin/env python3
"""Big-body helpers of the benchmark scripts (bench/lib/common.sh names it $bench_bigio).

Every object body is the same generated content: the 1 MiB block of --block (random bytes
written once by the calling script) repeated, the last repetition cut at the object's size.
So an upload needs no source file, dd can be fed exactly the same bytes, and the expected
MD5 can be computed after the measurement.

Each command prints one machine-readable line starting with RESULT (fields documented on the
command) and explains failures on lines starting with FAIL. Only 127.0.0.1 is contacted, every
loop is bounded, and every socket has a timeout.

  put     COUNT concurrent streamed PUTs of SIZE bytes (Expect: 100-continue, Content-Length)
  dd      COUNT concurrent dd writers of SIZE bytes each (the physical reference of `put`)
  verify  HEAD every uploaded key: Content-Length, and the ETag against the MD5 of one key
  evict   fdatasync + posix_fadvise(DONTNEED): drop files from the page cache
  get     GET a path ROUNDS times, evicting FILE from the page cache before each round
  copy    CopyObject (PUT with x-amz-copy-source) ROUNDS times, evicting FILE before each
  list    ListObjectsV2 of a whole bucket, page after page, repeated for at least SECONDS
  mkkeys  create COUNT empty files (objects of a bucket written directly into the data root)
"""
import argparse
import hashlib
import http.client
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

HOST = "127.0.0.1"
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def read_block(path):
    with open(path, "rb") as f:
        block = f.read()
    if not block:
        sys.exit(f"bigio: empty block file {path}")
    return block


def chunks(block, size):
    """The content of a SIZE-byte object, as memoryviews of BLOCK."""
    view = memoryview(block)
    left = size
    while left > 0:
        n = min(len(block), left)
        yield view[:n]
        left -= n


def expected_md5(block, size):
    h = hashlib.md5()
    for c in chunks(block, size):
        h.update(c)
    return h.hexdigest()


def sync_fs(path):
    """`sync -f PATH` (syncfs of PATH's file system); returns the seconds it took."""
    if not path:
        return 0.0
    t = time.monotonic()
    subprocess.run(["sync", "-f", path], check=True, timeout=3600)
    return time.monotonic() - t


# ---------------------------------------------------------------------------
# A minimal HTTP/1.1 response reader on a raw socket (the uploader needs the interim 100).


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.buf += data

    def head(self):
        """One response head -> (status, {lower-case name: value})."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > 65536:
                raise ConnectionError("response head too large")
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(parts[1]), headers

    def body(self, headers):
        n = int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return body


def error_code(body):
    """The <Code> of an S3 error document, or ''."""
    try:
        root = ET.fromstring(body)
        code = root.find("Code")
        return code.text if code is not None else ""
    except ET.ParseError:
        return ""


def put_one(port, path, size, block, timeout, continue_wait):
    """One streamed PUT. Returns (ok, status, etag_or_reason, bytes_sent)."""
    sent = 0
    try:
        sock = socket.create_connection((HOST, port), timeout=timeout)
    except OSError as e:
        return False, 0, f"connect: {e}", 0
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = Reader(sock)
        sock.sendall(
            (f"PUT {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Length: {size}\r\n"
             "Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n\r\n").encode())
        # Wait briefly for "100 Continue" or an early final answer (EntityTooLarge ...).
        if size > 0 and select.select([sock], [], [], continue_wait)[0]:
            status, headers = reader.head()
            if status != 100:
                body = reader.body(headers)
                return False, status, f"HTTP {status} {error_code(body)} before the body", 0
        try:
            for c in chunks(block, size):
                sock.sendall(c)
                sent += len(c)
        except OSError as e:
            # The server may have answered and closed: read what it said, if anything.
            try:
                status, headers = reader.head()
                body = reader.body(headers)
                return False, status, f"HTTP {status} {error_code(body)} after {sent} bytes", sent
            except (OSError, ValueError, IndexError):
                return False, 0, f"send failed after {sent} bytes: {e}", sent
        while True:
            status, headers = reader.head()
            if status != 100:
                break
        body = reader.body(headers)
        if 200 <= status < 300:
            return True, status, headers.get("etag", ""), sent
        return False, status, f"HTTP {status} {error_code(body)}", sent
    except (OSError, ValueError, IndexError) as e:
        return False, 0, f"{type(e).__name__}: {e} after {sent} bytes", sent
    finally:
        sock.close()


def key_name(prefix, i):
    return f"{prefix}-{i:04d}"


def cmd_put(a):
    block = read_block(a.block)
    results = [None] * a.count

    def run(i):
        path = "/" + a.bucket + "/" + key_name(a.key_prefix, i)
        results[i] = put_one(a.port, path, a.size, block, a.timeout, a.continue_wait)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(a.count)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    write_s = time.monotonic() - start
    ok = [r for r in results if r[0]]
    bad = [(i, r) for i, r in enumerate(results) if not r[0]]
    sync_s = sync_fs(a.sync) if ok else 0.0
    for i, r in bad[:5]:
        print(f"FAIL {key_name(a.key_prefix, i)}: {r[2]}")
    if len(bad) > 5:
        print(f"FAIL ... and {len(bad) - 5} more")
    # RESULT ok failed write_seconds sync_seconds bytes_stored
    print(f"RESULT {len(ok)} {len(bad)} {write_s:.3f} {sync_s:.3f} {len(ok) * a.size}")


def cmd_dd(a):
    try:
        _dd(a)
    finally:
        for p in _dd_procs:  # killed by SIGTERM (main's handler): do not leave dd running
            if p.poll() is None:
                p.kill()
                p.wait()


_dd_procs = []


def _dd(a):
    block = read_block(a.block)
    files = [os.path.join(a.dir, key_name("dd", i)) for i in range(a.count)]
    procs = _dd_procs
    feeders = []
    failures = []

    def feed(proc):
        try:
            for c in chunks(block, a.size):
                proc.stdin.write(c)
        except OSError as e:
            failures.append(f"feeding dd: {e}")
        finally:
            proc.stdin.close()

    start = time.monotonic()
    for f in files:
        if a.source == "zero":
            cmd = ["dd", "if=/dev/zero", f"of={f}", "bs=1M", f"count={a.size}", "iflag=count_bytes",
                   "status=none"]
            procs.append(subprocess.Popen(cmd))
        else:
            cmd = ["dd", f"of={f}", "bs=1M", "iflag=fullblock", "status=none"]
            p = subprocess.Popen(cmd, stdin=subprocess.PIPE, bufsize=0)
            procs.append(p)
            t = threading.Thread(target=feed, args=(p,), daemon=True)
            t.start()
            feeders.append(t)
    for t in feeders:
        t.join()
    for p in procs:
        try:
            if p.wait(timeout=3600) != 0:
                failures.append(f"dd exited with {p.returncode}")
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            failures.append("dd took more than an hour")
    write_s = time.monotonic() - start
    sync_s = sync_fs(a.sync)
    written = sum(os.path.getsize(f) for f in files if os.path.exists(f))
    for f in failures[:5]:
        print(f"FAIL {f}")
    if written != a.count * a.size:
        print(f"FAIL dd wrote {written} bytes, want {a.count * a.size}")
    # RESULT ok failed write_seconds sync_seconds bytes_written
    ok = a.count if not failures and written == a.count * a.size else 0
    print(f"RESULT {ok} {a.count - ok} {write_s:.3f} {sync_s:.3f} {written}")


def cmd_verify(a):
    block = read_block(a.block)
    size_ok = size_bad = 0
    etag_checked = etag_ok = 0
    conn = http.client.HTTPConnection(HOST, a.port, timeout=60)
    for i in range(a.count):
        key = key_name(a.key_prefix, i)
        conn.request("HEAD", f"/{a.bucket}/{key}")
        r = conn.getresponse()
        r.read()
        length = r.getheader("Content-Length")
        if r.status == 200 and length == str(a.size):
            size_ok += 1
        else:
            size_bad += 1
            print(f"FAIL HEAD {key}: HTTP {r.status}, Content-Length {length}, want {a.size}")
            continue
        if not etag_checked and a.size <= a.md5_max:
            etag_checked = 1
            want = '"' + expected_md5(block, a.size) + '"'
            got = r.getheader("ETag")
            if got == want:
                etag_ok = 1
            else:
                print(f"FAIL HEAD {key}: ETag {got}, want {want} (MD5 of the content)")
    conn.close()
    # RESULT sizes_ok sizes_bad etag_checked etag_ok
    print(f"RESULT {size_ok} {size_bad} {etag_checked} {etag_ok}")


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)  # dirty pages are not dropped: write them first
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def cmd_evict(a):
    for f in a.files:
        evict(f)


def cmd_get(a):
    total = 0
    status = 0
    failures = 0
    start = time.monotonic()
    for _ in range(a.rounds):
        if a.evict:
            evict(a.evict)
        conn = http.client.HTTPConnection(HOST, a.port, timeout=a.timeout)
        conn.request("GET", a.path)
        r = conn.getresponse()
        status = r.status
        while True:
            data = r.read(1 << 20)
            if not data:
                break
            total += len(data)
        conn.close()
        if status != 200:
            failures += 1
            print(f"FAIL GET {a.path}: HTTP {status}")
    # RESULT rounds failed seconds bytes last_status
    print(f"RESULT {a.rounds} {failures} {time.monotonic() - start:.3f} {total} {status}")


def cmd_copy(a):
    status = 0
    failures = 0
    start = time.monotonic()
    for i in range(a.rounds):
        if a.evict:
            evict(a.evict)
        conn = http.client.HTTPConnection(HOST, a.port, timeout=a.timeout)
        conn.request("PUT", f"{a.dest}-{i}", headers={"x-amz-copy-source": a.source, "Content-Length": "0"})
        r = conn.getresponse()
        body = r.read()
        status = r.status
        conn.close()
        if status != 200 or b"<CopyObjectResult" not in body:
            failures += 1
            print(f"FAIL CopyObject {a.source} -> {a.dest}-{i}: HTTP {status} {error_code(body)}")
    # RESULT rounds failed seconds - last_status
    print(f"RESULT {a.rounds} {failures} {time.monotonic() - start:.3f} - {status}")


def cmd_list(a):
    rounds = pages = keys = failures = 0
    status = 0
    start = time.monotonic()
    conn = http.client.HTTPConnection(HOST, a.port, timeout=a.timeout)
    while rounds < a.max_rounds and (rounds == 0 or time.monotonic() - start < a.min_seconds):
        token = None
        for _ in range(100000):  # pages of one listing, bounded
            query = {"list-type": "2", "max-keys": "1000"}
            if token:
                query["continuation-token"] = token
            conn.request("GET", f"/{a.bucket}?{urllib.parse.urlencode(query)}")
            r = conn.getresponse()
            body = r.read()
            status = r.status
            pages += 1
            if status != 200:
                failures += 1
                print(f"FAIL ListObjectsV2 {a.bucket}: HTTP {status} {error_code(body)}")
                break
            doc = ET.fromstring(body)
            keys += len(doc.findall(f"{S3_NS}Contents"))
            truncated = doc.findtext(f"{S3_NS}IsTruncated") == "true"
            token = doc.findtext(f"{S3_NS}NextContinuationToken")
            if not truncated or not token:
                break
        rounds += 1
        if failures:
            break
    conn.close()
    # RESULT rounds failed seconds keys_listed last_status (pages on stderr)
    print(f"pages {pages}", file=sys.stderr)
    print(f"RESULT {rounds} {failures} {time.monotonic() - start:.3f} {keys} {status}")


def cmd_mkkeys(a):
    os.makedirs(a.dir, exist_ok=True)
    for i in range(a.count):
        with open(os.path.join(a.dir, f"key-{i:07d}"), "wb"):
            pass


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("put")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--bucket", required=True)
    s.add_argument("--key-prefix", default="obj")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--block", required=True)
    s.add_argument("--timeout", type=float, default=3600)
    s.add_argument("--continue-wait", type=float, default=2.0,
                   help="seconds to wait for 100 Continue before sending the body anyway")
    s.add_argument("--sync", default="", help="after the uploads, time `sync -f SYNC`")
    s.set_defaults(fn=cmd_put)

    s = sub.add_parser("dd")
    s.add_argument("--dir", required=True)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--block", required=True)
    s.add_argument("--source", choices=("stream", "zero"), default="stream")
    s.add_argument("--sync", default="")
    s.set_defaults(fn=cmd_dd)

    s = sub.add_parser("verify")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--bucket", required=True)
    s.add_argument("--key-prefix", default="obj")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--block", required=True)
    s.add_argument("--md5-max", type=int, default=512 << 20,
                   help="check the ETag (MD5) of the first key when the size is at most this")
    s.set_defaults(fn=cmd_verify)

    s = sub.add_parser("evict")
    s.add_argument("files", nargs="+")
    s.set_defaults(fn=cmd_evict)

    s = sub.add_parser("get")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--path", required=True)
    s.add_argument("--rounds", type=int, default=1)
    s.add_argument("--evict", default="")
    s.add_argument("--timeout", type=float, default=3600)
    s.set_defaults(fn=cmd_get)

    s = sub.add_parser("copy")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--source", required=True, help="/bucket/key")
    s.add_argument("--dest", required=True, help="/bucket/key (the round number is appended)")
    s.add_argument("--rounds", type=int, default=1)
    s.add_argument("--evict", default="")
    s.add_argument("--timeout", type=float, default=3600)
    s.set_defaults(fn=cmd_copy)

    s = sub.add_parser("list")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--bucket", required=True)
    s.add_argument("--min-seconds", type=float, default=0)
    s.add_argument("--max-rounds", type=int, default=1000)
    s.add_argument("--timeout", type=float, default=600)
    s.set_defaults(fn=cmd_list)

    s = sub.add_parser("mkkeys")
    s.add_argument("--dir", required=True)
    s.add_argument("--count", type=int, required=True)
    s.set_defaults(fn=cmd_mkkeys)

    a = p.parse_args()
    # SIGTERM (the calling script's cleanup) unwinds like an exception, so that cmd_dd's
    # finally stops its dd processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    a.fn(a)


if __name__ == "__main__":
    main()
