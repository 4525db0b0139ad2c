"""The emulator and clients that die: no traceback on its output, and no resource left
"Updating" (issue 8)."""

from __future__ import annotations

import json
import signal
import socket
import ssl
import struct
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _reset(sock: ssl.SSLSocket) -> None:
    """Close with an RST, as a killed process's socket does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _tls(info: dict, port: int, server_name: str) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=info["ca_cert"])
    context.check_hostname = False
    return context.wrap_socket(
        socket.create_connection(("127.0.0.1", port)), server_hostname=server_name
    )


def test_a_client_dying_mid_request_prints_no_traceback() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "emulator", "--latency-ms", "200"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        info = json.loads(process.stdout.readline())
        arm_port = int(info["arm_endpoint"].rsplit(":", 1)[1])
        registry_port = int(info["registry_port"])
        # ARM: half a request body, then the client dies while the server reads the rest.
        arm = _tls(info, arm_port, "127.0.0.1")
        arm.sendall(
            b"PUT /subscriptions/x/resourceGroups/r/providers/Microsoft.Network/virtualNetworks"
            b"/v/subnets/s?api-version=2024-05-01 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + info["token"].encode() + b"\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"propert'
        )
        # Data plane: a whole request, then the client dies while the answer is delayed.
        dataplane = _tls(info, registry_port, "mycontainerregistry.azurecr.io")
        dataplane.sendall(b"GET /v2/ HTTP/1.1\r\nHost: mycontainerregistry.azurecr.io\r\n\r\n")
        _reset(arm)
        _reset(dataplane)
        # Requests after them (each behind the same latency) are answered: both were handled.
        with httpx.Client(verify=info["ca_cert"]) as client:
            metadata = f"{info['arm_endpoint']}/metadata/endpoints?api-version=2022-09-01"
            assert client.get(metadata).status_code == 200
        follow_up = _tls(info, registry_port, "mycontainerregistry.azurecr.io")
        follow_up.sendall(b"GET /v2/ HTTP/1.1\r\nHost: mycontainerregistry.azurecr.io\r\n\r\n")
        assert follow_up.recv(64).startswith(b"HTTP/1.1 401")
        follow_up.close()
    finally:
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in errors and "ConnectionResetError" not in errors, errors
