"""Fetch the official AsyncAPI 3.0.0 JSON Schema, pinned, into a git-ignored cache.

No PyPI package ships it; npm's ``@asyncapi/specs`` (maintained by the AsyncAPI Initiative)
does. ``npm pack`` fetches the pinned tarball, its sha512 is checked against the registry's
integrity value, and only ``schemas/3.0.0.json`` is kept, under ``.wijkhub/cache/``.

Run ``python tests/unit/schemas/asyncapi_spec.py`` to fetch ahead (``make`` does); the test
fetches on first use too.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@asyncapi/specs"
VERSION = "6.11.1"
INTEGRITY = (  # `npm view @asyncapi/specs@6.11.1 dist.integrity`
    "sha512-A3WBLqAKGoJ2+6FWFtpjBlCQ1oFCcs4GxF7zsIGvNqp/"
    "klGUHjlA3aAcZ9XMMpLGE8zPeYDz2x9FmO6DSuKraQ=="
)
MEMBER = "package/schemas/3.0.0.json"
ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".wijkhub" / "cache" / f"asyncapi-specs-{VERSION}"


class SpecUnavailableError(RuntimeError):
    """npm is missing or the registry did not answer."""


def spec_path() -> Path:
    """Path of the cached AsyncAPI 3.0.0 JSON Schema, fetching it first if needed."""
    target = CACHE / "3.0.0.json"
    if target.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise SpecUnavailableError("npm is not installed; it fetches @asyncapi/specs")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if result.returncode != 0:
            raise SpecUnavailableError(f"npm pack {PACKAGE}@{VERSION} failed: {result.stderr}")
        tarball = next(Path(tmp).glob("*.tgz"))
        digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if f"sha512-{digest}" != INTEGRITY:
            raise SpecUnavailableError(f"{tarball.name}: sha512 does not match the pinned value")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                raise SpecUnavailableError(f"{MEMBER} missing from {tarball.name}")
            data = member.read()
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


if __name__ == "__main__":
    sys.stdout.write(f"{spec_path()}\n")
