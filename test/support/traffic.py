#!/usr/bin/env python3
# Bounded TCP transfers for bandwidth tests. "serve PORT SECONDS": accept one connection, print the receive rate
# (bytes/s) measured after a 0.5 s warm-up; "send HOST PORT SECONDS": send as fast as possible for SECONDS.
import json, socket, sys, time

WARMUP = 0.5


def serve(port, seconds):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", int(port)))
    srv.listen(1)
    srv.settimeout(float(seconds) + 10)
    print("ready", flush=True)
    conn, _ = srv.accept()
    conn.settimeout(float(seconds) + 5)
    start = None
    counted = 0
    last = None
    while True:
        data = conn.recv(65536)
        if not data:
            break
        now = time.monotonic()
        start = start or now
        if now - start >= WARMUP:
            counted += len(data)
            last = now
    window = (last - start - WARMUP) if last else 0
    print(json.dumps({"bytesPerSecond": counted / window if window > 0 else 0, "seconds": window}), flush=True)


def send(host, port, seconds):
    s = socket.create_connection((host, int(port)), timeout=10)
    chunk = b"\0" * 65536
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        s.sendall(chunk)
    s.close()


if __name__ == "__main__":
    {"serve": lambda: serve(*sys.argv[2:4]), "send": lambda: send(*sys.argv[2:5])}[sys.argv[1]]()
