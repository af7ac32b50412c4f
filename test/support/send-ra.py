#!/usr/bin/env python3
# Sends one IPv6 router advertisement out of an interface: a default route and a /64 prefix (on-link, autonomous),
# so that the kernel on the other end learns routes marked RTF_ADDRCONF. "send-ra.py IFNAME PREFIX".
import socket, struct, sys

ifname, prefix = sys.argv[1], sys.argv[2]
index = socket.if_nametoindex(ifname)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
# Neighbour discovery is only accepted with a hop limit of 255; the kernel fills in the checksum.
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
header = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
option = struct.pack("!BBBBIII16s", 3, 4, 64, 0xC0, 86400, 14400, 0, socket.inet_pton(socket.AF_INET6, prefix))
s.sendto(header + option, ("ff02::1", 0, 0, index))
