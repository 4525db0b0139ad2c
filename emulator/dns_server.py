"""The emulator's DNS server: Azure DNS for `*.azurecr.io` as each vantage sees it, over UDP
and TCP on one loopback port (`dns` in the ready line).

The asking vantage is the query's source address (a subnet's loopback address, or 127.0.0.1
for the internet), exactly as the data plane tells callers apart; dns_answers.py decides the
answer. Wire format comes from dnspython rather than a codec of our own: name compression,
EDNS and truncation are easy to get subtly wrong, and the client side (services/probe) speaks
through the same well-tested library, so neither end has to trust hand-rolled parsing.
A UDP answer over 512 bytes (or the client's EDNS payload size) is sent truncated (TC) and the
client asks again over TCP, as RFC 1035/7766 have it.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Awaitable, Callable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from acrfence.emulator.dns_answers import DnsAnswer, answer
from acrfence.emulator.state import Tenant

_RCODES = {
    "NOERROR": dns.rcode.NOERROR,
    "NXDOMAIN": dns.rcode.NXDOMAIN,
    "REFUSED": dns.rcode.REFUSED,
    "SERVFAIL": dns.rcode.SERVFAIL,
}
_TYPES = {"A": dns.rdatatype.A, "CNAME": dns.rdatatype.CNAME}


def build_response(query: dns.message.Message, result: DnsAnswer) -> dns.message.Message:
    """The answer message: the CNAME chain always, A records when A (or ANY) was asked."""
    response = dns.message.make_response(query, recursion_available=True)
    response.set_rcode(_RCODES[result.rcode])
    if result.rcode == "REFUSED":
        return response
    qtype = query.question[0].rdtype
    for record in result.records:
        if record.kind == "A" and qtype not in (dns.rdatatype.A, dns.rdatatype.ANY):
            continue
        rrset = response.find_rrset(
            response.answer,
            dns.name.from_text(record.name),
            dns.rdataclass.IN,
            _TYPES[record.kind],
            create=True,
        )
        rrset.update_ttl(record.ttl)
        text = record.value if record.kind == "A" else record.value.rstrip(".") + "."
        rrset.add(dns.rdata.from_text(dns.rdataclass.IN, _TYPES[record.kind], text))
    return response


class DnsServer:
    def __init__(
        self,
        tenant: Tenant,
        host: str = "127.0.0.1",
        port: int = 0,
        before_answer: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.tenant = tenant
        # Run before each answer: the data plane's private listeners catch up with the tenant,
        # so an address just answered is one a client can connect to.
        self.before_answer = before_answer
        self.host = host
        self.port = port
        self.queries = 0  # answered so far (tests read it; never reset)
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.base_events.Server | None = None

    def respond(self, wire: bytes, source: str, udp: bool) -> bytes | None:
        """The wire answer to one query from `source`; None for something that isn't one."""
        try:
            query = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError):
            return None
        if len(query.question) != 1:
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        qname = query.question[0].name.to_text(omit_final_dot=True)
        self.queries += 1
        response = build_response(query, answer(self.tenant, source, qname))
        if not udp:
            return response.to_wire()
        size = max(512, query.payload) if query.edns >= 0 else 512
        try:
            return response.to_wire(max_size=size)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query, recursion_available=True)
            truncated.flags |= dns.flags.TC
            return truncated.to_wire()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        asked = self.port
        # TCP first on the asked port (0: any free one), then UDP on the same number; a free
        # TCP port whose UDP twin is taken is given back and another one tried.
        for _attempt in range(1 if asked else 20):
            self._tcp = await asyncio.start_server(self._serve_tcp, self.host, asked)
            self.port = self._tcp.sockets[0].getsockname()[1]
            try:
                self._udp, _ = await loop.create_datagram_endpoint(
                    lambda: _UdpProtocol(self), local_addr=(self.host, self.port)
                )
                return
            except OSError:
                self._tcp.close()
                await self._tcp.wait_closed()
                self._tcp = None
                if asked:
                    raise
        raise OSError(f"no port free for both UDP and TCP on {self.host}")

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            with contextlib.suppress(Exception):
                await self._tcp.wait_closed()
            self._tcp = None

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        source = (writer.get_extra_info("peername") or ("127.0.0.1", 0))[0]
        try:
            while True:
                length = struct.unpack("!H", await reader.readexactly(2))[0]
                wire = await reader.readexactly(length)
                if self.before_answer is not None:
                    await self.before_answer()
                reply = self.respond(wire, source, udp=False)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task] = set()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:  # type: ignore[override]
        task = asyncio.ensure_future(self._answer(data, addr))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, data: bytes, addr) -> None:
        if self.server.before_answer is not None:
            await self.server.before_answer()
        reply = self.server.respond(data, addr[0], udp=True)
        if reply is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)
