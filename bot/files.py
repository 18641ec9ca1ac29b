"""Downloading a file a user attached in a Teams 1:1 chat.

Teams sends it as an attachment with contentType
``application/vnd.microsoft.teams.file.download.info`` whose ``content.downloadUrl`` is a
short-lived, pre-authenticated SharePoint/OneDrive URL: a plain GET fetches it.

Only the hosts of the ``ATTACHMENT_HOSTS`` setting are fetched (SharePoint by default; tests add
their loopback stand-in), over https (plain http only on loopback). Redirects are not followed: a
3xx is refused, since its target was never checked. A file is downloaded at most once per turn
(:func:`file_attachments` hands out a reader that remembers its result, or its error), within a
total time limit well under the 15 s Teams waits for a reply, and up to a size limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from services.kernel.settings import DEFAULT_ATTACHMENT_HOSTS

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MAX_DOWNLOAD_BYTES = 5 * 1024 * 1024
TIMEOUT = aiohttp.ClientTimeout(total=8)  # connect + every byte; Teams waits 15 s for a reply


class DownloadError(Exception):
    """``str(error)`` is Japanese, for the user."""


def loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for pattern in allowed_hosts:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def allowed_url(url: str, allowed_hosts: Sequence[str] = DEFAULT_ATTACHMENT_HOSTS) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    if not host or parts.username or parts.password or not host_allowed(host, allowed_hosts):
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and loopback_host(host))


async def download(
    url: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES, allowed_hosts: Sequence[str] = DEFAULT_ATTACHMENT_HOSTS
) -> bytes:
    if not allowed_url(url, allowed_hosts):
        raise DownloadError("ダウンロード用の URL が想定外の形式です")
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            if 300 <= response.status < 400:
                raise DownloadError("ダウンロード用の URL が別の場所に転送されたため、受け取りませんでした")
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


def file_attachments(
    attachments: list[Any] | None, allowed_hosts: Sequence[str] = DEFAULT_ATTACHMENT_HOSTS
) -> list[tuple[str, Callable[[], Awaitable[bytes]]]]:
    """``(name, read)`` for each Teams file attachment of an activity. ``read()`` downloads once:
    a second call (another dialog looking at the same file) gets the same bytes, or the same error."""
    found = []
    for attachment in attachments or []:
        if getattr(attachment, "content_type", None) != FILE_DOWNLOAD_INFO:
            continue
        content = attachment.content if isinstance(attachment.content, dict) else {}
        url = content.get("downloadUrl")
        if not isinstance(url, str) or not url:
            continue
        name = attachment.name if isinstance(attachment.name, str) and attachment.name else "file"
        found.append((name, _once(url, allowed_hosts)))
    return found


def _once(url: str, allowed_hosts: Sequence[str]) -> Callable[[], Awaitable[bytes]]:
    outcome: list[bytes | DownloadError] = []

    async def read() -> bytes:
        if not outcome:
            try:
                outcome.append(await download(url, allowed_hosts=allowed_hosts))
            except DownloadError as error:
                outcome.append(error)
        result = outcome[0]
        if isinstance(result, DownloadError):
            raise result
        return result

    return read
