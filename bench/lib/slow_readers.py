#!/usr/bin/env python3
"""Many concurrent GETs of one object, read freely or at a fixed rate per connection (bench/faults.sh).

Usage: slow_readers.py --url http://127.0.0.1:PORT/bucket/key --connections N --seconds T
                       [--rate BYTES_PER_S] [--tick] [--rcvbuf BYTES] [--server-pid PID]
                       [--private-net]

Opens N connections to 127.0.0.1, sends one GET on each (Connection: close) and reads for T
seconds from the moment every request is sent:
  --rate 0 (default)  each connection is read as fast as data arrives (the server paces it)
  --rate R            each connection is read at R bytes/s: every 20 ms it may take what its
                      allowance has earned since the start (the client paces it; TCP's window
                      holds the server back, as a slow network would)
--tick: with --rate 0, read in the same 20 ms loop as --rate R (one recv per connection per
tick, taking whatever has arrived) instead of epoll, so that two runs differ only in what the
server does: the client makes the same calls either way.
--rcvbuf sets SO_RCVBUF before connecting (a small window: the server's socket buffers do not
absorb the whole body at once). One thread, epoll; nothing sleeps while data is owed.
--server-pid: the server's CPU time is read at the same two instants as this process's own: when
every request is sent and when reading ends. Two clocks: utime and stime (/proc/PID/stat,
sampled by the scheduler tick: 4 ms grains at HZ=250, coarse for a few % of a core) and the
run time (/proc/PID/task/*/schedstat, first field: nanoseconds on a CPU, exact). Neither
separates softirq work: on this kernel (no IRQ_TIME_ACCOUNTING) the packet processing a
syscall triggers on loopback is charged to the process that made it.
--private-net: the URL's host may be a 10.x address (a veth pair between two network namespaces
of bench/faults.sh's own; nothing else is reachable from there), not only 127.0.0.1.

Prints one line:
  RESULT bytes seconds connections finished errors server_user server_sys client_user client_sys
         server_run client_run pid
(bytes: everything received, heads included; finished: connections the server ended before T;
CPU seconds over the reading window, the server's -1 without --server-pid).
"""
import argparse
import os
import select
import socket
import sys
import time
from urllib.parse import urlsplit


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--rate", type=float, default=0.0)
    p.add_argument("--tick", action="store_true")
    p.add_argument("--rcvbuf", type=int, default=0)
    p.add_argument("--server-pid", type=int, default=0)
    p.add_argument("--private-net", action="store_true")
    a = p.parse_args()
    u = urlsplit(a.url)
    if u.hostname != "127.0.0.1" and not (a.private_net and u.hostname.startswith("10.")):
        sys.exit("slow_readers.py: only 127.0.0.1 (or 10.x with --private-net)")
    tick_s = os.sysconf("SC_CLK_TCK")

    def run_time(pid):
        """Seconds on a CPU of every thread of pid (schedstat; threads that ended are not counted)."""
        total = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass
        return total / 1e9

    def cpu():
        """(server user, server system, own user, own system, server run, own run) seconds so far."""
        su = ss = sr = -1.0
        if a.server_pid:
            with open(f"/proc/{a.server_pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # fields[0] is field 3 (state)
            su, ss = int(fields[11]) / tick_s, int(fields[12]) / tick_s
            sr = run_time(a.server_pid)
        t = os.times()
        return su, ss, t.user, t.system, sr, run_time(os.getpid())
    request = (f"GET {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n").encode()

    socks = {}
    errors = 0
    for _ in range(a.connections):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if a.rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
        try:
            s.connect((u.hostname, u.port))
            s.sendall(request)
        except OSError:
            errors += 1
            s.close()
            continue
        s.setblocking(False)
        socks[s.fileno()] = s
    if not socks:
        sys.exit("slow_readers.py: no connection could be made")

    received = {fd: 0 for fd in socks}
    finished = 0
    cpu0 = cpu()
    start = time.monotonic()
    end = start + a.seconds
    ep = select.epoll()

    def take(fd, limit):
        """recv up to limit bytes from fd; False when the connection ended."""
        nonlocal finished, errors
        try:
            data = socks[fd].recv(min(limit, 262144))
        except BlockingIOError:
            return True
        except OSError:
            errors += 1
            data = b""
        if not data:
            if a.rate == 0 and not a.tick:
                ep.unregister(fd)
            socks.pop(fd).close()
            finished += 1
            return False
        received[fd] += len(data)
        return True

    if a.rate == 0 and not a.tick:
        for fd in socks:
            ep.register(fd, select.EPOLLIN)
        while socks:
            now = time.monotonic()
            if now >= end:
                break
            for fd, _ in ep.poll(end - now):
                if fd in socks:
                    take(fd, 262144)
    else:
        tick = 0.02
        next_tick = start
        while socks:
            now = time.monotonic()
            if now >= end:
                break
            if now < next_tick:
                time.sleep(next_tick - now)  # the pacing interval itself, not a wait for data
                now = time.monotonic()
            owed = int(a.rate * (min(now, end) - start)) if a.rate > 0 else 1 << 62
            for fd in list(socks):
                while received[fd] < owed:
                    before = received[fd]
                    if not take(fd, owed - received[fd]) or received[fd] == before:
                        break  # ended, or nothing more has arrived yet
            next_tick += tick
    elapsed = min(time.monotonic(), end) - start
    cpu1 = cpu()
    for s in socks.values():
        s.close()
    used = " ".join(f"{b - a_:.4f}" if a_ >= 0 else "-1" for a_, b in zip(cpu0, cpu1))
    print(f"RESULT {sum(received.values())} {elapsed:.3f} {a.connections} {finished} {errors} {used} {os.getpid()}")


if __name__ == "__main__":
    main()
