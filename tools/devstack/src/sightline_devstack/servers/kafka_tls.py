"""TLS on a devstack broker's client listener, so tests exercise the transport production has
(Strimzi's TLS listener: clients verify the broker against the cluster CA).

A throwaway CA signs the broker's certificate (SAN: the loopback address and `localhost`); the
broker reads both as PEM files, and a client trusts the CA through `SIGHTLINE_KAFKA_CA_FILE`, as
a pod does with the mounted `sightline-cluster-ca-cert`. The controller listener stays on loopback
without TLS. Certificates are made once per state folder with `openssl` (Debian's).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from sightline_devstack.errors import PlatformError

_DAYS = "825"


@dataclass(frozen=True)
class BrokerCertificates:
    """The CA clients trust and the broker's key with its certificate chain (PEM)."""

    ca_file: Path
    keystore: Path


def ensure_certificates(folder: Path, host: str) -> BrokerCertificates:
    """The CA and broker files in `folder`, made when missing (idempotent)."""
    made = BrokerCertificates(ca_file=folder / "ca.crt", keystore=folder / "broker.pem")
    if made.ca_file.exists() and made.keystore.exists():
        return made
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, key, csr, cert = (
        folder / n for n in ("ca.key", "broker.key", "broker.csr", "broker.crt")
    )
    extensions = folder / "broker.ext"
    extensions.write_text(f"subjectAltName=IP:{host},DNS:localhost\n")
    ca_subject, broker_subject = "/CN=sightline-devstack-ca", "/CN=sightline-devstack-broker"
    new_key = ["-newkey", "rsa:2048", "-nodes", "-days", _DAYS]
    _openssl("req", "-x509", *new_key, "-keyout", ca_key, "-out", made.ca_file, "-subj", ca_subject)
    _openssl("req", *new_key[:3], "-keyout", key, "-out", csr, "-subj", broker_subject)
    signing = ["-CA", made.ca_file, "-CAkey", ca_key, "-CAcreateserial", "-days", _DAYS]
    _openssl("x509", "-req", "-in", csr, *signing, "-out", cert, "-extfile", extensions)
    pkcs8 = folder / "broker.pk8"
    _openssl("pkcs8", "-topk8", "-nocrypt", "-in", key, "-out", pkcs8)  # Kafka's PEM key form
    made.keystore.touch(mode=0o600)
    made.keystore.write_text(pkcs8.read_text() + cert.read_text() + made.ca_file.read_text())
    for spent in (ca_key, key, csr, pkcs8, folder / "ca.srl"):
        spent.unlink(missing_ok=True)
    return made


def server_properties(certificates: BrokerCertificates) -> str:
    """Lines appended to server.properties: the broker's PEM key store and the CA it trusts
    (its own inter-broker connection verifies the same certificate a client does)."""
    return "\n".join(
        [
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={certificates.keystore}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={certificates.ca_file}",
            "ssl.endpoint.identification.algorithm=https",
            "",
        ]
    )


def _openssl(*args: object) -> None:
    done = subprocess.run(
        ["openssl", *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        raise PlatformError(f"openssl {args[0]} failed: {done.stderr.strip()[-500:]}")
