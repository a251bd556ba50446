"""Secrets at rest: sealed with the server's key, unreadable without it, rotatable."""

from __future__ import annotations

import os
import stat

import pytest

from portal_app.services.secret_box import SecretUnavailable, hint, seal, unseal
from portal_app.settings import load_settings


def settings_with(monkeypatch, tmp_path, key: str = "", key_file: str | None = None):
    monkeypatch.setenv("PORTAL_SECRET_KEY", key)
    monkeypatch.setenv("PORTAL_SECRET_KEY_FILE", key_file or str(tmp_path / "secret.key"))
    return load_settings()


def test_a_sealed_secret_reads_back_and_never_shows_in_clear(monkeypatch, tmp_path):
    s = settings_with(monkeypatch, tmp_path, "first-key")
    sealed = seal("sk_test_51Habc123", s)
    assert sealed.startswith("fernet:") and "sk_test" not in sealed
    assert seal("sk_test_51Habc123", s) != sealed  # a fresh IV every time
    assert unseal(sealed, s) == "sk_test_51Habc123"
    assert seal("", s) == "" and unseal("", s) == ""


def test_another_key_cannot_read_it(monkeypatch, tmp_path):
    sealed = seal("whsec_secret", settings_with(monkeypatch, tmp_path, "first-key"))
    with pytest.raises(SecretUnavailable) as err:
        unseal(sealed, settings_with(monkeypatch, tmp_path, "other-key"))
    assert "Enter the secret again" in err.value.message
    with pytest.raises(SecretUnavailable):
        unseal("sk_live_plaintext_in_the_database", settings_with(monkeypatch, tmp_path, "first-key"))
    with pytest.raises(SecretUnavailable):
        unseal("fernet:not-a-token", settings_with(monkeypatch, tmp_path, "first-key"))


def test_rotation_new_key_first_old_key_still_reads(monkeypatch, tmp_path):
    old = seal("whsec_old", settings_with(monkeypatch, tmp_path, "old-key"))
    both = settings_with(monkeypatch, tmp_path, "new-key, old-key")
    assert unseal(old, both) == "whsec_old"
    fresh = seal("whsec_new", both)
    assert unseal(fresh, settings_with(monkeypatch, tmp_path, "new-key")) == "whsec_new"


def test_without_a_configured_key_a_private_key_file_is_made_once(monkeypatch, tmp_path):
    path = tmp_path / "data" / "secret.key"
    s = settings_with(monkeypatch, tmp_path, "", str(path))
    sealed = seal("sk_test_abc", s)
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = path.read_text()
    assert unseal(sealed, s) == "sk_test_abc" and path.read_text() == first  # reused, not rewritten


def _make_key(path: str, start, out) -> None:
    from portal_app.services.secret_box import _key_file_material

    start.wait()
    out.put(_key_file_material(path))


def test_server_processes_starting_at_once_agree_on_one_key(tmp_path):
    """`serve` starts a worker per core: the first secret each seals may come at the same moment.
    None may read the key file half-written, and all must end up with the key it holds."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for attempt in range(5):
        path = str(tmp_path / f"try{attempt}" / "secret.key")
        start, out = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_make_key, args=(path, start, out)) for _ in range(6)]
        for p in procs:
            p.start()
        start.set()
        keys = {out.get(timeout=30) for _ in procs}
        for p in procs:
            p.join(30)
        with open(path, encoding="utf-8") as fh:
            assert keys == {fh.read().strip()}
        assert os.listdir(os.path.dirname(path)) == ["secret.key"]  # no temporary file left behind


def test_hint_shows_kind_and_last_four_only():
    assert hint("sk_test_51Habc1234") == "sk_test_…1234"
    assert hint("whsec_abcdef9876") == "whsec_…9876"
    assert hint("something-else-5555") == "…5555"
    assert hint("") == ""
