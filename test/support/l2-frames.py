#!/usr/bin/env python3
# Real frames for host tests: "read TAP SECONDS" attaches to a persistent tap (as QEMU would) and prints the
# destination MAC of every test frame it gets; "send IFACE DST..." sends one test frame per destination MAC.
import fcntl, os, select, socket, struct, sys, time

ETHERTYPE = 0x88B5  # IEEE local experimental: nothing else on the host sends it
TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000


def read(tap, seconds):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
    print("ready", flush=True)
    end = time.time() + float(seconds)
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            frame = os.read(fd, 65536)
            if len(frame) >= 14 and struct.unpack("!H", frame[12:14])[0] == ETHERTYPE:
                print(frame[0:6].hex(":"), flush=True)


def send(iface, destinations):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src = bytes.fromhex(open(f"/sys/class/net/{iface}/address").read().strip().replace(":", ""))
    for dst in destinations:
        s.send(bytes.fromhex(dst.replace(":", "")) + src + struct.pack("!H", ETHERTYPE) + b"virtnet test frame".ljust(46, b"\0"))


if __name__ == "__main__":
    {"read": lambda: read(sys.argv[2], sys.argv[3]), "send": lambda: send(sys.argv[2], sys.argv[3:])}[sys.argv[1]]()
