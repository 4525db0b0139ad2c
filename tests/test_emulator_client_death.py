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
        [sys.executable, "-m", "acrfence.tui.cli", "emulator", "--latency-ms", "200"],
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
        with httpx.Client(verify=ssl.create_default_context(cafile=info["ca_cert"])) as client:
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


# ---- long-running operations whose client is gone -----------------------------------------

NETWORK_API = "2024-05-01"


def _docker_subnet_id() -> str:
    from acrfence.emulator.seeds import SUB_PRODUCTION
    from acrfence.services.models import subnet_id

    return subnet_id(SUB_PRODUCTION, "myResourceGroup", "myDockerVMVNET", "myDockerVMSubnet")


def _put_and_walk_away(handle, subnet_id: str) -> None:
    """Start a subnet PUT (adding the ACR endpoint) and never poll it: the client is gone."""
    raw = handle.state.get_subnet(subnet_id)
    kept = ("addressPrefix", "serviceEndpoints", "delegations")
    body = {"properties": {k: v for k, v in raw["properties"].items() if k in kept}}
    body["properties"]["serviceEndpoints"] = [
        {"service": e["service"]} for e in body["properties"].get("serviceEndpoints") or []
    ] + [{"service": "Microsoft.ContainerRegistry"}]
    with httpx.Client(verify=ssl.create_default_context(cafile=handle.ca_cert)) as client:
        answer = client.put(
            f"{handle.arm_endpoint}{subnet_id}",
            params={"api-version": NETWORK_API},
            headers={"Authorization": f"Bearer {handle.token}"},
            json=body,
        )
    assert answer.status_code in (200, 201), answer.text
    assert "Azure-AsyncOperation" in answer.headers


def _updating(document: str) -> bool:
    return '"Updating"' in document


def _states(handle, subnet_id: str) -> list[str]:
    props = handle.state.get_subnet(subnet_id)["properties"]
    return [props["provisioningState"]] + [
        e.get("provisioningState", "Succeeded") for e in props.get("serviceEndpoints") or []
    ]


def test_an_operation_nobody_polls_finishes_on_its_own(make_emulator) -> None:
    import threading

    from acrfence.emulator.arm.context import Settings

    handle = make_emulator(seed="demo", settings=Settings(lro_auto_finish_s=0.2))
    subnet = _docker_subnet_id()
    _put_and_walk_away(handle, subnet)
    assert "Updating" in _states(handle, subnet)
    # The tenant tells its listeners of every change: wake when the operation has finished.
    settled = threading.Event()
    handle.state.on_change(lambda: "Updating" in _states(handle, subnet) or settled.set())
    if "Updating" not in _states(handle, subnet):
        settled.set()
    assert settled.wait(timeout=30), "the operation never finished"
    assert set(_states(handle, subnet)) == {"Succeeded"}


def test_stopping_the_emulator_finishes_operations_in_flight(make_emulator, tmp_path) -> None:
    from acrfence.emulator.arm.context import Settings

    state = tmp_path / "tenant.json"
    # An auto-finish far away: only the stop can finish it.
    handle = make_emulator(seed="demo", state_file=state, settings=Settings(lro_auto_finish_s=600))
    _put_and_walk_away(handle, _docker_subnet_id())
    assert _updating(state.read_text())
    handle.stop()
    assert not _updating(state.read_text())


def test_a_restart_leaves_no_resource_updating(make_emulator, tmp_path) -> None:
    """A state saved mid-operation (the process was killed: no stop ran) loads finished."""
    from acrfence.emulator.arm.context import Settings

    state = tmp_path / "tenant.json"
    first = make_emulator(seed="demo", state_file=state, settings=Settings(lro_auto_finish_s=600))
    subnet = _docker_subnet_id()
    _put_and_walk_away(first, subnet)
    killed_copy = state.read_text()  # what a kill -9 leaves on disk
    first.stop()
    state.write_text(killed_copy)
    assert _updating(state.read_text())
    second = make_emulator(seed="demo", state_file=state)
    assert set(_states(second, subnet)) == {"Succeeded"}
    assert "Microsoft.ContainerRegistry" in {
        e["service"] for e in second.state.get_subnet(subnet)["properties"]["serviceEndpoints"]
    }
    assert not _updating(state.read_text())
