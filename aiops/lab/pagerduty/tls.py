"""The sandbox's TLS: a throwaway CA and a 127.0.0.1/localhost certificate it issued.

The ``pagerduty`` client refuses plain http, so the sandbox serves https. ``trustme`` makes the
CA; the CA certificate (public, what clients trust: ``pagerduty.ca_bundle``) and the server's
certificate and key are written to a directory, so a sandbox restarted on the same state keeps
the CA its clients already trust. The key file is private (mode 0600).
"""

from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path

CA_FILE, CERT_FILE, KEY_FILE = "ca.pem", "server.pem", "server.key"


def certificates(directory: Path | None = None) -> tuple[ssl.SSLContext, str]:
    """(server SSL context, CA bundle path): reuses the files in ``directory`` when present."""
    directory = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="aiops-pd-tls-"))
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (directory / n for n in (CA_FILE, CERT_FILE, KEY_FILE))
    if not (ca_path.is_file() and cert_path.is_file() and key_path.is_file()):
        import trustme

        ca = trustme.CA(organization_name="aiops lab PagerDuty sandbox")
        cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(cert.private_key_pem.bytes())
        cert_path.write_bytes(b"".join(p.bytes() for p in cert.cert_chain_pems))
        ca_path.write_bytes(ca.cert_pem.bytes())
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert_path), str(key_path))
    return ctx, str(ca_path)
