"""Errors that name the file they are about: the binary calls a config file
a config file and a cache file a cache file (not "key file"), and says why
in words a user understands. No relay is contacted: the config file fails
before, and the cache file's warning comes before any relay is asked."""

import select
import time

from cli import err, out, show


def test_oversized_config_file_is_called_a_config_file(nostr_dns, tmp_path):
    config = tmp_path / "config"
    config.write_bytes(b"#" * (2 * 1024 * 1024))
    proc = nostr_dns.run("--relay", "ws://127.0.0.1:1", "--config", str(config), "whoami", timeout=30)
    assert proc.returncode == 1, show(proc)
    assert out(proc) == "", show(proc)
    assert err(proc).strip() == (f"nostr-dns whoami: config file {config} is too large to be a config file"
                                 " (more than 65536 bytes)"), show(proc)
    assert "key file" not in err(proc)


def test_folder_given_as_cache_file_is_called_a_folder(nostr_dns, tmp_path):
    # A cache file never stops a start (issue 16): the folder is named as a
    # folder in a warning, and the server runs with an empty cache.
    folder = tmp_path / "cache"
    folder.mkdir()
    proc = nostr_dns.popen("--relay", "ws://127.0.0.1:1", "dns", "--listen", "127.0.0.1:0", "--cache", str(folder))
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 30)
        assert ready, "no warning within 30 s"
        line = proc.stderr.readline().decode("utf-8", "replace").strip()
        assert line == (f"nostr-dns dns: cache file {folder} is a folder, not a file;"
                        " starting with an empty cache, which cannot be saved while the folder is there"), line
        assert "key file" not in line
        time.sleep(0.5)
        assert proc.poll() is None, "the server stopped after the warning"
    finally:
        proc.terminate()
        proc.wait(10)
