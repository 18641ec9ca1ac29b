import pytest

from bot.settings import Settings, SettingsError

GUID = "11111111-2222-3333-4444-555555555555"


def test_defaults_are_local_anonymous_sqlite():
    s = Settings.from_env({})
    assert (s.host, s.port, s.storage_backend, s.anonymous) == ("127.0.0.1", 3978, "sqlite", True)


def test_botbuilder_names_are_read_and_handed_over():
    s = Settings.from_env(
        {
            "MicrosoftAppId": GUID,
            "MicrosoftAppPassword": "secret",
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": GUID,
        }
    )
    config = s.botframework_config()
    assert (config.APP_ID, config.APP_PASSWORD, config.APP_TYPE, config.APP_TENANTID) == (
        GUID,
        "secret",
        "SingleTenant",
        GUID,
    )
    assert not s.anonymous


def test_azure_connection_string_switches_backend():
    s = Settings.from_env({"AZURE_TABLES_CONNECTION_STRING": "AccountName=x;AccountKey=y"})
    assert s.storage_backend == "azure"


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"BOT_PORT": "http"}, "BOT_PORT"),
        ({"BOT_PORT": "70000"}, "BOT_PORT"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId"),
        ({"MicrosoftAppId": GUID}, "MicrosoftAppPassword"),
        ({"MicrosoftAppType": "Other"}, "MicrosoftAppType"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"MAX_BODY_BYTES": "-1"}, "MAX_BODY_BYTES"),
        ({"AZURE_TABLES_CONNECTION_STRING": "garbage"}, "AZURE_TABLES_CONNECTION_STRING"),
        ({"GRAPH_TENANT_ID": GUID}, "GRAPH_CLIENT_ID"),
        ({"GRAPH_TENANT_ID": GUID, "GRAPH_CLIENT_ID": GUID}, "GRAPH_CLIENT_SECRET"),
        (
            {"GRAPH_TENANT_ID": "not a tenant", "GRAPH_CLIENT_ID": GUID, "GRAPH_CLIENT_SECRET": "s"},
            "GRAPH_TENANT_ID",
        ),
        ({"GRAPH_TENANT_ID": GUID, "GRAPH_CLIENT_ID": "app", "GRAPH_CLIENT_SECRET": "s"}, "GRAPH_CLIENT_ID"),
        ({"GRAPH_BASE_URL": "http://graph.microsoft.com/v1.0"}, "GRAPH_BASE_URL"),
        ({"GRAPH_AUTHORITY_HOST": "login"}, "GRAPH_AUTHORITY_HOST"),
        ({"ROSTER_FILE": "/no/such/roster.csv"}, "ROSTER_FILE"),
        ({"ORGANISATION_FILE": "/no/such/org.xlsx"}, "ORGANISATION_FILE"),
        ({"FILE_OFFER_HOURS": "0"}, "FILE_OFFER_HOURS"),
        ({"FILE_OFFER_HOURS": "169"}, "FILE_OFFER_HOURS"),
    ],
)
def test_an_invalid_setting_is_one_line_that_names_it(env, name):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env)
    message = str(error.value)
    assert name in message and "\n" not in message


def test_a_file_offer_lasts_24_hours_unless_set():
    assert Settings.from_env({}).file_offer_hours == 24
    assert Settings.from_env({"FILE_OFFER_HOURS": "72"}).file_offer_hours == 72


def test_dotenv_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("BOT_PORT=4000\nLOG_LEVEL=DEBUG\n", encoding="utf-8")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delenv("BOT_PORT", raising=False)
    s = Settings.from_env(dotenv_path=env_file)
    assert (s.port, s.log_level) == (4000, "WARNING")


def test_main_exits_with_the_one_line_on_a_bad_setting(monkeypatch, capsys):
    import app

    monkeypatch.setenv("BOT_PORT", "abc")
    assert app.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "BOT_PORT" in err


def test_graph_and_start_up_files(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("x", encoding="utf-8")
    s = Settings.from_env(
        {
            "GRAPH_TENANT_ID": "sakai.onmicrosoft.com",
            "GRAPH_CLIENT_ID": GUID,
            "GRAPH_CLIENT_SECRET": "secret",
            "GRAPH_BASE_URL": "https://graph.microsoft.us/v1.0/",
            "ROSTER_FILE": str(roster),
        }
    )
    assert s.graph_enabled and s.graph_base_url == "https://graph.microsoft.us/v1.0"
    assert s.graph_authority_host == "https://login.microsoftonline.com"
    assert s.roster_file == roster and s.organisation_file is None
    assert not Settings.from_env({}).graph_enabled


def test_without_an_app_id_the_bot_listens_on_loopback_only_unless_told_otherwise(caplog):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"BOT_HOST": "0.0.0.0"})
    assert "BOT_HOST" in str(refused.value) and "ALLOW_ANONYMOUS_REMOTE=true" in str(refused.value)
    assert Settings.from_env(
        {"BOT_HOST": "0.0.0.0", "MicrosoftAppId": GUID, "MicrosoftAppPassword": "x"}
    ).host == ("0.0.0.0")
    allowed = Settings.from_env({"BOT_HOST": "0.0.0.0", "ALLOW_ANONYMOUS_REMOTE": "true"})
    assert allowed.host == "0.0.0.0" and allowed.allow_anonymous_remote and allowed.anonymous
    with pytest.raises(SettingsError, match="ALLOW_ANONYMOUS_REMOTE"):
        Settings.from_env({"ALLOW_ANONYMOUS_REMOTE": "maybe"})

    from botbuilder.core import ConversationState, MemoryStorage

    from bot.adapter import build_adapter

    with caplog.at_level("WARNING", logger="bot.adapter"):
        build_adapter(allowed, ConversationState(MemoryStorage()))
    assert "listening on 0.0.0.0" in caplog.text and "reachable from other machines" in caplog.text


def test_without_an_app_id_the_bot_says_at_start_up_that_it_listens_on_loopback_only(caplog):
    from botbuilder.core import ConversationState, MemoryStorage

    from bot.adapter import build_adapter

    settings = Settings.from_env({})
    assert settings.anonymous and settings.host == "127.0.0.1" and not settings.allow_anonymous_remote
    with caplog.at_level("WARNING", logger="bot.adapter"):
        build_adapter(settings, ConversationState(MemoryStorage()))
    assert "anonymous local mode" in caplog.text and "listening on 127.0.0.1" in caplog.text
    assert "reachable from other machines" not in caplog.text
