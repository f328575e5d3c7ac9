"""Why Kafka refuses this client, in one line instead of a timeout or a traceback.

The client libraries report a refused login, an untrusted certificate or a TLS mismatch as
"unable to bootstrap" (aiokafka, at once) or as a timeout after 30 s (kafka-python). Here
the client's first steps are repeated by hand (TCP, TLS, SASL, a metadata request: see
:mod:`schemas._kafka_wire`) to say which one failed, for whom, and which setting to change:

* :func:`check_login` before a command creates its first client: raises
  :class:`~schemas.errors.KafkaAuthError` at once when the broker answers but refuses us; a
  broker that does not answer at all is left to the client's own retries and errors;
* :func:`explain` after a client failed: the :class:`~schemas.errors.KafkaAuthError` that
  says why, or ``None`` when the login works (the failure was something else).
"""

from __future__ import annotations

import hashlib

from schemas._kafka_wire import ClusterView, Login, ProbeError, probe, speaks_tls
from schemas.errors import KafkaAuthError
from schemas.settings import KafkaSettings

__all__ = [
    "ClusterView",
    "ProbeError",
    "check_login",
    "explain",
    "is_connection_failure",
    "login_probe",
]

_LOCAL = "for the local broker, `deploy/local/kafka.sh env` prints every setting"
_CONNECTION_FAILURES = frozenset(
    {  # kafka-python's and aiokafka's names for "could not connect/log in", and the stdlib's
        "NoBrokersAvailable",
        "KafkaConnectionError",
        "KafkaTimeoutError",
        "NodeNotReadyError",
        "AuthenticationFailedError",
        "SaslAuthenticationFailedError",
        "UnsupportedSaslMechanismError",
        "IllegalSaslStateError",
        "SSLError",
        "ConnectionError",
    }
)
_checked: set[str] = set()  # digests of the settings that logged in


def _key(settings: KafkaSettings) -> str:
    secret = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
    parts = (settings.bootstrap_servers, settings.security_protocol, settings.sasl_mechanism,
             settings.principal, settings.ssl_cafile, secret)  # fmt: skip
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _address(server: str) -> tuple[str, int]:
    host, _, port = server.strip().rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port) if port.isdigit() else 9092


_SENTENCES = {
    "certificate": "the TLS certificate of the broker at {server} is not trusted by {trusted} "
    "({detail}), so {who} did not connect; set WIJKHUB_KAFKA_SSL_CAFILE to the CA that signed "
    "the brokers' certificates ({local})",
    "tls": "the broker at {server} does not speak TLS on this port ({detail}), but "
    "WIJKHUB_KAFKA_SECURITY_PROTOCOL={protocol}; check KAFKA_BOOTSTRAP_SERVERS (never fall back "
    "to plaintext for a cluster that carries household data)",
    "needs-tls": "the broker at {server} requires TLS, but WIJKHUB_KAFKA_SECURITY_PROTOCOL="
    "{protocol} (as {who}); set it to SASL_SSL with WIJKHUB_KAFKA_SSL_CAFILE and the SASL login "
    "({local})",
    "anonymous": "the broker at {server} closed the connection of an anonymous client: it "
    "requires a login; set WIJKHUB_KAFKA_SECURITY_PROTOCOL=SASL_SSL, "
    "WIJKHUB_KAFKA_SASL_MECHANISM, WIJKHUB_KAFKA_SASL_USERNAME and "
    "WIJKHUB_KAFKA_SASL_PASSWORD_FILE ({local})",
    "mechanism": "the broker at {server} refused the SASL mechanism {mechanism} for {who} "
    "({detail}); set WIJKHUB_KAFKA_SASL_MECHANISM to one it offers",
    "login": "the broker at {server} refused the login of {who} with {mechanism}: wrong "
    "password or unknown user ({detail}); check WIJKHUB_KAFKA_SASL_USERNAME and the password in "
    "WIJKHUB_KAFKA_SASL_PASSWORD_FILE or _PASSWORD ({local})",
    "closed": "the broker at {server} closed the connection of {who} ({detail}); its listener "
    "may not take a {mechanism} login over {protocol}: check WIJKHUB_KAFKA_SECURITY_PROTOCOL and "
    "KAFKA_BOOTSTRAP_SERVERS ({local})",
    "protocol": "the server at {server} did not answer {who} like a Kafka broker ({detail}); "
    "check KAFKA_BOOTSTRAP_SERVERS and WIJKHUB_KAFKA_SECURITY_PROTOCOL",
}


def _sentence_for(settings: KafkaSettings, server: str, error: ProbeError) -> str:
    """Which of :data:`_SENTENCES` explains ``error``."""
    tls = "SSL" in settings.security_protocol
    if not tls and error.stage in {"needs-tls", "closed"} and speaks_tls(*_address(server)):
        return "needs-tls"
    if error.stage == "closed" and settings.principal == "anonymous":
        return "anonymous"
    return error.stage if error.stage in _SENTENCES and error.stage != "needs-tls" else "protocol"


def _why(settings: KafkaSettings, server: str, error: ProbeError) -> str | None:
    """One sentence for a failed probe of ``server``; ``None`` when it did not answer."""
    if error.stage == "connect":
        return None
    return _SENTENCES[_sentence_for(settings, server, error)].format(
        server=server,
        who=f"principal {settings.principal!r}",
        protocol=settings.security_protocol,
        trusted=settings.ssl_cafile or "the system's CAs",
        mechanism=settings.sasl_mechanism,
        detail=error.detail,
        local=_LOCAL,
    )


def login_probe(settings: KafkaSettings, server: str, *, timeout: float = 5.0) -> ClusterView:
    """Log in to one bootstrap ``server`` as ``settings`` would and read the cluster's metadata.

    :class:`ProbeError` says which step failed (its ``stage``: ``connect``, ``tls``,
    ``certificate``, ``login``, ...).
    """
    context = settings.ssl_context() if "SSL" in settings.security_protocol else None
    login = None
    if settings.security_protocol.startswith("SASL_") and settings.sasl_password is not None:
        login = Login(
            settings.sasl_mechanism or "PLAIN",
            settings.sasl_username or "",
            settings.sasl_password.get_secret_value(),
        )
    host, port = _address(server)
    return probe(host, port, ssl_context=context, login=login, timeout=timeout)


def explain(settings: KafkaSettings, *, timeout: float = 5.0) -> KafkaAuthError | None:
    """Log in as ``settings`` would, on each bootstrap server until one answers.

    Returns the error that says why the broker refused us, or ``None`` when the login and a
    metadata request succeed, or when no server answered at all.
    """
    for server in settings.servers:
        try:
            login_probe(settings, server, timeout=timeout)
        except ProbeError as error:
            reason = _why(settings, server, error)
            if reason is None:
                continue
            return KafkaAuthError(reason)
        return None
    return None


def check_login(settings: KafkaSettings) -> None:
    """Raise :class:`KafkaAuthError` now if the cluster answers but refuses these settings.

    Call it before creating the first client of a command. A success is remembered for the
    process, so calling it again costs nothing.
    """
    key = _key(settings)
    if key in _checked:
        return
    error = explain(settings)
    if error is not None:
        raise error
    _checked.add(key)


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` or an exception it was raised from is a failure to connect or log in."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if {cls.__name__ for cls in type(current).__mro__} & _CONNECTION_FAILURES:
            return True
        current = current.__cause__ or current.__context__
    return False
