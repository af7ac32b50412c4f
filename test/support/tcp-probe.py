#!/usr/bin/env python3
# Bounded TCP reachability for forward-mode tests. "serve PORT SECONDS": print "ready", then answer every connection
# with the address it came from, for SECONDS. "connect HOST PORT TIMEOUT": print what the server saw ("seen ADDR"),
# or "refused" / "timeout" / "unreachable" (exit 1) when no connection was made.
import errno, socket, sys, time


def serve(port, seconds):
    family = socket.AF_INET6
    srv = socket.socket(family)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", int(port)))
    srv.listen(16)
    print("ready", flush=True)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        srv.settimeout(max(0.1, end - time.monotonic()))
        try:
            conn, peer = srv.accept()
        except socket.timeout:
            break
        address = peer[0][7:] if peer[0].startswith("::ffff:") else peer[0]
        conn.sendall(f"seen {address}\n".encode())
        conn.close()


def connect(host, port, timeout):
    try:
        s = socket.create_connection((host, int(port)), timeout=float(timeout))
        s.settimeout(float(timeout))
        print(s.recv(200).decode().strip(), flush=True)
        return 0
    except socket.timeout:
        print("timeout", flush=True)
    except ConnectionRefusedError:
        print("refused", flush=True)
    except OSError as e:
        print("unreachable" if e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) else f"error {e.errno}", flush=True)
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:4])
    else:
        sys.exit(connect(*sys.argv[2:5]))
