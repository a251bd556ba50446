"""PORTAL_DEMO=1 seeds a workspace whose passwords are public: it refuses to start on a
non-local or https base URL (issue #11, item 5), at settings load, so `reflex run` (rxconfig)
and every `python -m portal_app.cli` command stop with a clear message before any work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal_app.settings import SettingsError, demo_problem, load_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", ["https://portal.example.com", "http://portal.example.com", "https://localhost:3000",
                                 "https://portal.example.test", "http://10.0.0.5:3000", "http://localhost.evil.com"])
def test_demo_refuses_a_public_or_https_base_url(url, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_BASE_URL", url)
    with pytest.raises(SettingsError, match="PORTAL_DEMO=0"):
        load_settings()
    monkeypatch.setenv("PORTAL_DEMO", "0")  # a deliberate real install
    assert load_settings().base_url == url


@pytest.mark.parametrize("url", ["http://localhost:3000", "http://127.0.0.1:8000", "http://[::1]:3000",
                                 "http://portal.localhost", "http://alpha.example.test:3000"])
def test_demo_runs_on_a_local_http_base_url(url, monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO", "1")
    monkeypatch.setenv("PORTAL_BASE_URL", url)
    assert load_settings().demo and demo_problem(True, url) == ""


def test_demo_is_the_default_and_so_is_refused_on_https(monkeypatch):
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.acme.example")
    with pytest.raises(SettingsError):
        load_settings()


def _env(**over) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(over)
    return env


def test_cli_seed_refuses_with_a_clear_message(tmp_path):
    env = _env(PORTAL_DEMO="1", PORTAL_BASE_URL="https://portal.acme.example",
               PORTAL_DATABASE_URL=f"sqlite:///{tmp_path}/never.db")
    out = subprocess.run([sys.executable, "-m", "portal_app.cli", "seed"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "Client Portal will not start: PORTAL_DEMO=1" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "never.db").exists()  # refused before any work


def test_app_start_refuses_with_a_clear_message():
    """`reflex run` imports rxconfig first: the app never starts."""
    env = _env(PORTAL_DEMO="1", PORTAL_BASE_URL="https://portal.acme.example")
    out = subprocess.run([sys.executable, "-c", "import rxconfig"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "Client Portal will not start: PORTAL_DEMO=1" in out.stderr and "Traceback" not in out.stderr
    ok = subprocess.run([sys.executable, "-c", "import rxconfig"], cwd=ROOT, timeout=120,
                        env=_env(PORTAL_DEMO="1", PORTAL_BASE_URL="http://localhost:3000"))
    assert ok.returncode == 0
