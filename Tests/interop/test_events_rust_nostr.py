"""Interoperability of `nostr-dns` (keys, NIP-19, NIP-01 events) with rust-nostr.

rust-nostr is used through its Python bindings, the PyPI package nostr-sdk
(pinned in requirements.txt). Every test is named after what it proves.
"""

import hashlib
import json
import re
import secrets
import stat
import time

import pytest
from nostr_sdk import (
    Event,
    EventBuilder,
    EventId,
    Keys,
    Kind,
    PublicKey,
    SecretKey,
    Tag,
    Timestamp,
)

from conftest import make_key_dir, write_key_file

# ---------------------------------------------------------------------------
# Test data

HEX64_A = "a" * 63 + "1"
HEX64_B = "0123456789abcdef" * 4


def _long_content(target_bytes: int = 60 * 1024) -> str:
    unit = 'The quick "brown" fox \\ jumps/over\tthe lazy dog é 中文 🦩\n'
    text = unit * (target_bytes // len(unit.encode("utf-8")) + 1)
    while len(text.encode("utf-8")) > target_bytes:
        text = text[:-1]
    return text


LONG = _long_content()
assert 60 * 1024 - 4 <= len(LONG.encode("utf-8")) <= 60 * 1024

# NUL (0x00) cannot be passed in argv, so it is left out of what the binary signs.
ALL_CONTROLS = "".join(chr(c) for c in range(0x01, 0x20))

CONTENTS = {
    "quotes": 'say "hello" and \'bye\' and ""',
    "backslashes": "C:\\dir\\file \\\" \\\\ \\n \\u0041 \\",
    "control_chars_01_1f": ALL_CONTROLS,
    "slash": "a/b </script> // http://x/y",
    "non_ascii": "café é Ünïcödé 中文 日本語",
    "emoji": "🦩",
    "emoji_zwj": "👩‍👩‍👧‍👦 🏳️‍🌈",
    "empty": "",
    "long_60k": LONG,
    "option_like": "--help",
    "json_like": '{"id":"x","sig":[]}\x7f\u2028\u2029',
    "mixed": 'é"\\/\n\t\x01\x1f🦩👩‍👩‍👧‍👦中',
}

TAG_SETS = {
    "none": [],
    "d_empty": [["d", ""]],
    "several": [
        ["d", "node-1"],
        ["t", "nostr"],
        ["p", HEX64_A],
        ["e", HEX64_B, "wss://relay.example.com", "reply"],
        ["expiration", "1800000000"],
    ],
    "commas_backslashes": [
        ["x", "a,b,c", ",", "\\", "\\,", "end\\"],
        ["y", "\\\\,,\\"],
    ],
    "unicode": [["t", "café"], ["d", "中文"], ["emoji", "🦩", "👩‍👩‍👧‍👦"]],
    "quotes_controls": [["q", '"quoted"', "tab\there\nnewline", "\x01\x1f"]],
    "odd_shapes": [["", ""], ["a", "", ""], ["x"]],
}

CREATED_AT = 1_700_000_000


def encode_tag(values: list[str]) -> str:
    """A --tag argument: values joined by ',', with '\\' and ',' escaped."""
    return ",".join(v.replace("\\", "\\\\").replace(",", "\\,") for v in values)


def nip01_id(pubkey_hex: str, created_at: int, kind: int, tags, content: str) -> str:
    """A third, plain-Python opinion on the NIP-01 id (json.dumps escapes as serde_json does)."""
    data = json.dumps(
        [0, pubkey_hex, created_at, kind, tags, content],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def sign_args(kind, content, tags, created_at=None):
    args = ["event", "sign", "--kind", str(kind)]
    if content is not None:
        args += ["--content", content]
    for t in tags:
        args += ["--tag", encode_tag(t)]
    if created_at is not None:
        args += ["--created-at", str(created_at)]
    return args


def rust_event(keys: Keys, kind: int, content: str, tags, created_at: int = CREATED_AT) -> Event:
    return (
        EventBuilder(Kind(kind), content)
        .tags([Tag.parse(t) for t in tags])
        .custom_created_at(Timestamp.from_secs(created_at))
        .finalize(keys)
    )


def _errtext(proc) -> str:
    return proc.stderr.decode("utf-8", "replace")


def _outtext(proc) -> str:
    return proc.stdout.decode("utf-8")


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def signer(tmp_path_factory):
    """A key made by rust-nostr, stored in a key file for nostr-dns."""
    keys = Keys.generate()
    key_dir = make_key_dir(tmp_path_factory.mktemp("signer"))
    path = write_key_file(key_dir, keys.secret_key().to_bech32())
    return keys, path


@pytest.fixture(scope="session")
def rust_keys():
    return Keys.generate()


# ---------------------------------------------------------------------------
# nostr-dns signs, rust-nostr verifies


def assert_rust_nostr_accepts(nostr_dns, line: str, pubkey_hex: str, kind, content, tags, created_at):
    obj = json.loads(line)  # strict JSON: raw control characters would be rejected here
    assert set(obj) == {"id", "pubkey", "created_at", "kind", "tags", "content", "sig"}
    assert obj["pubkey"] == pubkey_hex
    assert obj["kind"] == kind
    assert obj["created_at"] == created_at
    assert obj["tags"] == tags
    assert obj["content"] == content

    ev = Event.from_json(line)
    assert ev.verify_id(), "rust-nostr: id is not the hash of the serialization"
    assert ev.verify_signature(), "rust-nostr: signature does not verify"
    assert ev.verify()
    assert ev.author().to_hex() == pubkey_hex
    assert ev.kind().as_u16() == kind
    assert ev.created_at().as_secs() == created_at
    assert ev.content() == content
    assert [t.to_vec() for t in ev.tags()] == tags

    recomputed = EventId.compute(
        PublicKey.parse(pubkey_hex), Timestamp.from_secs(created_at), Kind(kind),
        [Tag.parse(t) for t in tags], content,
    ).to_hex()
    assert obj["id"] == ev.id().to_hex() == recomputed
    assert obj["id"] == nip01_id(pubkey_hex, created_at, kind, tags, content)

    # and nostr-dns accepts its own output
    back = nostr_dns.run("event", "verify", stdin=line)
    assert back.returncode == 0, _errtext(back)
    assert _outtext(back).strip() == obj["id"]


@pytest.mark.parametrize("tags_name", TAG_SETS)
@pytest.mark.parametrize("content_name", CONTENTS)
def test_nostr_dns_signed_event_verifies_in_rust_nostr(nostr_dns, signer, content_name, tags_name):
    keys, key_path = signer
    content, tags = CONTENTS[content_name], TAG_SETS[tags_name]
    proc = nostr_dns.run("--key", key_path, *sign_args(1, content, tags, CREATED_AT))
    assert proc.returncode == 0, _errtext(proc)
    out = _outtext(proc)
    assert out.endswith("\n") and out.count("\n") == 1, "sign must print exactly one line"
    assert_rust_nostr_accepts(
        nostr_dns, out, keys.public_key().to_hex(), 1, content, tags, CREATED_AT
    )


@pytest.mark.parametrize("code", range(0x01, 0x20), ids=lambda c: f"0x{c:02x}")
def test_nostr_dns_signed_event_with_each_control_char_verifies_in_rust_nostr(nostr_dns, signer, code):
    keys, key_path = signer
    ch = chr(code)
    content = f"a{ch}b{ch}"
    tags = [["c", ch, f"x{ch}y"]]
    proc = nostr_dns.run("--key", key_path, *sign_args(1, content, tags, CREATED_AT))
    assert proc.returncode == 0, _errtext(proc)
    assert_rust_nostr_accepts(
        nostr_dns, _outtext(proc), keys.public_key().to_hex(), 1, content, tags, CREATED_AT
    )


@pytest.mark.parametrize("kind", [0, 1, 3, 10002, 30000, 65535])
@pytest.mark.parametrize("created_at", [0, 1, CREATED_AT, 2**31, 2**32 + 7])
def test_nostr_dns_signed_kinds_and_timestamps_verify_in_rust_nostr(nostr_dns, signer, kind, created_at):
    keys, key_path = signer
    tags = [["d", "host"]]
    proc = nostr_dns.run("--key", key_path, *sign_args(kind, "192.0.2.10", tags, created_at))
    assert proc.returncode == 0, _errtext(proc)
    assert_rust_nostr_accepts(
        nostr_dns, _outtext(proc), keys.public_key().to_hex(), kind, "192.0.2.10", tags, created_at
    )


def test_nostr_dns_signed_event_without_content_or_created_at_is_empty_and_now(nostr_dns, signer):
    keys, key_path = signer
    before = int(time.time())
    proc = nostr_dns.run("--key", key_path, "event", "sign", "--kind", "1")
    after = int(time.time())
    assert proc.returncode == 0, _errtext(proc)
    line = _outtext(proc)
    created_at = json.loads(line)["created_at"]
    assert before - 2 <= created_at <= after + 2
    assert_rust_nostr_accepts(nostr_dns, line, keys.public_key().to_hex(), 1, "", [], created_at)


def test_nostr_dns_signatures_are_fresh_but_ids_deterministic(nostr_dns, signer):
    """Same event twice: same id; BIP-340 aux randomness may change the sig, both verify."""
    keys, key_path = signer
    args = sign_args(1, "same", [["d", "x"]], CREATED_AT)
    a = json.loads(_outtext(nostr_dns.run("--key", key_path, *args)))
    b = json.loads(_outtext(nostr_dns.run("--key", key_path, *args)))
    assert a["id"] == b["id"]
    for obj in (a, b):
        assert Event.from_json(json.dumps(obj)).verify()


# ---------------------------------------------------------------------------
# rust-nostr signs, nostr-dns verifies


def serializations(ev: Event) -> dict[str, str]:
    """The same event written three ways; all are the same event for NIP-01."""
    compact = ev.as_json()
    obj = json.loads(compact)
    return {
        "rust_compact": compact,
        "rust_pretty": ev.as_pretty_json(),
        # \uXXXX escapes everywhere (emoji as surrogate pairs), keys in reverse order
        "ascii_escaped_reordered": json.dumps(dict(reversed(list(obj.items())))),
    }


def assert_nostr_dns_accepts(nostr_dns, ev: Event):
    for form, text in serializations(ev).items():
        proc = nostr_dns.run("event", "verify", stdin=text)
        assert proc.returncode == 0, f"{form}: {_errtext(proc)}"
        assert _outtext(proc).strip() == ev.id().to_hex(), form


@pytest.mark.parametrize("tags_name", TAG_SETS)
@pytest.mark.parametrize("content_name", CONTENTS)
def test_rust_nostr_signed_event_verifies_in_nostr_dns(nostr_dns, rust_keys, content_name, tags_name):
    ev = rust_event(rust_keys, 1, CONTENTS[content_name], TAG_SETS[tags_name])
    assert ev.verify()
    assert_nostr_dns_accepts(nostr_dns, ev)


def test_rust_nostr_signed_event_with_nul_and_every_control_char_verifies_in_nostr_dns(nostr_dns, rust_keys):
    # NUL cannot be passed in argv, but it can be read from JSON on stdin.
    content = "\x00" + ALL_CONTROLS + "\x7f"
    ev = rust_event(rust_keys, 1, content, [["c", "\x00", ALL_CONTROLS]])
    assert ev.verify()
    assert_nostr_dns_accepts(nostr_dns, ev)


@pytest.mark.parametrize("kind", [0, 1, 3, 10002, 30000, 65535])
@pytest.mark.parametrize("created_at", [0, 1, CREATED_AT, 2**31, 2**32 + 7])
def test_rust_nostr_signed_kinds_and_timestamps_verify_in_nostr_dns(nostr_dns, rust_keys, kind, created_at):
    ev = rust_event(rust_keys, kind, "192.0.2.10", [["d", "host"]], created_at)
    assert_nostr_dns_accepts(nostr_dns, ev)


# ---------------------------------------------------------------------------
# one-byte tampering is caught by nostr-dns (and by rust-nostr)

TAMPER_CONTENT = "Hello tamper"
TAMPER_TAGS = [["d", "node-1"], ["t", "abc"]]
TAMPER_KIND = 30000


def _flip_hex(c: str) -> str:
    return "0123456789abcdef"[("0123456789abcdef".index(c) + 1) % 16]


def _flip_digit(c: str) -> str:
    return str((int(c) + 1) % 10)


def _field_value_start(text: str, field: str) -> int:
    """Index of the first character of a top-level field's value (after a quote for strings)."""
    m = re.search(r'"%s":\s*"?' % re.escape(field), text)
    assert m, field
    return m.end()


# name -> (locate(text) -> index, replacement(old_char) -> new_char)
TAMPERS = {
    "content_first_byte": (lambda t: _field_value_start(t, "content"), lambda c: "h"),
    "content_last_byte": (
        lambda t: _field_value_start(t, "content") + len(TAMPER_CONTENT) - 1, lambda c: "R"),
    "tag_value": (lambda t: t.index('"node-1"') + 6, lambda c: "2"),
    "tag_name": (lambda t: t.index('["t","abc"]') + 2, lambda c: "u"),
    "created_at_first_digit": (lambda t: _field_value_start(t, "created_at"), _flip_digit),
    "created_at_last_digit": (lambda t: _field_value_start(t, "created_at") + 9, _flip_digit),
    "kind_first_digit": (lambda t: _field_value_start(t, "kind"), lambda c: "2"),
    "kind_last_digit": (lambda t: _field_value_start(t, "kind") + 4, _flip_digit),
    **{
        f"{field}_hex_{pos}": ((lambda t, f=field, p=pos: _field_value_start(t, f) + p), _flip_hex)
        for field, positions in (("id", (0, 31, 63)), ("sig", (0, 63, 64, 127)), ("pubkey", (0, 31, 63)))
        for pos in positions
    },
}


@pytest.fixture(scope="module")
def tamper_base(rust_keys):
    ev = rust_event(rust_keys, TAMPER_KIND, TAMPER_CONTENT, TAMPER_TAGS, CREATED_AT)
    return ev


def test_untampered_base_event_verifies_in_both(nostr_dns, tamper_base):
    assert tamper_base.verify()
    proc = nostr_dns.run("event", "verify", stdin=tamper_base.as_json())
    assert proc.returncode == 0, _errtext(proc)
    assert _outtext(proc).strip() == tamper_base.id().to_hex()


@pytest.mark.parametrize("tamper", TAMPERS)
def test_one_byte_tamper_fails_nostr_dns_verify_and_rust_nostr_verify(nostr_dns, tamper_base, tamper):
    original = tamper_base.as_json()
    locate, replace = TAMPERS[tamper]
    i = locate(original)
    new_char = replace(original[i])
    tampered = original[:i] + new_char + original[i + 1:]
    a, b = original.encode("utf-8"), tampered.encode("utf-8")
    assert len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1, "exactly one byte must change"

    proc = nostr_dns.run("event", "verify", stdin=tampered)
    assert proc.returncode == 1, f"exit {proc.returncode}, stdout {proc.stdout!r}"
    assert _errtext(proc).strip(), "a reason must be printed on stderr"
    assert _outtext(proc) == "", "no id may be printed for a bad event"

    try:
        ev = Event.from_json(tampered)
    except Exception:
        return  # rust-nostr cannot even parse it (e.g. pubkey not on the curve): rejected too
    assert not ev.verify(), "rust-nostr accepted the tampered event"


def test_malformed_input_fails_nostr_dns_verify_with_exit_1(nostr_dns, tamper_base):
    obj = json.loads(tamper_base.as_json())
    cases = {
        "empty": "",
        "not_json": "not json",
        "array": "[]",
        "empty_object": "{}",
        "missing_sig": json.dumps({k: v for k, v in obj.items() if k != "sig"}),
        "truncated": tamper_base.as_json()[:-1],
    }
    for name, text in cases.items():
        proc = nostr_dns.run("event", "verify", stdin=text)
        assert proc.returncode == 1, f"{name}: exit {proc.returncode}"
        assert _errtext(proc).strip(), name


# ---------------------------------------------------------------------------
# keys and NIP-19


NSEC_RE = re.compile(r"^nsec1[02-9ac-hj-np-z]{58}\n$")


def whoami_lines(nostr_dns, key_path, env=None):
    args = ["whoami"] if key_path is None else ["--key", key_path, "whoami"]
    proc = nostr_dns.run(*args, env=env)
    assert proc.returncode == 0, _errtext(proc)
    lines = _outtext(proc).splitlines()
    assert len(lines) == 4, lines
    return lines


def assert_whoami_matches(lines, keys: Keys):
    npub, hexkey = keys.public_key().to_bech32(), keys.public_key().to_hex()
    assert lines == [npub, hexkey, f"{npub}.nostr", f"{npub}.local"]


def test_keygen_key_file_and_whoami_match_rust_nostr(nostr_dns, key_dir):
    path = key_dir / "nsec"
    proc = nostr_dns.run("--key", path, "keygen")
    assert proc.returncode == 0, _errtext(proc)
    text = path.read_text(encoding="ascii")
    assert NSEC_RE.match(text), repr(text)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    keys = Keys.parse(text.strip())
    assert _outtext(proc).strip() == keys.public_key().to_bech32()
    assert_whoami_matches(whoami_lines(nostr_dns, path), keys)

    # and what it signs carries that public key
    signed = nostr_dns.run("--key", path, *sign_args(1, "x", [], CREATED_AT))
    assert Event.from_json(_outtext(signed)).author().to_hex() == keys.public_key().to_hex()


def test_keygen_never_overwrites_an_existing_key_file(nostr_dns, key_dir):
    path = key_dir / "nsec"
    first = nostr_dns.run("--key", path, "keygen")
    assert first.returncode == 0, _errtext(first)
    before = path.read_bytes()
    second = nostr_dns.run("--key", path, "keygen")
    assert second.returncode == 0, _errtext(second)
    assert path.read_bytes() == before
    assert _outtext(second) == _outtext(first)


def test_rust_nostr_nsec_in_key_file_gives_same_npub_from_whoami(nostr_dns, key_dir):
    keys = Keys.generate()
    path = write_key_file(key_dir, keys.secret_key().to_bech32())
    assert_whoami_matches(whoami_lines(nostr_dns, path), keys)


def test_key_path_from_env_NOSTR_DNS_KEY(nostr_dns, key_dir):
    keys = Keys.generate()
    path = write_key_file(key_dir, keys.secret_key().to_bech32())
    assert_whoami_matches(whoami_lines(nostr_dns, None, env={"NOSTR_DNS_KEY": str(path)}), keys)


@pytest.mark.parametrize("i", range(20))
def test_nip19_npub_of_random_rust_nostr_key_matches_whoami(nostr_dns, tmp_path, i):
    keys = Keys.generate()
    path = write_key_file(make_key_dir(tmp_path), keys.secret_key().to_bech32())
    assert_whoami_matches(whoami_lines(nostr_dns, path), keys)


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.mark.parametrize(
    "secret",
    [1, 2, SECP256K1_N - 1, SECP256K1_N - 2, 0xFF, 1 << 200, int("00" * 4 + "ff" * 28, 16)],
    ids=["one", "two", "n-1", "n-2", "0xff", "2^200", "leading_zero_bytes"],
)
def test_nip19_npub_of_edge_secret_keys_matches_whoami(nostr_dns, tmp_path, secret):
    sk = SecretKey.parse(f"{secret:064x}")
    keys = Keys(sk)
    path = write_key_file(make_key_dir(tmp_path), sk.to_bech32())
    assert_whoami_matches(whoami_lines(nostr_dns, path), keys)
    # and the events it signs verify in rust-nostr with that key
    proc = nostr_dns.run("--key", path, *sign_args(1, "edge", [], CREATED_AT))
    assert proc.returncode == 0, _errtext(proc)
    ev = Event.from_json(_outtext(proc))
    assert ev.verify() and ev.author().to_hex() == keys.public_key().to_hex()


# ---------------------------------------------------------------------------
# command-line errors


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["--frobnicate", "whoami"],
        ["whoami", "--frobnicate"],
        ["event", "sign"],
        ["event", "sign", "--content", "x"],
        ["event", "sign", "--kind", "abc"],
        ["event", "sign", "--kind", "1.5"],
        ["event", "sign", "--kind"],
        ["event", "sign", "--kind", "70000"],
        ["event", "sign", "--kind", "1", "--created-at", "soon"],
        ["event", "frobnicate"],
        ["event"],
    ],
    ids=lambda a: " ".join(a) or "none",
)
def test_bad_command_line_exits_2_with_usage_on_stderr(nostr_dns, key_dir, args):
    keys = Keys.generate()
    path = write_key_file(key_dir, keys.secret_key().to_bech32())
    proc = nostr_dns.run("--key", path, *args)
    assert proc.returncode == 2, f"exit {proc.returncode}: {_errtext(proc)}"
    assert "usage" in _errtext(proc).lower()
    assert _outtext(proc) == ""


@pytest.mark.parametrize("command", [["whoami"], ["event", "sign", "--kind", "1"]])
def test_missing_key_file_exits_1_naming_the_path(nostr_dns, key_dir, command):
    path = key_dir / "no-such-nsec"
    proc = nostr_dns.run("--key", path, *command)
    assert proc.returncode == 1, _errtext(proc)
    assert str(path) in _errtext(proc)
    assert _outtext(proc) == ""


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
@pytest.mark.parametrize("command", [["whoami"], ["event", "sign", "--kind", "1"]])
def test_key_file_readable_by_others_is_refused_with_exit_1(nostr_dns, key_dir, mode, command):
    keys = Keys.generate()
    path = write_key_file(key_dir, keys.secret_key().to_bech32(), mode=mode)
    proc = nostr_dns.run("--key", path, *command)
    assert proc.returncode == 1, f"exit {proc.returncode}"
    err = _errtext(proc)
    assert re.search(r"permission|mode|readable", err, re.I), err
    assert f"{mode:04o}" in err, err
    assert _outtext(proc) == "", "no key material or event may be printed"
