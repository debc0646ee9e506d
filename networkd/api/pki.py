"""`netctl gen pki`: a CA, a server certificate and admin/reader client certificates (ECDSA P-256 leaves)."""

from __future__ import annotations

import base64
import datetime
import ipaddress
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from networkd.api.server import ADMIN_ORG, READER_ORG

VALIDITY = datetime.timedelta(days=365)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _issue(subject: x509.Name, key: ec.EllipticCurvePrivateKey, ca_name: x509.Name,
           ca_key: ec.EllipticCurvePrivateKey, *, ca: bool = False, server_sans: list[str] | None = None,
           client: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + VALIDITY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else [ExtendedKeyUsageOID.SERVER_AUTH]
        b = b.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if server_sans:
        names: list[x509.GeneralName] = []
        for s in server_sans:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(s)))
            except ValueError:
                names.append(x509.DNSName(s))
        b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return b.sign(ca_key, hashes.SHA256())


def generate(directory: Path, sans: list[str], endpoints: list[str]) -> list[Path]:
    """Write ca, server, admin and reader key pairs plus a netctl config; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name("networkd CA", "networkd")
    ca = _issue(ca_name, ca_key, ca_name, ca_key, ca=True)
    written: list[Path] = []

    def write(name: str, data: bytes, mode: int) -> None:
        path = directory / name
        path.write_bytes(data)
        path.chmod(mode)
        written.append(path)

    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    write("ca.crt", ca_pem, 0o644)
    write("ca.key", _pem_key(ca_key), 0o600)
    pairs: dict[str, tuple[bytes, bytes]] = {}
    for name, subject, kw in (
        ("server", _name("networkd"), {"server_sans": sans}),
        ("admin", _name("admin", ADMIN_ORG), {"client": True}),
        ("reader", _name("reader", READER_ORG), {"client": True}),
    ):
        key = _key()
        cert = _issue(subject, key, ca_name, ca_key, **kw)  # type: ignore[arg-type]
        crt_pem, key_pem = cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)
        write(f"{name}.crt", crt_pem, 0o644)
        write(f"{name}.key", key_pem, 0o600)
        pairs[name] = (crt_pem, key_pem)

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    config = {
        "context": "admin",
        "contexts": {
            role: {"endpoints": endpoints, "ca": b64(ca_pem), "crt": b64(pairs[role][0]), "key": b64(pairs[role][1])}
            for role in ("admin", "reader")
        },
    }
    write("netctlconfig", yaml.safe_dump(config, sort_keys=False).encode(), 0o600)
    return written
