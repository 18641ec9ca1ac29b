"""The settings of issue 10: the token-signing keys' metadata URL and the attachment hosts."""

from __future__ import annotations

import pytest

from services.kernel.settings import DEFAULT_OPENID_METADATA_URL, Settings, SettingsError


def test_defaults_are_the_bot_framework_and_sharepoint():
    settings = Settings.from_env({})
    assert settings.openid_metadata_url == DEFAULT_OPENID_METADATA_URL
    assert settings.attachment_hosts == ("*.sharepoint.com",)


def test_a_loopback_stand_in_may_serve_the_keys():
    url = "http://127.0.0.1:5555/.well-known/openidconfiguration"
    assert Settings.from_env({"BOT_OPENID_METADATA_URL": url}).openid_metadata_url == url


@pytest.mark.parametrize(
    "url", ["http://login.botframework.com/x", "ftp://x/y", "not a url", "http://10.0.0.5/x"]
)
def test_the_metadata_url_must_be_https_or_loopback(url):
    with pytest.raises(SettingsError, match="BOT_OPENID_METADATA_URL"):
        Settings.from_env({"BOT_OPENID_METADATA_URL": url})


@pytest.mark.parametrize("hosts", [",", "https://x.sharepoint.com", "*.sharepoint.com/x", "a b", "*"])
def test_attachment_hosts_are_host_names(hosts):
    with pytest.raises(SettingsError, match="ATTACHMENT_HOSTS"):
        Settings.from_env({"ATTACHMENT_HOSTS": hosts})
