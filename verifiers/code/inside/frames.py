"""Messages between the processes inside the sandbox. Stdlib only (runs inside the sandbox).

Pipes carry length-prefixed frames (4-byte big-endian length, then the bytes), so a reader knows
where a message ends and can refuse one over its cap before reading it. The server and the
zygote, and the zygote and a test process, talk over SOCK_SEQPACKET socket pairs: one JSON
message per packet, with descriptors attached (SCM_RIGHTS) when a process is handed pipes.
"""
from __future__ import annotations

import array
import json
import os
import socket
import struct
from typing import Any, Optional

HEADER = struct.Struct(">I")
PACKET = 1 << 16
MAX_FDS = 16
CHUNK = 1 << 16  # (under malloc's mmap threshold: a larger buffer, cut down to what came, is a fresh mapping each read)


class ChannelClosed(EOFError):
    """The other end closed the channel (or died)."""


class FrameTooLarge(ValueError):
    """The announced frame is over the reader's cap."""


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send_frame(fd: int, payload: bytes) -> None:
    write_all(fd, HEADER.pack(len(payload)) + payload)


class BlockingFrames:
    """Frames from a blocking descriptor, read in large chunks (one system call for a small frame)."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd, self.cap = fd, cap
        self.buf = bytearray()

    def _fill(self, n: int) -> None:
        while len(self.buf) < n:
            chunk = os.read(self.fd, max(1 << 16, n - len(self.buf)))
            if not chunk:
                raise ChannelClosed("end of file")
            self.buf += chunk

    def read(self) -> bytes:
        self._fill(HEADER.size)
        (size,) = HEADER.unpack_from(self.buf)
        if size > self.cap:
            raise FrameTooLarge(f"a message of {size} bytes (cap {self.cap})")
        self._fill(HEADER.size + size)
        frame = bytes(self.buf[HEADER.size:HEADER.size + size])
        del self.buf[:HEADER.size + size]
        return frame


class FrameReader:
    """Incremental frame reading from a non-blocking descriptor, for select loops."""

    def __init__(self, fd: int, cap: int) -> None:
        self.fd, self.cap = fd, cap
        self.buf = bytearray()
        self.closed = False

    def feed(self) -> None:
        """Read what is there now; sets `closed` at end of file. A read that returns less than it
        asked for emptied the pipe: no second read just to be told so (a system call a reply)."""
        while True:
            try:
                data = os.read(self.fd, CHUNK)
            except BlockingIOError:
                return
            if not data:
                self.closed = True
                return
            self.buf += data
            if len(self.buf) > self.cap + HEADER.size:
                raise FrameTooLarge(f"more than {self.cap} bytes unread")
            if len(data) < CHUNK:
                return

    def pop(self) -> Optional[bytes]:
        """The next whole frame, or None while it is incomplete."""
        if len(self.buf) < HEADER.size:
            return None
        (size,) = HEADER.unpack_from(self.buf)
        if size > self.cap:
            raise FrameTooLarge(f"a message of {size} bytes (cap {self.cap})")
        if len(self.buf) < HEADER.size + size:
            return None
        frame = bytes(self.buf[HEADER.size:HEADER.size + size])
        del self.buf[:HEADER.size + size]
        return frame


def send_msg(sock: socket.socket, msg: dict, fds: tuple[int, ...] = ()) -> None:
    data = json.dumps(msg).encode()
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.send(data)


def _recv(sock: socket.socket, flags: int) -> tuple[dict, list[int]]:
    # (socket.recv_fds ignores its flags argument before Python 3.12, hence recvmsg here)
    fds = array.array("i")
    data, ancdata, _flags, _addr = sock.recvmsg(PACKET, socket.CMSG_LEN(MAX_FDS * fds.itemsize), flags)
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - (len(payload) % fds.itemsize)])
    if not data:
        for fd in fds:
            os.close(fd)
        raise ChannelClosed("peer closed")
    return json.loads(data), list(fds)


def recv_msg(sock: socket.socket) -> tuple[dict, list[int]]:
    """One message and the descriptors that came with it; ChannelClosed when the peer is gone."""
    return _recv(sock, 0)


def recv_msg_nowait(sock: socket.socket) -> tuple[dict, list[int]]:
    """`recv_msg` that raises BlockingIOError when nothing is waiting."""
    return _recv(sock, socket.MSG_DONTWAIT)


def read_available(fd: int, cap: int, buf: bytearray) -> bool:
    """Read what is there without blocking; False once the writer side is closed, or once more
    than `cap` bytes came (the reader then closes its end: a writer that goes on gets EPIPE)."""
    while True:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return True
        if not data:
            return False
        room = cap + 1 - len(buf)
        if room > 0:
            buf.extend(data[:room])
        if len(buf) > cap:
            return False


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()
