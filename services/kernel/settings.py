"""Settings, read from the environment (or an optional ``.env`` file) once, at start-up.

Every setting has one environment variable; the README's settings table lists them. An invalid
value raises :class:`SettingsError`, whose message is one line naming the variable, and
``app.main`` (or the ``python -m services.people`` CLI) prints that line and exits.

The class lives in ``services/`` (it imports nothing of botbuilder or aiohttp) so that the bot and
the people CLI read exactly the same settings; ``bot.settings`` re-exports it for the bot edge.

The app credentials keep the names botbuilder's configuration authentication reads
(``MicrosoftAppId`` …); :meth:`Settings.botframework_config` hands them over in the attribute
names botbuilder expects (``APP_ID`` …).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from services.proactive.pacing import TEAMS_CONVERSATION_WINDOWS, Window, parse_windows
from services.proactive.schedule import WEEKDAY_CODES, parse_time_of_day, parse_weekday

TIMEZONE = ZoneInfo("Asia/Tokyo")

_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TENANT = re.compile(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
                     r"|[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})$")
_HTTPS_URL = re.compile(r"^https://[^\s/?#]+(?:/[^\s?#]*)?$")
DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_GRAPH_AUTHORITY_HOST = "https://login.microsoftonline.com"
# Where the Bot Framework publishes the keys that sign the tokens Teams sends (botbuilder's default)
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
# The hosts of the downloadUrl Teams gives for a file a user attaches (SharePoint / OneDrive)
DEFAULT_ATTACHMENT_HOSTS = ("*.sharepoint.com",)
_LOOPBACK_URL = re.compile(r"^http://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:/[^\s?#]*)?$")
_HOST_PATTERN = re.compile(r"^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


class SettingsError(ValueError):
    """One invalid setting; ``str(error)`` is a single line that names it."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"設定エラー: {name} {problem}")
        self.name = name


