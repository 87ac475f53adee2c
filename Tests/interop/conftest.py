"""Shared fixtures for the interop tests of the nostr-dns binary.

The binary under test comes from $NOSTR_DNS_BIN, else .build/debug/nostr-dns
relative to the repository root. A missing binary is a test failure, never
a skip.
"""

import os
import stat
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "nostr-dns"


def _binary_path() -> Path:
    configured = os.environ.get("NOSTR_DNS_BIN")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (Path.cwd() / path)
    return DEFAULT_BIN


class NostrDns:
    """Runs the binary with a scrubbed environment.

    NOSTR_DNS_KEY is removed and HOME/XDG_CONFIG_HOME point into a scratch
    folder, so a test can never read or create a real key file by accident.
    """

    def __init__(self, binary: Path, scratch_home: Path):
        self.binary = binary
        self.env = {k: v for k, v in os.environ.items() if k != "NOSTR_DNS_KEY"}
        self.env["HOME"] = str(scratch_home)
        self.env["XDG_CONFIG_HOME"] = str(scratch_home / ".config")
        self.env["LC_ALL"] = "C.UTF-8"

    def run(self, *args, stdin: str = "", env: dict | None = None, timeout: float = 60):
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        return subprocess.run(
            [str(self.binary), *[str(a) for a in args]],
            input=stdin.encode("utf-8"),
            capture_output=True,
            env=full_env,
            timeout=timeout,
        )


@pytest.fixture(scope="session")
def nostr_dns_bin() -> Path:
    path = _binary_path()
    if not path.is_file():
        pytest.fail(
            f"nostr-dns binary not found at {path}: build it with "
            f"`cd {REPO_ROOT} && swift build`, or set NOSTR_DNS_BIN",
            pytrace=False,
        )
    if not os.access(path, os.X_OK):
        pytest.fail(f"nostr-dns binary at {path} is not executable", pytrace=False)
    return path


@pytest.fixture(scope="session")
def nostr_dns(nostr_dns_bin, tmp_path_factory) -> NostrDns:
    home = tmp_path_factory.mktemp("home")
    home.chmod(0o700)
    return NostrDns(nostr_dns_bin, home)


def make_key_dir(parent: Path) -> Path:
    """A 0700 folder for key files."""
    key_dir = parent / "keys"
    key_dir.mkdir(mode=0o700, exist_ok=True)
    key_dir.chmod(0o700)
    return key_dir


def write_key_file(key_dir: Path, nsec: str, name: str = "nsec", mode: int = 0o600) -> Path:
    """A key file in the project's format: the nsec text plus a newline."""
    path = key_dir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(nsec + "\n")
    path.chmod(mode)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    return path


@pytest.fixture
def key_dir(tmp_path) -> Path:
    return make_key_dir(tmp_path)
