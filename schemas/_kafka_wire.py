"""One Kafka login and metadata request over the wire protocol, with the standard library only.

Two users: ``deploy/local/probe.py``, the local broker's readiness probe, which runs before
any dependency is installed and loads this file by its path (so it imports nothing else of
wijkhub); and :mod:`schemas.kafka_check`, which says in one line why a client could not
connect (no TLS, another CA, a wrong password) where the client libraries only say that no
broker was available.

The steps are those of every Kafka client: TCP, TLS (when given a context), SASL
(``SaslHandshake`` v1, then ``SaslAuthenticate`` v1 with SCRAM-SHA-256/512, RFC 5802, or
PLAIN), then ``Metadata`` v4 for every topic.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import socket
import ssl
import struct
from dataclasses import dataclass, field

__all__ = ["ClusterView", "Login", "ProbeError", "probe", "speaks_tls"]

_METADATA, _SASL_HANDSHAKE, _SASL_AUTHENTICATE = 3, 17, 36
_SCRAM_HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
_MAX_RESPONSE = 64 * 1024 * 1024
_ERRORS = {  # the Kafka error codes a login can meet
    33: "UNSUPPORTED_SASL_MECHANISM",
    34: "ILLEGAL_SASL_STATE",
    58: "SASL_AUTHENTICATION_FAILED",
}


@dataclass(frozen=True, slots=True)
class Login:
    """A SASL login: mechanism (``SCRAM-SHA-512``, ``SCRAM-SHA-256`` or ``PLAIN``), user."""

    mechanism: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ClusterView:
    """What one metadata request saw: live brokers, partitions, under-replicated ones."""

    brokers: int
    partitions: int
    under_replicated: int


class ProbeError(Exception):
    """The probe failed at ``stage``: ``connect``, ``tls``, ``certificate``, ``needs-tls``,
    ``closed``, ``mechanism``, ``login`` or ``protocol``; ``detail`` says what happened."""

    def __init__(self, stage: str, detail: str) -> None:
        super().__init__(f"{stage}: {detail}")
        self.stage = stage
        self.detail = detail


class _Wire:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.correlation = 0

    def call(self, api_key: int, version: int, body: bytes) -> bytes:
        self.correlation += 1
        client_id = b"wijkhub-probe"
        header = struct.pack(">hhih", api_key, version, self.correlation, len(client_id))
        request = header + client_id + body
        try:
            self.sock.sendall(struct.pack(">i", len(request)) + request)
            head = self._read(4)
        except (ConnectionError, TimeoutError, ssl.SSLError) as exc:
            raise ProbeError("closed", str(exc) or type(exc).__name__) from exc
        if head[0] in (0x15, 0x16) and head[1] == 0x03:  # a TLS record: alert or handshake
            raise ProbeError("needs-tls", "the broker answered with TLS")
        (size,) = struct.unpack(">i", head)
        if not 4 <= size <= _MAX_RESPONSE:
            raise ProbeError("protocol", f"not a Kafka response (size {size})")
        payload = self._read(size)
        if struct.unpack(">i", payload[:4])[0] != self.correlation:
            raise ProbeError("protocol", "unexpected correlation id")
        return payload[4:]

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("connection closed")
            data += chunk
        return data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def int16(self) -> int:
        (value,) = struct.unpack_from(">h", self.data, self.pos)
        self.pos += 2
        return int(value)

    def int32(self) -> int:
        (value,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return int(value)

    def boolean(self) -> bool:
        self.pos += 1
        return bool(self.data[self.pos - 1])

    def string(self) -> str | None:
        size = self.int16()
        if size < 0:
            return None
        text = self.data[self.pos : self.pos + size].decode("utf-8", "replace")
        self.pos += size
        return text

    def raw(self) -> bytes:
        size = self.int32()
        value = self.data[self.pos : self.pos + max(size, 0)]
        self.pos += max(size, 0)
        return value

    def int32s(self) -> list[int]:
        return [self.int32() for _ in range(self.int32())]


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def _authenticate(wire: _Wire, token: bytes) -> bytes:
    reader = _Reader(wire.call(_SASL_AUTHENTICATE, 1, struct.pack(">i", len(token)) + token))
    code, message = reader.int16(), reader.string()
    if code:
        name = _ERRORS.get(code, f"error {code}")
        raise ProbeError("login", f"{name}: {message or 'no message'}")
    return reader.raw()


def _scram(wire: _Wire, login: Login) -> None:
    algorithm = _SCRAM_HASHES[login.mechanism]
    name = login.username.replace("=", "=3D").replace(",", "=2C")
    nonce = base64.b64encode(secrets.token_bytes(18)).decode()
    first_bare = f"n={name},r={nonce}"
    server_first = _authenticate(wire, f"n,,{first_bare}".encode()).decode()
    fields = dict(part.split("=", 1) for part in server_first.split(","))
    if not fields.get("r", "").startswith(nonce):
        raise ProbeError("login", "the server's SCRAM nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(
        algorithm, login.password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
    )
    client_key = hmac.digest(salted, b"Client Key", algorithm)
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{without_proof}".encode()
    signature = hmac.digest(hashlib.new(algorithm, client_key).digest(), auth_message, algorithm)
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    final = f"{without_proof},p={base64.b64encode(proof).decode()}"
    server_final = _authenticate(wire, final.encode()).decode()
    server_key = hmac.digest(salted, b"Server Key", algorithm)
    expected = base64.b64encode(hmac.digest(server_key, auth_message, algorithm)).decode()
    if server_final != f"v={expected}":
        raise ProbeError("login", "the server's SCRAM signature is wrong (not our broker?)")


def _login(wire: _Wire, login: Login) -> None:
    reader = _Reader(wire.call(_SASL_HANDSHAKE, 1, _string(login.mechanism)))
    code = reader.int16()
    enabled = [reader.string() or "" for _ in range(reader.int32())]
    if code:
        offered = ", ".join(enabled) or "none"
        raise ProbeError(
            "mechanism", f"{_ERRORS.get(code, f'error {code}')}; the listener offers: {offered}"
        )
    if login.mechanism in _SCRAM_HASHES:
        _scram(wire, login)
    elif login.mechanism == "PLAIN":
        _authenticate(wire, f"\0{login.username}\0{login.password}".encode())
    else:
        raise ProbeError("mechanism", f"this probe cannot log in with {login.mechanism}")


def _metadata(wire: _Wire) -> ClusterView:
    # all topics (null array), no auto creation
    reader = _Reader(wire.call(_METADATA, 4, struct.pack(">i?", -1, False)))
    reader.int32()  # throttle time
    brokers = reader.int32()
    for _ in range(brokers):
        reader.int32(), reader.string(), reader.int32(), reader.string()
    reader.string(), reader.int32()  # cluster id, controller id
    partitions = under = 0
    for _ in range(reader.int32()):
        reader.int16(), reader.string(), reader.boolean()  # error, name, is_internal
        for _ in range(reader.int32()):
            reader.int16(), reader.int32(), reader.int32()  # error, index, leader
            replicas, isr = reader.int32s(), reader.int32s()
            partitions += 1
            under += len(isr) < len(replicas)
    return ClusterView(brokers, partitions, under)


def probe(
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None = None,
    login: Login | None = None,
    timeout: float = 5.0,
) -> ClusterView:
    """Connect, (TLS,) (log in,) and read the cluster's metadata; :class:`ProbeError` if not."""
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise ProbeError("connect", f"cannot connect to {host}:{port} ({exc})") from exc
    with raw:
        sock = raw
        if ssl_context is not None:
            try:
                sock = ssl_context.wrap_socket(raw, server_hostname=host)
            except ssl.SSLCertVerificationError as exc:
                raise ProbeError("certificate", exc.verify_message or str(exc)) from exc
            except (ssl.SSLError, OSError) as exc:
                raise ProbeError("tls", f"TLS handshake failed ({exc})") from exc
        try:
            wire = _Wire(sock)
            if login is not None:
                _login(wire, login)
            return _metadata(wire)
        except (struct.error, IndexError, KeyError, ValueError, UnicodeDecodeError) as exc:
            raise ProbeError("protocol", f"unexpected answer ({exc!r})") from exc
        finally:
            if sock is not raw:
                sock.close()


def speaks_tls(host: str, port: int, timeout: float = 5.0) -> bool:
    """Whether ``host:port`` completes a TLS handshake (certificate not checked)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False
