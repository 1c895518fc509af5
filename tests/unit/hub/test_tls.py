"""`jotunheim hub --tls-port`: devices and operators reach the hub through the ALPN-optional
TLS front (a real process, a self-signed certificate, grpcio TLS clients)."""

import asyncio
import datetime
import ipaddress
import os
import subprocess
import sys

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from jotunheim._gen import hub_pb2, hub_pb2_grpc

from .fake_device import FakeDevice


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hub.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_pem


def test_hub_serves_devices_and_operators_over_tls(tmp_path):
    cert_pem = _self_signed(tmp_path)
    data = tmp_path / "hub"
    cmd = [sys.executable, "-m", "jotunheim", "hub", "--port", "0", "--data-dir", str(data)]
    cmd += ["--tls-port", "0", "--tls-host", "127.0.0.1"]
    cmd += ["--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem")]
    env = dict(os.environ, JOTUNHEIM_TOKEN="", JOTUNHEIM_LOG="WARNING")
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    try:
        tls_addr = None
        for line in proc.stdout:
            if line.startswith("hub tls on "):
                tls_addr = line.split()[-1]
            if " listening on " in line:
                break
        assert tls_addr and tls_addr.startswith("127.0.0.1:")
        token = (data / "operator_token").read_text().strip()
        asyncio.run(asyncio.wait_for(_over_tls(tls_addr, token, cert_pem), 60))
    finally:
        proc.terminate()
        proc.wait(10)


async def _over_tls(address, token, cert_pem):
    creds = grpc.ssl_channel_credentials(root_certificates=cert_pem)
    md = (("authorization", "Bearer " + token),)
    async with grpc.aio.secure_channel(address, creds) as ch:
        ops = hub_pb2_grpc.HubOperatorStub(ch)
        resp = await ops.ProvisionDevice(hub_pb2.ProvisionRequest(device_id="t1"), metadata=md)
        dev = FakeDevice([address], "t1", bytes.fromhex(resp.key), credentials=creds)
        welcome = await dev.connect()
        assert welcome.session_id
        devices = await ops.ListDevices(hub_pb2.ListDevicesRequest(), metadata=md)
        assert [d.device_id for d in devices.devices if d.online] == ["t1"]
        await dev.drop()
