"""Ask a Kafka broker for cluster metadata over the wire protocol, with the stdlib only.

Usage: python3 probe.py HOST:PORT [TIMEOUT_SECONDS]
Exit 0 and print the broker count when the broker answers a Metadata (v4) request with at
least one broker; exit 1 otherwise. kafka.sh uses it to wait until the broker is ready,
before any Python dependency is installed.
"""

import socket
import struct
import sys


def metadata_brokers(host: str, port: int, timeout: float) -> int:
    client_id = b"wijkhub-probe"
    # header: api_key=3 (Metadata), api_version=4, correlation_id, client_id
    header = struct.pack(">hhih", 3, 4, 42, len(client_id)) + client_id
    body = struct.pack(">i?", 0, False)  # no topics, no auto creation
    request = header + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _read(sock, 4))[0]
        payload = _read(sock, size)
    correlation_id, _throttle, brokers = struct.unpack(">iii", payload[:12])
    if correlation_id != 42:
        raise OSError("unexpected correlation id")
    return brokers


def _read(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data


def main() -> int:
    host, _, port = sys.argv[1].rpartition(":")
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    try:
        brokers = metadata_brokers(host or "127.0.0.1", int(port), timeout)
    except (OSError, struct.error):
        return 1
    if brokers < 1:
        return 1
    print(brokers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
