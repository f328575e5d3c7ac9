"""``wijkhub keys init`` and the hub's key helpers; sealing with only the public key."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys

import pytest

from connectors.errors import ConnectorError
from connectors.sealing import Sealer, load_public_key
from streams.ingress.keys import (
    PRIVATE_KEY_FILE,
    PSEUDONYM_KEY_FILE,
    PUBLIC_KEY_FILE,
    KeyFileError,
    hh_ref,
    init_keys,
    load_keys,
    unseal,
)

HH_REF = re.compile(r"^[a-z0-9][a-z0-9_-]{0,15}:[0-9a-f]{64}$")  # schemas.models HhRef


def test_init_writes_three_files_mode_0600(tmp_path):
    pseudonym = init_keys(tmp_path / "keys")
    for name in (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, PSEUDONYM_KEY_FILE):
        mode = stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode)
        assert mode == 0o600, name
    assert load_keys(tmp_path / "keys").pseudonym == pseudonym


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path):
    (tmp_path / PUBLIC_KEY_FILE).write_text("keep me\n")
    with pytest.raises(KeyFileError, match="never overwritten"):
        init_keys(tmp_path)
    assert (tmp_path / PUBLIC_KEY_FILE).read_text() == "keep me\n"
    assert not (tmp_path / PRIVATE_KEY_FILE).exists()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "schemas.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def test_cli_keys_init_prints_no_key_material(tmp_path):
    first = _cli("keys", "init", "--dir", str(tmp_path / "k"))
    assert first.returncode == 0, first.stderr
    for name in (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE):
        secret = (tmp_path / "k" / name).read_text().strip()
        assert secret not in first.stdout + first.stderr
    pseudonym = json.loads((tmp_path / "k" / PSEUDONYM_KEY_FILE).read_text())["key"]
    assert pseudonym not in first.stdout + first.stderr
    again = _cli("keys", "init", "--dir", str(tmp_path / "k"))
    assert again.returncode == 1
    assert "never overwritten" in again.stderr


def test_a_connector_seals_with_the_public_key_only_and_the_hub_unseals(tmp_path):
    init_keys(tmp_path)
    sealer = Sealer.from_file(tmp_path / PUBLIC_KEY_FILE)
    first, second = sealer.seal(b"adr1|1234AB|12|"), sealer.seal(b"adr1|1234AB|12|")
    assert first != second  # randomised: nobody can link two signals by the ciphertext
    assert b"1234AB" not in first
    keys = load_keys(tmp_path)
    assert unseal(keys.private_key, first) == unseal(keys.private_key, second)


def test_unseal_with_another_key_fails_cleanly(tmp_path):
    init_keys(tmp_path / "a")
    init_keys(tmp_path / "b")
    sealed = Sealer.from_file(tmp_path / "a" / PUBLIC_KEY_FILE).seal(b"adr1|1234AB|12|")
    with pytest.raises(KeyFileError, match="cannot be opened"):
        unseal(load_keys(tmp_path / "b").private_key, sealed)


def test_hh_ref_is_keyed_stable_and_prefixed(tmp_path):
    init_keys(tmp_path / "a")
    init_keys(tmp_path / "b")
    a, b = load_keys(tmp_path / "a").pseudonym, load_keys(tmp_path / "b").pseudonym
    ref = hh_ref(a, b"adr1|1234AB|12|")
    assert HH_REF.fullmatch(ref)
    assert ref.startswith(a.key_id + ":")
    assert ref == hh_ref(a, b"adr1|1234AB|12|")
    assert ref.split(":")[1] != hh_ref(b, b"adr1|1234AB|12|").split(":")[1]


def test_bad_public_key_file_says_what_to_do(tmp_path):
    (tmp_path / "hub.pub").write_text("not base64!\n")
    with pytest.raises(ConnectorError, match="not a hub public key"):
        load_public_key(tmp_path / "hub.pub")
    with pytest.raises(ConnectorError, match="WIJKHUB_HUB_PUBLIC_KEY"):
        load_public_key(tmp_path / "missing.pub")