def settings_or_report() -> Settings | None:
    """``Settings.from_env()``, or None after printing the invalid setting's line on stderr; the
    command-line entry points (``app.main`` and the services' CLIs) then exit with status 2."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return None


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    host: str = "127.0.0.1"
    port: int = 3978
    data_dir: Path = Path("var")
    azure_tables_connection_string: str = ""
    max_body_bytes: int = 256 * 1024
    log_level: str = "INFO"
    # Microsoft Graph roster sync (optional; all three of tenant, client id and secret, or none)
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = ""
    graph_base_url: str = DEFAULT_GRAPH_BASE_URL
    graph_authority_host: str = DEFAULT_GRAPH_AUTHORITY_HOST
    # Files imported (idempotently) at start-up, organisation first
    organisation_file: Path | None = None
    roster_file: Path | None = None
    # Scheduled jobs and proactive messages (README "Proactive messages and the scheduler").
    # The dataclass default is False so tests that build Settings(...) never start real timers;
    # from_env (what the app runs with) defaults SCHEDULER_ENABLED to true.
    scheduler_enabled: bool = False
    delay_alerts_time: time = time(9, 30)
    training_reminders_time: time = time(9, 15)
    weekly_digest_day: int = 0  # Monday
    weekly_digest_time: time = time(9, 0)
    monthly_digest_time: time = time(9, 0)
    proactive_app_rate: int = 30  # requests per second for the whole app
    proactive_conversation_limits: tuple[Window, ...] = TEAMS_CONVERSATION_WINDOWS
    proactive_max_attempts: int = 6
    delivery_lease_seconds: int = 120
    delivery_recovery_minutes: int = 5
    # 行政手続きオンライン化: a quarter closes (and delay alerts are due) N business days after it
    # ends; a bureau still late M business days later is escalated to its manager
    online_procedures_alert_days: int = 5
    online_procedures_escalation_days: int = 10
    # The bot's clock starts at this instant and runs on (end-to-end tests, demos); None: real time
    clock_start: datetime | None = None
    # Token-signing keys: the OpenID metadata of the Bot Framework channel (tests: a local stand-in)
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    # Attached files are downloaded only from these hosts ("*.example.com": any subdomain)
    attachment_hosts: tuple[str, ...] = DEFAULT_ATTACHMENT_HOSTS

    @property
    def anonymous(self) -> bool:
        """No app id: local mode without JWT validation (Playground, tests)."""
        return not self.app_id

    @property
    def graph_enabled(self) -> bool:
        return bool(self.graph_tenant_id and self.graph_client_id and self.graph_client_secret)

    @property
    def storage_backend(self) -> str:
        return "azure" if self.azure_tables_connection_string else "sqlite"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None) -> Settings:
        """Build settings from ``env`` (default: ``os.environ`` plus ``.env`` if it exists)."""
        if env is None:
            env = dict(os.environ)
            path = dotenv_path or Path(".env")
            if path.is_file():
                from dotenv import dotenv_values

                # The real environment wins over the file, as in most twelve-factor tools.
                env = {**{k: v for k, v in dotenv_values(path).items() if v is not None}, **env}

        def text(name: str, default: str = "") -> str:
            return (env.get(name) or default).strip()

        app_id = text("MicrosoftAppId")
        if app_id and not _GUID.match(app_id):
            raise SettingsError("MicrosoftAppId", "は GUID 形式（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）で指定してください")
        app_password = text("MicrosoftAppPassword")
        app_type = text("MicrosoftAppType", "MultiTenant")
        if app_type not in _APP_TYPES:
            raise SettingsError("MicrosoftAppType", f"は {' / '.join(_APP_TYPES)} のいずれかです（指定値: {app_type}）")
        tenant = text("MicrosoftAppTenantId")
        if app_id and app_type == "MultiTenant" and not app_password:
            raise SettingsError("MicrosoftAppPassword", "が空です（MicrosoftAppId を指定した場合は必須）")
        if app_type == "SingleTenant" and app_id and not tenant:
            raise SettingsError("MicrosoftAppTenantId", "が空です（SingleTenant では必須）")
        if tenant and not _GUID.match(tenant):
            raise SettingsError("MicrosoftAppTenantId", "は GUID 形式で指定してください")

        port_text = text("BOT_PORT", "3978")
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise SettingsError("BOT_PORT", f"は 1〜65535 の整数です（指定値: {port_text}）")
        body_text = text("MAX_BODY_BYTES", str(256 * 1024))
        if not body_text.isdigit() or int(body_text) < 1024:
            raise SettingsError("MAX_BODY_BYTES", f"は 1024 以上の整数です（指定値: {body_text}）")
        level = text("LOG_LEVEL", "INFO").upper()
        if level not in _LOG_LEVELS:
            raise SettingsError("LOG_LEVEL", f"は {' / '.join(_LOG_LEVELS)} のいずれかです（指定値: {level}）")
        connection = text("AZURE_TABLES_CONNECTION_STRING")
        if connection and "=" not in connection:
            raise SettingsError("AZURE_TABLES_CONNECTION_STRING", "が接続文字列の形式ではありません")

        graph_tenant = text("GRAPH_TENANT_ID")
        graph_client = text("GRAPH_CLIENT_ID")
        graph_secret = text("GRAPH_CLIENT_SECRET")
        if graph_tenant or graph_client or graph_secret:
            for name, value in (("GRAPH_TENANT_ID", graph_tenant), ("GRAPH_CLIENT_ID", graph_client),
                                ("GRAPH_CLIENT_SECRET", graph_secret)):
                if not value:
                    raise SettingsError(name, "が空です（Graph 同期には GRAPH_TENANT_ID・GRAPH_CLIENT_ID・"
                                              "GRAPH_CLIENT_SECRET の3つすべてが必要です）")
            if not _TENANT.match(graph_tenant):
                raise SettingsError("GRAPH_TENANT_ID", "はテナント ID（GUID）かドメイン名で指定してください")
            if not _GUID.match(graph_client):
                raise SettingsError("GRAPH_CLIENT_ID", "は GUID 形式で指定してください")
        graph_base = text("GRAPH_BASE_URL", DEFAULT_GRAPH_BASE_URL).rstrip("/")
        if not _HTTPS_URL.match(graph_base):
            raise SettingsError("GRAPH_BASE_URL", f"は https:// で始まる URL です（指定値: {graph_base}）")
        authority = text("GRAPH_AUTHORITY_HOST", DEFAULT_GRAPH_AUTHORITY_HOST).rstrip("/")
        if not _HTTPS_URL.match(authority):
            raise SettingsError("GRAPH_AUTHORITY_HOST", f"は https:// で始まる URL です（指定値: {authority}）")

        def existing_file(name: str) -> Path | None:
            value = text(name)
            if not value:
                return None
            if not Path(value).is_file():
                raise SettingsError(name, f"のファイルが見つかりません（指定値: {value}）")
            return Path(value)

        organisation_file = existing_file("ORGANISATION_FILE")
        roster_file = existing_file("ROSTER_FILE")

        scheduler_text = text("SCHEDULER_ENABLED", "true").lower()
        if scheduler_text not in ("true", "false", "1", "0", "yes", "no"):
            raise SettingsError("SCHEDULER_ENABLED", f"は true または false です（指定値: {scheduler_text}）")

        def time_of_day(name: str, default: str) -> time:
            value = text(name, default)
            try:
                return parse_time_of_day(value)
            except ValueError:
                raise SettingsError(name, f"は HH:MM 形式の時刻です（指定値: {value}）") from None

        def integer(name: str, default: int, low: int, high: int) -> int:
            value = text(name, str(default))
            if not value.isdigit() or not low <= int(value) <= high:
                raise SettingsError(name, f"は {low}〜{high} の整数です（指定値: {value}）")
            return int(value)

        weekday_text = text("WEEKLY_DIGEST_DAY", "mon")
        try:
            weekly_day = parse_weekday(weekday_text)
        except ValueError:
            raise SettingsError("WEEKLY_DIGEST_DAY", f"は {'/'.join(WEEKDAY_CODES[:5])} のいずれかです"
                                                     f"（指定値: {weekday_text}）") from None
        if weekly_day > 4:
            raise SettingsError("WEEKLY_DIGEST_DAY", f"は平日（{'/'.join(WEEKDAY_CODES[:5])}）です（指定値: {weekday_text}）")
        limits_text = text("PROACTIVE_CONVERSATION_LIMITS", "7/1,8/2,60/30,1800/3600")
        try:
            limits = parse_windows(limits_text)
        except ValueError:
            raise SettingsError("PROACTIVE_CONVERSATION_LIMITS", "は「件数/秒」をカンマで並べた形式です"
                                                                f"（例: 7/1,8/2,60/30,1800/3600、指定値: {limits_text}）") from None

        clock_text = text("BOT_CLOCK_START")
        clock_start = None
        if clock_text:
            try:
                clock_start = datetime.fromisoformat(clock_text)
            except ValueError:
                clock_start = None
            if clock_start is None or clock_start.tzinfo is None:
                raise SettingsError("BOT_CLOCK_START", "はタイムゾーン付きの日時です"
                                                       f"（例: 2023-09-20T10:00:00+09:00、指定値: {clock_text}）")

        metadata_url = text("BOT_OPENID_METADATA_URL", DEFAULT_OPENID_METADATA_URL)
        if not (_HTTPS_URL.match(metadata_url) or _LOOPBACK_URL.match(metadata_url)):
            raise SettingsError("BOT_OPENID_METADATA_URL", "は https:// で始まる URL です"
                                                           f"（指定値: {metadata_url}）")
        hosts_text = text("ATTACHMENT_HOSTS", ",".join(DEFAULT_ATTACHMENT_HOSTS))
        hosts = tuple(h.strip().lower() for h in hosts_text.split(",") if h.strip())
        if not hosts or not all(_HOST_PATTERN.match(h) for h in hosts):
            raise SettingsError("ATTACHMENT_HOSTS", "はホスト名をカンマで並べた形式です"
                                                    f"（例: *.sharepoint.com、指定値: {hosts_text}）")

        return cls(
            app_id=app_id,
            app_password=app_password,
            app_type=app_type,
            app_tenant_id=tenant,
            host=text("BOT_HOST", "127.0.0.1"),
            port=int(port_text),
            data_dir=Path(text("DATA_DIR", "var")),
            azure_tables_connection_string=connection,
            max_body_bytes=int(body_text),
            log_level=level,
            graph_tenant_id=graph_tenant,
            graph_client_id=graph_client,
            graph_client_secret=graph_secret,
            graph_base_url=graph_base,
            graph_authority_host=authority,
            organisation_file=organisation_file,
            roster_file=roster_file,
            scheduler_enabled=scheduler_text in ("true", "1", "yes"),
            delay_alerts_time=time_of_day("DELAY_ALERTS_TIME", "09:30"),
            training_reminders_time=time_of_day("TRAINING_REMINDERS_TIME", "09:15"),
            weekly_digest_day=weekly_day,
            weekly_digest_time=time_of_day("WEEKLY_DIGEST_TIME", "09:00"),
            monthly_digest_time=time_of_day("MONTHLY_DIGEST_TIME", "09:00"),
            proactive_app_rate=integer("PROACTIVE_APP_RATE", 30, 1, 30),
            proactive_conversation_limits=limits,
            proactive_max_attempts=integer("PROACTIVE_MAX_ATTEMPTS", 6, 1, 20),
            delivery_lease_seconds=integer("DELIVERY_LEASE_SECONDS", 120, 30, 3600),
            delivery_recovery_minutes=integer("DELIVERY_RECOVERY_MINUTES", 5, 1, 60),
            online_procedures_alert_days=integer("ONLINE_PROCEDURES_ALERT_DAYS", 5, 1, 20),
            online_procedures_escalation_days=integer("ONLINE_PROCEDURES_ESCALATION_DAYS", 10, 1, 60),
            clock_start=clock_start,
            openid_metadata_url=metadata_url,
            attachment_hosts=hosts,
        )

    def botframework_config(self) -> SimpleNamespace:
        """The configuration object botbuilder's ConfigurationBotFrameworkAuthentication reads."""
        return SimpleNamespace(
            APP_ID=self.app_id,
            APP_PASSWORD=self.app_password,
            APP_TYPE=self.app_type,
            APP_TENANTID=self.app_tenant_id,
        )
