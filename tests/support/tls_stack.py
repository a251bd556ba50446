"""Certificates on demand, offline: Pebble (Let's Encrypt's test ACME server, Debian package
`pebble`) as the certificate authority and Caddy (Debian package `caddy`) running the shipped
deploy/Caddyfile, both on free loopback ports, in a folder of their own, as processes this test
starts and stops (never a system service, never ports 80/443, Caddy's admin API off).

- Pebble answers ACME over https: its own little CA (made here with `cryptography`) signs the
  certificate for 127.0.0.1 that Pebble serves, and Caddy trusts that CA (`acme_ca_root`).
  PEBBLE_VA_ALWAYS_VALID=1 makes every challenge pass without a lookup, so no DNS and no port 80
  are needed; PEBBLE_VA_NOSLEEP=1 drops its artificial delays; PEBBLE_WFE_NONCEREJECT=0 stops it
  rejecting 5 % of good nonces (each costs Caddy a retry).
- Caddy's config is deploy/Caddyfile itself: its global block gets the test-only options (ports,
  storage folder, Pebble as the CA, admin off) inserted, and its environment placeholders are set
  (the app's address, the base host). The site blocks are the shipped ones, untouched.

bench/caddy_tls.py uses the same runners.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_CADDYFILE = ROOT / "deploy" / "Caddyfile"
CADDY = "/usr/bin/caddy"
PEBBLE = "/usr/bin/pebble"


def binaries_missing() -> list[str]:
    return [p for p in (CADDY, PEBBLE) if not os.access(p, os.X_OK)]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process this module started (its own process group), by its id."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


def _wait_listening(proc: subprocess.Popen, port: int, log: Path, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not listen on {port} in {timeout:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def _pebble_https_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and the certificate Pebble's ACME endpoint serves (127.0.0.1, localhost)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA for Pebble's ACME endpoint")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "acme-ca.pem", folder / "acme-cert.pem", folder / "acme-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


class Pebble:
    """A Pebble ACME server on free loopback ports; `directory` is its ACME directory URL."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.ca_file, cert, key = _pebble_https_cert(folder)
        self.port, self.mgmt_port = free_port(), free_port()
        config = {"pebble": {"listenAddress": f"127.0.0.1:{self.port}",
                             "managementListenAddress": f"127.0.0.1:{self.mgmt_port}",
                             "certificate": str(cert), "privateKey": str(key),
                             # challenge ports: unused with PEBBLE_VA_ALWAYS_VALID, but never 80/443
                             "httpPort": free_port(), "tlsPort": free_port(),
                             "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        (folder / "pebble.json").write_text(json.dumps(config))
        self.directory = f"https://127.0.0.1:{self.port}/dir"
        self.log = folder / "pebble.log"
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_VA_ALWAYS_VALID": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([PEBBLE, "-config", str(folder / "pebble.json")], cwd=folder, env=env,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_listening(self.proc, self.port, self.log, "pebble")
            _wait_listening(self.proc, self.mgmt_port, self.log, "pebble (management)")
        except BaseException:
            self.stop()
            raise

    def _management(self, path: str) -> str:
        import httpx

        return httpx.get(f"https://127.0.0.1:{self.mgmt_port}{path}", verify=str(self.ca_file), timeout=10).text

    def issuing_root_pem(self) -> str:
        """The root Pebble signs certificates under (made afresh at every start)."""
        return self._management("/roots/0")

    def issuing_intermediate_pem(self) -> str:
        return self._management("/intermediates/0")

    def stop(self) -> None:
        _stop(self.proc)


def caddyfile_for_test(*, upstream: str, client_build: Path, base_host: str, pebble: Pebble, storage: Path,
                       http_port: int, https_port: int) -> tuple[str, dict[str, str]]:
    """deploy/Caddyfile with the test-only global options inserted at the top of its global block,
    and the environment its placeholders read."""
    shipped = SHIPPED_CADDYFILE.read_text()
    lines = shipped.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#"))
    assert lines[first].strip() == "{", "deploy/Caddyfile must start with its global options block"
    extra = [
        "\t# --- inserted by tests/support/tls_stack.py: loopback ports, Pebble as the CA ---",
        "\tadmin off",
        f"\tstorage file_system {storage}",
        f"\thttp_port {http_port}",
        f"\thttps_port {https_port}",
        "\tdefault_bind 127.0.0.1",
        f"\tacme_ca {pebble.directory}",
        f"\tacme_ca_root {pebble.ca_file}",
        "\tskip_install_trust",
        "\t# --- the shipped global options follow ---",
    ]
    text = "\n".join(lines[:first + 1] + extra + lines[first + 1:]) + "\n"
    return text, {"PORTAL_UPSTREAM": upstream, "PORTAL_CLIENT_BUILD": str(client_build), "PORTAL_BASE_HOST": base_host,
                  "PORTAL_ACME_EMAIL": "ops@portal.test"}


class Caddy:
    """Caddy running deploy/Caddyfile (plus the test options) in `folder`: its storage, config and
    home are there, so nothing of the machine's Caddy (if any) is read or written."""

    def __init__(self, folder: Path, *, upstream: str, client_build: Path, base_host: str, pebble: Pebble):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.http_port, self.https_port = free_port(), free_port()
        text, placeholders = caddyfile_for_test(upstream=upstream, client_build=client_build, base_host=base_host,
                                                pebble=pebble,
                                                storage=folder / "storage", http_port=self.http_port,
                                                https_port=self.https_port)
        config = folder / "Caddyfile"
        config.write_text(text)
        self.log = folder / "caddy.log"
        env = {**os.environ, **placeholders, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
               "XDG_CONFIG_HOME": str(folder / "config")}
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
                                         cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        try:
            _wait_listening(self.proc, self.https_port, self.log, "caddy")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        _stop(self.proc)


def handshake(port: int, hostname: str, cafile: str | None = None, timeout: float = 60):
    """A TLS handshake with SNI `hostname` on 127.0.0.1:`port`; the served leaf certificate
    (cryptography's x509.Certificate). With `cafile`, the chain and the name are verified
    against it; without, nothing is verified (to look at what is served)."""
    from cryptography import x509

    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw, \
            ctx.wrap_socket(raw, server_hostname=hostname) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def names_of(cert) -> list[str]:
    from cryptography import x509

    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


def issuer_cn(cert) -> str:
    from cryptography.x509.oid import NameOID

    return str(cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


class Portal:
    """The app as production runs it behind the proxy: `python -m portal_app.cli migrate`, `seed`
    (demo workspace) and `serve` (granian, the production frontend build, one worker, SQLite) from a
    copy of the sources, on a free loopback port, with PORTAL_TRUSTED_PROXY_HOPS=1."""

    def __init__(self, folder: Path, timeout: float = 600):
        import sys

        import httpx

        from tests.support.app_copy import copy_app

        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.upstream = f"127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{folder / 'portal.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "REFLEX_REDIS"))}
        env.update({
            "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}",
            "REFLEX_USE_SYSTEM_BUN": "1", "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
            "PORTAL_PORT": str(self.port), "PORTAL_BASE_URL": f"http://localhost:{self.port}", "PORTAL_DEMO": "1",
            "PORTAL_DATABASE_URL": self.database_url, "PORTAL_WORKERS": "1", "PORTAL_TRUSTED_PROXY_HOPS": "1",
            "PORTAL_STORAGE_DIR": str(folder / "files"), "PORTAL_SECRET_KEY_FILE": str(folder / "secret.key"),
            "PORTAL_STRIPE_API_BASE": "http://127.0.0.1:9", "PORTAL_MAIL": "outbox",
        })
        app = copy_app(folder)
        self.client_build = app / ".web" / "build" / "client"
        for cmd in ("migrate", "seed"):
            subprocess.run([sys.executable, "-m", "portal_app.cli", cmd], cwd=app, env=env, check=True,
                           capture_output=True, timeout=300)
        self.log = folder / "serve.log"
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "portal_app.cli", "serve", "--host", "127.0.0.1"],
                                         cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout  # the frontend build, then the worker imports the app
        try:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"serve exited:\n{self.log.read_text()[-3000:]}")
                try:
                    if httpx.get(f"http://{self.upstream}/api/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"serve did not come up:\n{self.log.read_text()[-3000:]}")
                time.sleep(0.5)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        _stop(self.proc)


def websocket_open(port: int, hostname: str, path: str, origin: str, cafile: str, timeout: float = 30) -> tuple[str, bytes]:
    """A websocket handshake over TLS (SNI and Host `hostname`, verified against `cafile`) on
    127.0.0.1:`port`: the status line and the payload of the first frame the server sends
    (engine.io's open packet for Reflex's /_event/ socket). Frames from a server are unmasked."""
    import base64
    import secrets

    ctx = ssl.create_default_context(cafile=cafile)
    request = (f"GET {path} HTTP/1.1\r\nHost: {hostname}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {base64.b64encode(secrets.token_bytes(16)).decode()}\r\n"
               f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw, \
            ctx.wrap_socket(raw, server_hostname=hostname) as tls:
        tls.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].decode()
        if not status.startswith("HTTP/1.1 101"):
            return status, b""
        while len(rest) < 2:
            rest += tls.recv(4096)
        length = rest[1] & 0x7F
        start = 2
        if length == 126:
            while len(rest) < 4:
                rest += tls.recv(4096)
            length, start = int.from_bytes(rest[2:4], "big"), 4
        while len(rest) < start + length:
            rest += tls.recv(4096)
        return status, rest[start:start + length]
