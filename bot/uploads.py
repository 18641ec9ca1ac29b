"""Large files a user attached in a Teams 1:1 chat, streamed to disk (not held in memory).

``bot.files`` downloads small files (imports) into memory. The linkage audit takes files as large as
a city's registry extract (about 100 MB), so :func:`save_to` writes the download in chunks to a file
created with mode 0600 (``O_EXCL``: never over an existing file), with a size cap and a total time
limit, and without following redirects (the pre-authenticated URL is the file). A partial file is
removed on any failure. Only the URL rules of ``bot.files`` are accepted (https; plain http only on
loopback, for tests). Nothing here logs more than the file's name and size.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.files import FILE_DOWNLOAD_INFO, allowed_url
from dialogs.base import IncomingFile, SaveTo, UploadFailed

logger = logging.getLogger(__name__)

CHUNK = 1 << 20  # 1 MiB per write


def _mb(limit: int) -> str:
    return f"{limit / 1024 / 1024:.0f} MB"


def _url_ok(url: str, allowed_hosts: Sequence[str] | None) -> bool:
    if allowed_hosts is not None:
        return allowed_url(url, allowed_hosts)
    parts = urlsplit(url)  # no host list: any https host, or plain http on loopback
    return allowed_url(url, (parts.hostname or "",)) if parts.hostname else False


async def save_to(
    url: str, target: Path, max_bytes: int, timeout_seconds: float, allowed_hosts: Sequence[str] | None = None
) -> int:
    """Stream ``url`` into ``target`` (created 0600); the bytes written. Raises :class:`UploadFailed`.
    ``allowed_hosts``: the hosts Teams serves attachments from (``ATTACHMENT_HOSTS``); the bot always
    passes them."""
    if not _url_ok(url, allowed_hosts):
        raise UploadFailed("ダウンロード用の URL が想定外の形式です。")
    written = 0
    # O_EXCL: a file already there is never overwritten (nor removed below)
    handle = os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
    try:
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise UploadFailed(f"ファイルを受け取れませんでした（HTTP {response.status}）。")
            if (response.content_length or 0) > max_bytes:
                raise UploadFailed(f"ファイルが大きすぎます（{_mb(max_bytes)} まで）。")
            async for chunk in response.content.iter_chunked(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadFailed(f"ファイルが大きすぎます（{_mb(max_bytes)} まで）。")
                await asyncio.to_thread(handle.write, chunk)
        handle.close()
        handle = None
        return written
    except UploadFailed:
        _remove(handle, target)
        raise
    except (aiohttp.ClientError, TimeoutError) as error:
        _remove(handle, target)
        raise UploadFailed(f"ファイルを受け取れませんでした（{type(error).__name__}）。") from None
    except BaseException:
        _remove(handle, target)
        raise


def _remove(handle: Any, target: Path) -> None:
    if handle is not None:
        handle.close()
    target.unlink(missing_ok=True)


def saver(url: str, allowed_hosts: Sequence[str] | None = None) -> SaveTo:
    async def save(target: Path, max_bytes: int, timeout_seconds: float) -> int:
        return await save_to(url, target, max_bytes, timeout_seconds, allowed_hosts)

    return save


def with_savers(
    files: Sequence[IncomingFile], attachments: list[Any] | None, allowed_hosts: Sequence[str] | None = None
) -> list[IncomingFile]:
    """``files`` (from ``bot.files.file_attachments``, in attachment order) with ``save`` set from
    the same attachments' ``downloadUrl``."""
    urls = []
    for attachment in attachments or []:
        if getattr(attachment, "content_type", None) != FILE_DOWNLOAD_INFO:
            continue
        content = attachment.content if isinstance(attachment.content, dict) else {}
        if content.get("downloadUrl"):
            urls.append(str(content["downloadUrl"]))
    if len(urls) != len(files):
        return list(files)
    return [
        IncomingFile(f.name, f.read, saver(url, allowed_hosts)) for f, url in zip(files, urls, strict=True)
    ]
