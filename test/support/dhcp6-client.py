#!/usr/bin/env python3
"""A minimal DHCPv6 client for test guests (RFC 8415): Solicit, Advertise, Request, Reply for one IA_NA.

busybox has no DHCPv6 client, so this speaks the protocol itself. Usage: dhcp6-client.py IFACE MAC [TIMEOUT_S].
Prints "bound ip=ADDR iaid=N duid=HEX valid=SECONDS" on success, "timeout" when no server answered.
"""
import os
import random
import socket
import struct
import sys
import time

SOLICIT, ADVERTISE, REQUEST, REPLY = 1, 2, 3, 7
OPT_CLIENTID, OPT_SERVERID, OPT_IA_NA, OPT_IAADDR, OPT_ELAPSED = 1, 2, 3, 5, 8


def option(code, data):
    return struct.pack("!HH", code, len(data)) + data


def options(data):
    out = {}
    i = 0
    while i + 4 <= len(data):
        code, length = struct.unpack("!HH", data[i:i + 4])
        out.setdefault(code, []).append(data[i + 4:i + 4 + length])
        i += 4 + length
    return out


def ia_address(ia):
    """The first IAADDR inside an IA_NA option: (address, valid lifetime)."""
    inner = options(ia[12:])
    for addr in inner.get(OPT_IAADDR, []):
        return socket.inet_ntop(socket.AF_INET6, addr[:16]), struct.unpack("!I", addr[20:24])[0]
    return None, None


def main():
    iface, mac = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    # DUID-LL (type 3, hardware type 1): what a client without stable storage uses.
    duid = struct.pack("!HH", 3, 1) + bytes(int(b, 16) for b in mac.split(":"))
    iaid = int.from_bytes(os.urandom(2), "big") + 1
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(("::", 546))
    scope = socket.if_nametoindex(iface)
    server = ("ff02::1:2", 547, 0, scope)
    deadline = time.time() + timeout

    def exchange(kind, extra, want):
        xid = random.getrandbits(24)
        msg = struct.pack("!I", (kind << 24) | xid) + option(OPT_CLIENTID, duid) + option(OPT_ELAPSED, b"\0\0") + extra
        while time.time() < deadline:
            s.sendto(msg, server)
            s.settimeout(1.0)
            try:
                while True:
                    data, _ = s.recvfrom(4096)
                    head = struct.unpack("!I", data[:4])[0]
                    if head >> 24 == want and head & 0xFFFFFF == xid:
                        return options(data[4:])
            except socket.timeout:
                continue
        return None

    ia = struct.pack("!III", iaid, 0, 0)
    advert = exchange(SOLICIT, option(OPT_IA_NA, ia), ADVERTISE)
    if advert is None or OPT_IA_NA not in advert:
        print("timeout")
        return
    request = option(OPT_SERVERID, advert[OPT_SERVERID][0]) + option(OPT_IA_NA, advert[OPT_IA_NA][0])
    reply = exchange(REQUEST, request, REPLY)
    if reply is None or OPT_IA_NA not in reply:
        print("timeout")
        return
    address, valid = ia_address(reply[OPT_IA_NA][0])
    print(f"bound ip={address} iaid={iaid} duid={duid.hex(':')} valid={valid}")


main()
