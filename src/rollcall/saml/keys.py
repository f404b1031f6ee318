"""RSA signing keys with self-signed certificates, for the development IdP.

The keys are made by the ``openssl`` command-line tool: the Python ``cryptography``
package is not among Rollcall's dependencies, and the SAML library's ``xmlsec``
binding can load keys and certificates but not create a certificate.
"""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class KeyPair:
    """A private key and its self-signed certificate, both PEM text."""

    key_pem: str
    cert_pem: str

    @property
    def cert_base64(self) -> str:
        """The certificate as metadata carries it: base64 DER on one line."""
        lines = self.cert_pem.strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def generate_key_pair(common_name: str, *, days: int = 3650) -> KeyPair:
    """A fresh 2048-bit RSA key and a self-signed SHA-256 certificate for it.

    :raises RuntimeError: the ``openssl`` tool is missing or failed.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is needed to make a signing key")
    with tempfile.TemporaryDirectory() as workdir:
        key_path, cert_path = Path(workdir, "key.pem"), Path(workdir, "cert.pem")
        command = [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-sha256",
            "-nodes",
            "-days",
            str(days),
            "-subj",
            f"/CN={common_name}",
            "-keyout",
            str(key_path),
            "-out",
            str(cert_path),
        ]
        result = subprocess.run(command, capture_output=True, check=False)  # noqa: S603  (fixed argv, no shell)
        if result.returncode != 0:
            raise RuntimeError("openssl could not make a signing key")
        return KeyPair(key_path.read_text(), cert_path.read_text())
