"""Downloading a file a user attached in a Teams 1:1 chat.

Teams sends it as an attachment with contentType
``application/vnd.microsoft.teams.file.download.info`` whose ``content.downloadUrl`` is a
short-lived, pre-authenticated SharePoint/OneDrive URL: a plain GET fetches it. Only https URLs are
fetched (plain http only on loopback, for local tests), and only up to a size limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MAX_DOWNLOAD_BYTES = 5 * 1024 * 1024
TIMEOUT = aiohttp.ClientTimeout(total=60)


class DownloadError(Exception):
    """``str(error)`` is Japanese, for the user."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and bool(parts.hostname) and _loopback(parts.hostname or "")


async def download(url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    if not allowed_url(url):
        raise DownloadError("ダウンロード用の URL が想定外の形式です")
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session, session.get(url) as response:
            if response.status != 200:
                raise DownloadError(f"ダウンロードに失敗しました（HTTP {response.status}）")
            if (response.content_length or 0) > max_bytes:
                raise DownloadError(f"ファイルが大きすぎます（{max_bytes // 1024 // 1024} MB まで）")
            data = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise DownloadError(f"ファイルが大きすぎます（{max_bytes // 1024 // 1024} MB まで）")
            return bytes(data)
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DownloadError(f"ダウンロードできませんでした（{type(error).__name__}）") from error


def file_attachments(attachments: list[Any] | None) -> list[tuple[str, Callable[[], Awaitable[bytes]]]]:
    """``(name, read)`` for each Teams file attachment of an activity."""
    found = []
    for attachment in attachments or []:
        if getattr(attachment, "content_type", None) != FILE_DOWNLOAD_INFO:
            continue
        content = attachment.content if isinstance(attachment.content, dict) else {}
        url = content.get("downloadUrl") or ""
        if not url:
            continue

        async def read(url: str = url) -> bytes:
            return await download(url)

        found.append((attachment.name or "file", read))
    return found
