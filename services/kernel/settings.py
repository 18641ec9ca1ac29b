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
from datetime import date, datetime, time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from services.proactive.pacing import TEAMS_CONVERSATION_WINDOWS, Window, parse_windows
from services.proactive.schedule import WEEKDAY_CODES, parse_time_of_day, parse_weekday

TIMEZONE = ZoneInfo("Asia/Tokyo")

_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_TENANT = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})$"
)
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
    # Without an app id (no JWT validation) the bot listens on loopback only, unless this says otherwise
    allow_anonymous_remote: bool = False
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
    delivery_retention_days: int = 180
    # 行政手続きオンライン化: a quarter closes (and delay alerts are due) N business days after it
    # ends; a bureau still late M business days later is escalated to its manager
    online_procedures_alert_days: int = 5
    online_procedures_escalation_days: int = 10
    # Files delivered in Teams (file consent): an offer not accepted within this many hours expires
    file_offer_hours: int = 24
    # --- mynumber --- マイナンバー情報総点検: the record-count threshold of the matrix, the survey due date,
    # the interim report and completion dates of ①②③ (the seed's: 7月中, 8月, 秋), and how many business
    # days before the survey due date its contacts are reminded
    mynumber_threshold: int = 100
    mynumber_survey_due: date = date(2023, 7, 31)
    mynumber_interim_report: date = date(2023, 8, 31)
    mynumber_completion: date = date(2023, 11, 30)
    mynumber_survey_warn_days: int = 5
    # --- cashless ---
    # キャッシュレス: the policy thresholds (targets from N cases a year; QR below a unit price in yen),
    # the lead time of the 指定管理者 switching-year reminder (months before the 公募 year), the goals (%)
    cashless_target_min_cases: int = 3000
    cashless_qr_max_unit_price: int = 500
    cashless_tender_lead_months: int = 6
    cashless_goal_2025_percent: int = 40
    cashless_goal_2030_percent: int = 65
    # --- dx ---
    # 堺市DX: training reminders go N business days before a session; a plan waiting for the ICT
    # office's review longer than M business days is an alert
    dx_training_reminder_days: int = 3
    dx_review_alert_days: int = 5
    # --- standardization ---
    # 業務システムの標準化: a step is "due soon" (and alerted) within N business days of its end
    standardization_alert_days: int = 5
    # --- mynumber audit --- 全データ点検 in Teams (issue 13): the largest file a contact may send (MB;
    # a city's registry extract is about 100 MB), how long one download may take, how long the bot
    # waits for the two files, how long the report stays in memory for its owner, how often the
    # progress card is refreshed, and where the private upload folders go (None: the system temp)
    mynumber_audit_max_upload_mb: int = 120
    mynumber_audit_download_seconds: int = 600
    mynumber_audit_wait_minutes: int = 60
    mynumber_audit_report_minutes: int = 60
    mynumber_audit_progress_seconds: float = 2.0
    mynumber_audit_work_dir: Path | None = None
    # --- literacy ---
    # ICTリテラシー: the tools whose levels staff assess (admins add more through the card), and how
    # many days ahead a planned move makes a department "at risk" of losing a skill it needs
    literacy_tools: tuple[str, ...] = ("Teams", "Microsoft 365", "RPA", "データベース・Power Platform")
    literacy_at_risk_days: int = 90
    # --- digital_divide ---
    # デジタル・ディバイド対策: the smartphone-class plan per fiscal year ((year, classes, people); the
    # seed gives 令和5年度's), the partners offered on the class form, and after how many business
    # days a class without its attendance is due an alert
    digital_divide_plans: tuple[tuple[int, int, int], ...] = ()
    digital_divide_partners: tuple[str, ...] = ("大学", "社会福祉協議会")
    digital_divide_attendance_days: int = 3
    # The bot's clock starts at this instant and runs on (end-to-end tests, demos); None: real time
    clock_start: datetime | None = None
    # Token-signing keys: the OpenID metadata of the Bot Framework channel (tests: a local stand-in)
    openid_metadata_url: str = DEFAULT_OPENID_METADATA_URL
    # Attached files are downloaded only from these hosts ("*.example.com": any subdomain)
    attachment_hosts: tuple[str, ...] = DEFAULT_ATTACHMENT_HOSTS
    # --- storage outage --- (docs/operations.md "When storage is down"): every storage call is bounded
    # in time, so a turn that cannot reach storage is answered well within Teams' ~15 s. Azure Tables:
    # connection and read timeouts of each request and the retries after a failed one; SQLite: how long
    # a write waits for another process's lock. Storage calls run in a pool of STORAGE_THREADS threads,
    # at most STORAGE_MAX_IN_FLIGHT of them in the store at once; a call that gets no slot within
    # STORAGE_QUEUE_SECONDS is refused (the turn is told 「混み合っています」). /healthz answers within
    # HEALTHZ_TIMEOUT_SECONDS whatever the store is doing.
    storage_connect_timeout_seconds: float = 2.0
    storage_read_timeout_seconds: float = 3.0
    storage_retries: int = 1
    sqlite_busy_timeout_seconds: float = 5.0
    storage_threads: int = 16
    storage_max_in_flight: int = 12
    storage_queue_seconds: float = 2.0
    healthz_timeout_seconds: float = 5.0

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
            raise SettingsError(
                "MicrosoftAppId", "は GUID 形式（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）で指定してください"
            )
        app_password = text("MicrosoftAppPassword")
        app_type = text("MicrosoftAppType", "MultiTenant")
        if app_type not in _APP_TYPES:
            raise SettingsError(
                "MicrosoftAppType", f"は {' / '.join(_APP_TYPES)} のいずれかです（指定値: {app_type}）"
            )
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
            raise SettingsError(
                "LOG_LEVEL", f"は {' / '.join(_LOG_LEVELS)} のいずれかです（指定値: {level}）"
            )
        connection = text("AZURE_TABLES_CONNECTION_STRING")
        if connection and "=" not in connection:
            raise SettingsError("AZURE_TABLES_CONNECTION_STRING", "が接続文字列の形式ではありません")

        graph_tenant = text("GRAPH_TENANT_ID")
        graph_client = text("GRAPH_CLIENT_ID")
        graph_secret = text("GRAPH_CLIENT_SECRET")
        if graph_tenant or graph_client or graph_secret:
            for name, value in (
                ("GRAPH_TENANT_ID", graph_tenant),
                ("GRAPH_CLIENT_ID", graph_client),
                ("GRAPH_CLIENT_SECRET", graph_secret),
            ):
                if not value:
                    raise SettingsError(
                        name,
                        "が空です（Graph 同期には GRAPH_TENANT_ID・GRAPH_CLIENT_ID・"
                        "GRAPH_CLIENT_SECRET の3つすべてが必要です）",
                    )
            if not _TENANT.match(graph_tenant):
                raise SettingsError("GRAPH_TENANT_ID", "はテナント ID（GUID）かドメイン名で指定してください")
            if not _GUID.match(graph_client):
                raise SettingsError("GRAPH_CLIENT_ID", "は GUID 形式で指定してください")
        graph_base = text("GRAPH_BASE_URL", DEFAULT_GRAPH_BASE_URL).rstrip("/")
        if not _HTTPS_URL.match(graph_base):
            raise SettingsError("GRAPH_BASE_URL", f"は https:// で始まる URL です（指定値: {graph_base}）")
        authority = text("GRAPH_AUTHORITY_HOST", DEFAULT_GRAPH_AUTHORITY_HOST).rstrip("/")
        if not _HTTPS_URL.match(authority):
            raise SettingsError(
                "GRAPH_AUTHORITY_HOST", f"は https:// で始まる URL です（指定値: {authority}）"
            )

        def existing_file(name: str) -> Path | None:
            value = text(name)
            if not value:
                return None
            if not Path(value).is_file():
                raise SettingsError(name, f"のファイルが見つかりません（指定値: {value}）")
            return Path(value)

        organisation_file = existing_file("ORGANISATION_FILE")
        roster_file = existing_file("ROSTER_FILE")

        host = text("BOT_HOST", "127.0.0.1")
        remote_text = text("ALLOW_ANONYMOUS_REMOTE", "false").lower()
        if remote_text not in ("true", "false", "1", "0", "yes", "no"):
            raise SettingsError(
                "ALLOW_ANONYMOUS_REMOTE", f"は true または false です（指定値: {remote_text}）"
            )
        allow_remote = remote_text in ("true", "1", "yes")
        if not app_id and not allow_remote and host not in ("127.0.0.1", "localhost", "::1"):
            raise SettingsError(
                "BOT_HOST",
                f"に {host} は指定できません: MicrosoftAppId がない（認証なしの）ときは"
                " 127.0.0.1 だけで待ち受けます（どうしても必要な場合は ALLOW_ANONYMOUS_REMOTE=true）",
            )

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

        def seconds(name: str, default: float, low: float, high: float) -> float:
            value = text(name, f"{default:g}")
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
            if not low <= number <= high:  # NaN fails too
                raise SettingsError(name, f"は {low:g}〜{high:g} の秒数です（指定値: {value}）")
            return number

        # --- storage outage ---
        storage_threads = integer("STORAGE_THREADS", 16, 2, 256)
        storage_max_in_flight = integer("STORAGE_MAX_IN_FLIGHT", 12, 1, 255)
        if storage_max_in_flight >= storage_threads:
            raise SettingsError(
                "STORAGE_MAX_IN_FLIGHT",
                f"は STORAGE_THREADS（{storage_threads}）より小さい整数です"
                f"（保存先が止まっても手の空いたスレッドを残すため。指定値: {storage_max_in_flight}）",
            )
        # --- end storage outage ---

        weekday_text = text("WEEKLY_DIGEST_DAY", "mon")
        try:
            weekly_day = parse_weekday(weekday_text)
        except ValueError:
            raise SettingsError(
                "WEEKLY_DIGEST_DAY",
                f"は {'/'.join(WEEKDAY_CODES[:5])} のいずれかです（指定値: {weekday_text}）",
            ) from None
        if weekly_day > 4:
            raise SettingsError(
                "WEEKLY_DIGEST_DAY", f"は平日（{'/'.join(WEEKDAY_CODES[:5])}）です（指定値: {weekday_text}）"
            )
        limits_text = text("PROACTIVE_CONVERSATION_LIMITS", "7/1,8/2,60/30,1800/3600")
        try:
            limits = parse_windows(limits_text)
        except ValueError:
            raise SettingsError(
                "PROACTIVE_CONVERSATION_LIMITS",
                "は「件数/秒」をカンマで並べた形式です"
                f"（例: 7/1,8/2,60/30,1800/3600、指定値: {limits_text}）",
            ) from None

        # --- literacy ---
        def name_list(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = text(name)
            if not value:
                return default
            items = tuple(dict.fromkeys(" ".join(p.split()) for p in value.split(",") if p.strip()))
            if not items or any(len(i) > 40 or "|" in i for i in items) or len(items) > 20:
                raise SettingsError(
                    name, f"はカンマ区切りの名前（各40文字以内・20件まで、「|」不可）です（指定値: {value}）"
                )
            return items

        literacy_tools = name_list(
            "LITERACY_TOOLS", ("Teams", "Microsoft 365", "RPA", "データベース・Power Platform")
        )
        literacy_at_risk_days = integer("LITERACY_AT_RISK_DAYS", 90, 1, 730)
        # --- digital_divide ---
        plans_text = text("DIGITAL_DIVIDE_PLANS")
        digital_divide_plans: list[tuple[int, int, int]] = []
        for part in (p.strip() for p in plans_text.split(",") if p.strip()):
            year, _, figures = part.partition("=")
            classes, _, people = figures.partition("/")
            numbers = (year.strip(), classes.strip(), people.strip())
            if (
                not all(n.isdigit() and len(n) <= 8 for n in numbers)
                or not 2000 <= int(numbers[0]) <= 2100
                or int(numbers[0]) in {p[0] for p in digital_divide_plans}
            ):
                raise SettingsError(
                    "DIGITAL_DIVIDE_PLANS",
                    "は「年度=回数/人数」をカンマで並べた形式です"
                    f"（例: 2024=180/1850、指定値: {plans_text}）",
                )
            digital_divide_plans.append((int(numbers[0]), int(numbers[1]), int(numbers[2])))
        digital_divide_partners = name_list("DIGITAL_DIVIDE_PARTNERS", ("大学", "社会福祉協議会"))
        digital_divide_attendance_days = integer("DIGITAL_DIVIDE_ATTENDANCE_DAYS", 3, 1, 30)

        clock_text = text("BOT_CLOCK_START")
        clock_start = None
        if clock_text:
            try:
                clock_start = datetime.fromisoformat(clock_text)
            except ValueError:
                clock_start = None
            if clock_start is None or clock_start.tzinfo is None:
                raise SettingsError(
                    "BOT_CLOCK_START",
                    f"はタイムゾーン付きの日時です（例: 2023-09-20T10:00:00+09:00、指定値: {clock_text}）",
                )

        # --- mynumber ---
        def iso_date(name: str, default: str) -> date:
            value = text(name, default)
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise SettingsError(name, f"は YYYY-MM-DD 形式の日付です（指定値: {value}）") from None

        mynumber_dates = (
            iso_date("MYNUMBER_SURVEY_DUE", "2023-07-31"),
            iso_date("MYNUMBER_INTERIM_REPORT_DATE", "2023-08-31"),
            iso_date("MYNUMBER_COMPLETION_DATE", "2023-11-30"),
        )
        if not mynumber_dates[1] <= mynumber_dates[2]:
            raise SettingsError(
                "MYNUMBER_COMPLETION_DATE",
                f"は MYNUMBER_INTERIM_REPORT_DATE 以降の日付です（指定値: {mynumber_dates[2].isoformat()}）",
            )
        # --- end mynumber ---
        # --- mynumber audit ---
        audit_work_dir = text("MYNUMBER_AUDIT_WORK_DIR")
        if audit_work_dir and not Path(audit_work_dir).is_dir():
            raise SettingsError(
                "MYNUMBER_AUDIT_WORK_DIR", f"のフォルダーが見つかりません（指定値: {audit_work_dir}）"
            )
        # --- end mynumber audit ---

        metadata_url = text("BOT_OPENID_METADATA_URL", DEFAULT_OPENID_METADATA_URL)
        if not (_HTTPS_URL.match(metadata_url) or _LOOPBACK_URL.match(metadata_url)):
            raise SettingsError(
                "BOT_OPENID_METADATA_URL", f"は https:// で始まる URL です（指定値: {metadata_url}）"
            )
        hosts_text = text("ATTACHMENT_HOSTS", ",".join(DEFAULT_ATTACHMENT_HOSTS))
        hosts = tuple(h.strip().lower() for h in hosts_text.split(",") if h.strip())
        if not hosts or not all(_HOST_PATTERN.match(h) for h in hosts):
            raise SettingsError(
                "ATTACHMENT_HOSTS",
                f"はホスト名をカンマで並べた形式です（例: *.sharepoint.com、指定値: {hosts_text}）",
            )

        return cls(
            app_id=app_id,
            app_password=app_password,
            app_type=app_type,
            app_tenant_id=tenant,
            host=host,
            allow_anonymous_remote=allow_remote,
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
            delivery_retention_days=integer("DELIVERY_RETENTION_DAYS", 180, 30, 3650),
            online_procedures_alert_days=integer("ONLINE_PROCEDURES_ALERT_DAYS", 5, 1, 20),
            online_procedures_escalation_days=integer("ONLINE_PROCEDURES_ESCALATION_DAYS", 10, 1, 60),
            file_offer_hours=integer("FILE_OFFER_HOURS", 24, 1, 168),
            # --- mynumber ---
            mynumber_threshold=integer("MYNUMBER_THRESHOLD", 100, 1, 100_000_000),
            mynumber_survey_due=mynumber_dates[0],
            mynumber_interim_report=mynumber_dates[1],
            mynumber_completion=mynumber_dates[2],
            mynumber_survey_warn_days=integer("MYNUMBER_SURVEY_WARN_DAYS", 5, 0, 60),
            # --- cashless ---
            cashless_target_min_cases=integer("CASHLESS_TARGET_MIN_CASES", 3000, 1, 10_000_000),
            cashless_qr_max_unit_price=integer("CASHLESS_QR_MAX_UNIT_PRICE", 500, 0, 10_000_000),
            cashless_tender_lead_months=integer("CASHLESS_TENDER_LEAD_MONTHS", 6, 0, 24),
            cashless_goal_2025_percent=integer("CASHLESS_GOAL_2025_PERCENT", 40, 1, 100),
            cashless_goal_2030_percent=integer("CASHLESS_GOAL_2030_PERCENT", 65, 1, 100),
            # --- dx ---
            dx_training_reminder_days=integer("DX_TRAINING_REMINDER_DAYS", 3, 1, 20),
            dx_review_alert_days=integer("DX_REVIEW_ALERT_DAYS", 5, 1, 60),
            # --- standardization ---
            standardization_alert_days=integer("STANDARDIZATION_ALERT_DAYS", 5, 1, 20),
            mynumber_audit_max_upload_mb=integer("MYNUMBER_AUDIT_MAX_UPLOAD_MB", 120, 1, 2048),
            mynumber_audit_download_seconds=integer("MYNUMBER_AUDIT_DOWNLOAD_SECONDS", 600, 10, 3600),
            mynumber_audit_wait_minutes=integer("MYNUMBER_AUDIT_WAIT_MINUTES", 60, 5, 1440),
            mynumber_audit_report_minutes=integer("MYNUMBER_AUDIT_REPORT_MINUTES", 60, 5, 1440),
            mynumber_audit_progress_seconds=float(integer("MYNUMBER_AUDIT_PROGRESS_SECONDS", 2, 1, 60)),
            mynumber_audit_work_dir=Path(audit_work_dir) if audit_work_dir else None,
            # --- literacy ---
            literacy_tools=literacy_tools,
            literacy_at_risk_days=literacy_at_risk_days,
            # --- digital_divide ---
            digital_divide_plans=tuple(digital_divide_plans),
            digital_divide_partners=digital_divide_partners,
            digital_divide_attendance_days=digital_divide_attendance_days,
            clock_start=clock_start,
            openid_metadata_url=metadata_url,
            attachment_hosts=hosts,
            # --- storage outage ---
            storage_connect_timeout_seconds=seconds("STORAGE_CONNECT_TIMEOUT_SECONDS", 2.0, 0.1, 30),
            storage_read_timeout_seconds=seconds("STORAGE_READ_TIMEOUT_SECONDS", 3.0, 0.1, 30),
            storage_retries=integer("STORAGE_RETRIES", 1, 0, 3),
            sqlite_busy_timeout_seconds=seconds("SQLITE_BUSY_TIMEOUT_SECONDS", 5.0, 0.1, 30),
            storage_threads=storage_threads,
            storage_max_in_flight=storage_max_in_flight,
            storage_queue_seconds=seconds("STORAGE_QUEUE_SECONDS", 2.0, 0, 10),
            healthz_timeout_seconds=seconds("HEALTHZ_TIMEOUT_SECONDS", 5.0, 0.5, 30),
        )

    def botframework_config(self) -> SimpleNamespace:
        """The configuration object botbuilder's ConfigurationBotFrameworkAuthentication reads."""
        return SimpleNamespace(
            APP_ID=self.app_id,
            APP_PASSWORD=self.app_password,
            APP_TYPE=self.app_type,
            APP_TENANTID=self.app_tenant_id,
        )
