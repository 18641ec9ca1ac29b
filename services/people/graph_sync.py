"""Reading the roster from Microsoft Graph (optional; ``python -m services.people sync-graph``).

- Token: ``msal.ConfidentialClientApplication.acquire_token_for_client`` (client credentials,
  scope ``<graph host>/.default``). msal keeps the token in its in-memory cache and asks for a new
  one only when the cached one is (about to be) expired. If Graph still answers 401, the cached
  token is dropped and the request is retried once with a fresh one.
- Users: ``GET /users?$select=id,displayName,department,jobTitle`` following ``@odata.nextLink``;
  each user's manager: ``GET /users/{id}/manager?$select=id`` (404: no manager).
- 429 and 5xx (and connection errors) are retried with exponential backoff and jitter, honouring
  ``Retry-After`` (seconds or an HTTP date), up to :attr:`RetryPolicy.attempts` tries.

HTTP goes through ``requests`` (msal's own dependency), synchronously: the CLI runs it directly,
and the bot would run it in a worker thread. The application needs the Graph application
permission ``User.Read.All`` with admin consent.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from services.people.directory import DirectoryUser

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_FIELDS = "id,displayName,department,jobTitle"


class GraphError(Exception):
    """Graph or the token endpoint said no (after retries); the message is Japanese."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay * 2)
        backoff = min(self.max_delay, self.base_delay * 2**attempt)
        return backoff / 2 + random.uniform(0, backoff / 2)  # noqa: S311 - jitter, not crypto


def retry_after_seconds(
    value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> float | None:
    """``Retry-After`` as seconds: an integer, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class GraphDirectory:
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        base_url: str = "https://graph.microsoft.com/v1.0",
        authority_host: str = "https://login.microsoftonline.com",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ):
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._base_url = base_url.rstrip("/")
        self._authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        parts = urlsplit(self._base_url)
        self._scope = f"{parts.scheme}://{parts.netloc}/.default"
        self._session = session or requests.Session()
        self._sleep = sleep
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._app: Any = None

    @classmethod
    def from_settings(
        cls, settings: Any, *, session: requests.Session | None = None, **kwargs: Any
    ) -> GraphDirectory:
        return cls(
            tenant_id=settings.graph_tenant_id,
            client_id=settings.graph_client_id,
            client_secret=settings.graph_client_secret,
            base_url=settings.graph_base_url,
            authority_host=settings.graph_authority_host,
            session=session,
            **kwargs,
        )

    # --- token -----------------------------------------------------------------------------

    def _msal(self) -> Any:
        if self._app is None:
            import msal

            self._app = msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._client_secret,
                authority=self._authority,
                validate_authority=False,  # the configured authority is trusted as is
                instance_discovery=False,  # no call to login.microsoftonline.com's discovery
                http_client=self._session,
                timeout=self._timeout,
            )
        return self._app

    def token(self) -> str:
        try:
            result = self._msal().acquire_token_for_client(scopes=[self._scope])
        except (ValueError, requests.RequestException) as exc:
            raise GraphError(f"アクセストークンを取得できません（{type(exc).__name__}: {exc}）") from exc
        if "access_token" not in result:
            raise GraphError(
                "アクセストークンを取得できません"
                f"（{result.get('error')}: {result.get('error_description', '')[:200]}）"
            )
        return result["access_token"]

    def _drop_token(self) -> None:
        if self._app is not None:
            self._app.remove_tokens_for_client()

    # --- requests --------------------------------------------------------------------------

    def get(self, url: str, params: dict[str, str] | None = None, *, allow_404: bool = False) -> dict | None:
        """GET a Graph URL (absolute, or relative to the base URL) as JSON, with retries."""
        if not url.startswith(("https://", "http://")):
            url = f"{self._base_url}/{url.lstrip('/')}"
        refreshed = False
        attempt = 0
        while True:
            headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
            try:
                response = self._session.get(url, params=params, headers=headers, timeout=self._timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt + 1 >= self._retry.attempts:
                    raise GraphError(f"Microsoft Graph に接続できません（{type(exc).__name__}）") from exc
                self._sleep(self._retry.delay(attempt, None))
                attempt += 1
                continue
            if response.status_code == 401 and not refreshed:
                logger.info("Graph answered 401: dropping the cached token and retrying once")
                self._drop_token()
                refreshed = True
                continue
            if response.status_code in RETRY_STATUSES and attempt + 1 < self._retry.attempts:
                wait = self._retry.delay(attempt, retry_after_seconds(response.headers.get("Retry-After")))
                logger.info("Graph answered %s: retrying in %.1f s", response.status_code, wait)
                self._sleep(wait)
                attempt += 1
                continue
            if response.status_code == 404 and allow_404:
                return None
            if response.status_code >= 400:
                raise GraphError(
                    f"Microsoft Graph がエラーを返しました（HTTP {response.status_code}: {url}）"
                )
            return response.json()

    def pages(self, url: str, params: dict[str, str] | None = None) -> Iterator[dict]:
        """The items of a collection, following ``@odata.nextLink`` (which carries the query)."""
        page = self.get(url, params)
        while page is not None:
            yield from page.get("value", [])
            next_link = page.get("@odata.nextLink")
            page = self.get(next_link) if next_link else None

    def manager_id(self, user_id: str) -> str:
        body = self.get(f"users/{quote(user_id, safe='')}/manager", {"$select": "id"}, allow_404=True)
        return (body or {}).get("id", "") or ""

    def users(self) -> list[DirectoryUser]:
        result = []
        for item in self.pages("users", {"$select": USER_FIELDS, "$top": "999"}):
            user_id = item.get("id") or ""
            if not user_id:
                continue
            result.append(
                DirectoryUser(
                    object_id=user_id,
                    name=item.get("displayName") or "",
                    department=item.get("department") or "",
                    job_title=item.get("jobTitle") or "",
                    manager_id=self.manager_id(user_id),
                )
            )
        return result
