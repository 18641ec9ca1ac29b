"""A local stand-in for Microsoft Graph and the Entra ID token endpoint, on loopback over HTTPS.

msal only accepts https authorities, so the stand-in serves TLS with a throw-away self-signed
certificate; the client's ``requests.Session`` trusts it through ``verify=``. It serves what the
client-credentials flow asks for: the OpenID configuration document, the token endpoint, ``/users``
with ``@odata.nextLink`` paging, and ``/users/{id}/manager``. Tests can make it fail on purpose
(429 with Retry-After, 5xx) and make every issued token invalid (as if expired).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from aiohttp import web

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "66666666-7777-8888-9999-000000000000"
CLIENT_SECRET = "stand-in-secret"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "standin.crt", directory / "standin.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class GraphStandIn:
    users: list[dict[str, Any]] = field(default_factory=list)
    managers: dict[str, str] = field(default_factory=dict)  # user id -> manager id (absent: 404)
    page_size: int = 2
    expires_in: int = 3600
    token_requests: int = 0
    requests: list[str] = field(default_factory=list)  # "GET /v1.0/users?…" as received
    failures: list[tuple[str, int, dict[str, str]]] = field(
        default_factory=list
    )  # (path prefix, status, headers)
    url: str = ""
    cert_path: Path | None = None
    _valid: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self, directory: Path) -> GraphStandIn:
        self.cert_path, key_path = self_signed_certificate(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, key_path)
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/users", self._users)
        app.router.add_get("/v1.0/users/{id}/manager", self._manager)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"https://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def graph_base_url(self) -> str:
        return f"{self.url}/v1.0"

    def session(self) -> requests.Session:
        """A client session that trusts the stand-in's certificate (and ignores the machine's
        REQUESTS_CA_BUNDLE and proxy variables, which would otherwise win over ``verify``)."""
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.cert_path)
        return session

    def expire_all_tokens(self) -> None:
        """Every token issued so far is now refused with 401, as Graph does with an expired one."""
        self._valid.clear()

    def fail(self, path_prefix: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.failures.append((path_prefix, status, headers or {}))

    def _injected(self, request: web.Request) -> web.Response | None:
        for index, (prefix, status, headers) in enumerate(self.failures):
            if request.path.startswith(prefix):
                del self.failures[index]
                body = {
                    "error": {
                        "code": "TooManyRequests" if status == 429 else "ServiceUnavailable",
                        "message": "injected by the test",
                    }
                }
                return web.json_response(body, status=status, headers=headers)
        return None

    def _authorised(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._valid:
            body = {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Lifetime validation failed, the token is expired.",
                }
            }
            return web.json_response(body, status=401)
        return None

    async def _openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        return web.json_response(
            {
                "token_endpoint": f"{self.url}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"{self.url}/{tenant}/oauth2/v2.0/authorize",
                "issuer": f"{self.url}/{tenant}/v2.0",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.token_requests += 1
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."},
                status=401,
            )
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        token = f"token-{next(self._ids)}"
        self._valid.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token}
        )

    async def _users(self, request: web.Request) -> web.Response:
        self.requests.append(f"GET {request.path_qs}")
        refusal = self._injected(request) or self._authorised(request)
        if refusal is not None:
            return refusal
        start = int(request.query.get("$skiptoken", "0"))
        page = self.users[start : start + self.page_size]
        selected = request.query.get("$select", "").split(",")
        body: dict[str, Any] = {"value": [{k: v for k, v in u.items() if k in selected} for u in page]}
        if start + self.page_size < len(self.users):
            body["@odata.nextLink"] = (
                f"{self.url}/v1.0/users?$select={request.query.get('$select', '')}&$top={self.page_size}"
                f"&$skiptoken={start + self.page_size}"
            )
        return web.json_response(body)

    async def _manager(self, request: web.Request) -> web.Response:
        self.requests.append(f"GET {request.path_qs}")
        refusal = self._injected(request) or self._authorised(request)
        if refusal is not None:
            return refusal
        manager = self.managers.get(request.match_info["id"])
        if manager is None:
            return web.json_response(
                {
                    "error": {
                        "code": "Request_ResourceNotFound",
                        "message": "Resource 'manager' does not exist.",
                    }
                },
                status=404,
            )
        return web.json_response({"@odata.type": "#microsoft.graph.user", "id": manager})
