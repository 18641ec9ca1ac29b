"""A local stand-in for the OneDrive upload session Teams hands the bot in ``uploadInfo.uploadUrl``.

It checks each ``PUT`` as OneDrive does: ``Content-Range: bytes START-END/TOTAL`` that continues where
the last chunk ended, ``Content-Length`` equal to the body, every chunk but the last a multiple of
320 KiB, every chunk under 60 MiB, one total throughout. Intermediate chunks get 202 with
``nextExpectedRanges``, the last 201 with the drive item. The bytes are reassembled per session.
``refuse[session] = status`` makes a session answer that status instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

UNIT = 320 * 1024
MAX_CHUNK = 60 * 1024 * 1024
_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass
class Upload:
    total: int | None = None
    data: bytearray = field(default_factory=bytearray)
    chunks: list[dict[str, Any]] = field(default_factory=list)
    complete: bool = False


@dataclass
class OneDriveStandIn:
    url: str = ""
    uploads: dict[str, Upload] = field(default_factory=dict)
    refuse: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # protocol violations seen (a test asserts none)
    _runner: web.AppRunner | None = None

    async def start(self) -> OneDriveStandIn:
        app = web.Application(client_max_size=MAX_CHUNK + 1)
        app.router.add_put("/upload/{session}", self._put)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def session_url(self, session: str) -> str:
        return f"{self.url}/upload/{session}"

    def bytes_of(self, session: str) -> bytes:
        upload = self.uploads[session]
        assert upload.complete, f"upload {session} is not complete"
        return bytes(upload.data)

    def _problem(self, text: str) -> web.Response:
        self.problems.append(text)
        return web.json_response({"error": {"code": "invalidRange", "message": text}}, status=416)

    async def _put(self, request: web.Request) -> web.Response:
        session = request.match_info["session"]
        body = await request.read()
        upload = self.uploads.setdefault(session, Upload())
        upload.chunks.append(
            {
                "range": request.headers.get("Content-Range"),
                "length": request.headers.get("Content-Length"),
                "size": len(body),
            }
        )
        if session in self.refuse:
            return web.json_response({"error": {"code": "accessDenied"}}, status=self.refuse[session])
        match = _RANGE.match(request.headers.get("Content-Range", ""))
        if match is None:
            return self._problem(f"bad Content-Range {request.headers.get('Content-Range')!r}")
        start, end, total = (int(g) for g in match.groups())
        if request.headers.get("Content-Length") != str(len(body)):
            return self._problem(
                f"Content-Length {request.headers.get('Content-Length')} for {len(body)} bytes"
            )
        if end - start + 1 != len(body):
            return self._problem(f"range {start}-{end} for {len(body)} bytes")
        if upload.total is None:
            upload.total = total
        if total != upload.total or start != len(upload.data) or upload.complete:
            return self._problem(f"range {start}-{end}/{total} after {len(upload.data)}/{upload.total}")
        if len(body) >= MAX_CHUNK:
            return self._problem(f"a chunk of {len(body)} bytes")
        last = end + 1 == total
        if not last and len(body) % UNIT:
            return self._problem(f"a chunk of {len(body)} bytes is not a multiple of 320 KiB")
        upload.data += body
        if not last:
            return web.json_response({"nextExpectedRanges": [f"{end + 1}-"]}, status=202)
        upload.complete = True
        return web.json_response({"id": f"item-{session}", "name": session, "size": total}, status=201)
