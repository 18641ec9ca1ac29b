"""The Teams app package: manifest against the official schema, bot settings, icons, CLI.

The schemas come from the npm package ``@microsoft/app-manifest`` (pinned in package.json). They
declare draft-04, but jsonschema's Draft 4 validator ignores ``const`` and so never checks
``manifestVersion``; we validate with ``Draft7Validator`` (DESIGN §4a). Neither the schema nor the
Agents Toolkit looks at the icons, so the icon tests decode the PNGs themselves.
"""

from __future__ import annotations

import copy
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from manifest import make_icons, png
from manifest.package import (
    BOT_ID_PLACEHOLDER,
    DEFAULT_MANIFEST_DIR,
    PackageError,
    build_package,
    load_template,
    main,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMA_ROOT = REPO / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"

BOT_ID = "3f2a9c1e-5b7d-4e0a-9c61-2d8e4b7f1a05"
URLS = {
    "TEAMS_APP_WEBSITE_URL": "https://example.org/ict-bot/",
    "TEAMS_APP_PRIVACY_URL": "https://example.org/ict-bot/privacy.html",
    "TEAMS_APP_TERMS_URL": "https://example.org/ict-bot/terms.html",
}
OTHER_ID = "a1b2c3d4-e5f6-4711-8899-aabbccddeeff"

SCOPES = ["personal", "team", "groupChat"]
COMMAND_TITLES = [
    "メニュー",
    "ヘルプ",
    "マイナンバー",
    "オンライン化",
    "キャッシュレス",
    "標準化",
    "DX",
    "リテラシー",
    "スマホ教室",
]
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def schema_root() -> Path:
    if not SCHEMA_ROOT.is_dir():
        message = (
            f"Teams manifest schemas not found at {SCHEMA_ROOT}; "
            "run `npm ci` in the repository root to install @microsoft/app-manifest"
        )
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return SCHEMA_ROOT


def make_validator(schema_root: Path, manifest_version: str) -> Draft7Validator:
    """A Draft 7 validator for one manifest version, with its sibling schema files registered.

    The root schema gets its official URL as ``$id`` and every ``*.schema.json`` of the same
    version is registered under its official URL, so a ``$ref`` to a sibling file (if a version
    has one) resolves offline instead of being fetched.
    """
    version_dir = schema_root / f"v{manifest_version}"
    schema_path = version_dir / "MicrosoftTeams.schema.json"
    assert schema_path.is_file(), f"no schema for manifestVersion {manifest_version!r} at {schema_path}"
    base = SCHEMA_URL.format(version=manifest_version).rsplit("/", 1)[0]
    registry = Registry()
    for path in sorted(version_dir.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8-sig"))
        registry = registry.with_resource(f"{base}/{path.name}", DRAFT7.create_resource(contents))
    schema = json.loads(schema_path.read_text(encoding="utf-8-sig"))
    schema["$id"] = SCHEMA_URL.format(version=manifest_version)
    return Draft7Validator(schema, registry=registry)


def errors_of(validator: Draft7Validator, manifest: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))
    ]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(BOT_ID, tmp_path_factory.mktemp("pkg") / "ict-bot.zip", urls=URLS)


@pytest.fixture(scope="module")
def packaged(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def manifest(packaged: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(packaged["manifest.json"].decode("utf-8"))


@pytest.fixture(scope="module")
def validator(schema_root: Path, manifest: dict[str, Any]) -> Draft7Validator:
    return make_validator(schema_root, manifest["manifestVersion"])


# ------------------------------------------------------------------------------ the package


def test_package_holds_manifest_and_icons_at_root(packaged: dict[str, bytes]) -> None:
    assert sorted(packaged) == ["color.png", "manifest.json", "outline.png"]


def test_manifest_is_utf8_json_without_bom(packaged: dict[str, bytes]) -> None:
    raw = packaged["manifest.json"]
    assert not raw.startswith(b"\xef\xbb\xbf")
    json.loads(raw.decode("utf-8"))


def test_packaged_manifest_is_valid_against_official_schema(
    validator: Draft7Validator, manifest: dict[str, Any]
) -> None:
    assert errors_of(validator, manifest) == []


def test_schema_url_matches_manifest_version(schema_root: Path, manifest: dict[str, Any]) -> None:
    version = manifest["manifestVersion"]
    assert re.fullmatch(r"1\.\d+", version), "use a GA manifest version, not devPreview"
    assert manifest["$schema"] == SCHEMA_URL.format(version=version)
    assert (schema_root / f"v{version}" / "MicrosoftTeams.schema.json").is_file()


def test_build_is_reproducible(tmp_path: Path, package: Path) -> None:
    again = build_package(BOT_ID, tmp_path / "again.zip", urls=URLS)
    assert again.read_bytes() == package.read_bytes()


# ---------------------------------------------------------------------------- ids and bot


def test_bot_id_and_app_id_are_filled_in(manifest: dict[str, Any]) -> None:
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["id"] == BOT_ID, "the app id defaults to the bot id"
    assert BOT_ID_PLACEHOLDER not in json.dumps(manifest)


def test_app_id_and_version_can_be_set(tmp_path: Path, schema_root: Path) -> None:
    out = build_package(BOT_ID, tmp_path / "p.zip", app_id=OTHER_ID, app_version="1.2.3", urls=URLS)
    with zipfile.ZipFile(out) as zf:
        data = json.loads(zf.read("manifest.json"))
    assert (data["id"], data["bots"][0]["botId"], data["version"]) == (OTHER_ID, BOT_ID, "1.2.3")
    assert errors_of(make_validator(schema_root, data["manifestVersion"]), data) == []


def test_template_keeps_the_placeholder() -> None:
    """The committed template must not carry a real id."""
    template = load_template()
    assert template["id"] == BOT_ID_PLACEHOLDER
    assert [bot["botId"] for bot in template["bots"]] == [BOT_ID_PLACEHOLDER]


def test_bot_scopes_and_files(manifest: dict[str, Any]) -> None:
    (bot,) = manifest["bots"]
    assert bot["scopes"] == SCOPES
    # A bot-level flag; Teams offers file upload/download in personal chat only.
    assert bot["supportsFiles"] is True
    assert bot.get("isNotificationOnly", False) is False


def test_one_japanese_command_list_per_scope(manifest: dict[str, Any]) -> None:
    lists = manifest["bots"][0]["commandLists"]
    assert [cl["scopes"] for cl in lists] == [[scope] for scope in SCOPES]
    for command_list in lists:
        commands = command_list["commands"]
        assert len(commands) <= 10
        assert [c["title"] for c in commands] == COMMAND_TITLES
        for command in commands:
            # Conservative limits (older schemas and the Teams store: 32 / 128 characters).
            assert len(command["title"]) <= 32
            assert 0 < len(command["description"]) <= 128
            assert JAPANESE.search(command["description"]), command


def test_every_command_reaches_the_menu_or_a_programme(manifest: dict[str, Any]) -> None:
    """A command picked from the Teams command menu must be understood by the bot's keyword routing."""
    from bot.programmes import PROGRAMMES
    from services.kernel.programmes import is_menu_request, match_programme

    infos = [p.info for p in PROGRAMMES]
    routed = {}
    for command in manifest["bots"][0]["commandLists"][0]["commands"]:
        title = command["title"]
        routed[title] = "menu" if is_menu_request(title) else match_programme(title, infos)
    assert routed == {
        "メニュー": "menu",
        "ヘルプ": "menu",
        "マイナンバー": "mynumber",
        "オンライン化": "online_procedures",
        "キャッシュレス": "cashless",
        "標準化": "standardization",
        "DX": "dx",
        "リテラシー": "literacy",
        "スマホ教室": "digital_divide",
    }


def test_names_descriptions_and_language(manifest: dict[str, Any]) -> None:
    assert manifest["name"] == {
        "short": "ICT推進ボット",
        "full": "ICT推進ボット（堺市 ICTイノベーション推進室）",
    }
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "ja-jp"
    description = manifest["description"]
    assert 0 < len(description["short"]) <= 80
    assert 0 < len(description["full"]) <= 4000
    assert JAPANESE.search(description["short"]) and JAPANESE.search(description["full"])
    developer = manifest["developer"]
    assert developer["name"] == "堺市 ICTイノベーション推進室"
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[key].startswith("https://"), key
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_accent_colour_matches_icon_design(manifest: dict[str, Any]) -> None:
    assert manifest["accentColor"].upper() == "#{:02X}{:02X}{:02X}".format(*make_icons.ACCENT)


# ------------------------------------------------------------------------------ negatives


def _mutations() -> list[tuple[str, Any]]:
    def set_version(m):
        m["manifestVersion"] = "0.1"

    def bad_bot_id(m):
        m["bots"][0]["botId"] = "not-a-guid"

    def no_icons(m):
        del m["icons"]

    def long_short_description(m):
        m["description"]["short"] = "あ" * 81

    def too_many_commands(m):
        m["bots"][0]["commandLists"][0]["commands"] *= 2  # 18 > 12

    def unknown_field(m):
        m["webhookUrl"] = "https://example.invalid/"

    def bad_scope(m):
        m["bots"][0]["scopes"].append("meetings")

    return [
        ("manifestVersion", set_version),
        ("bots/0/botId", bad_bot_id),
        ("(root)", no_icons),
        ("description/short", long_short_description),
        ("bots/0/commandLists/0/commands", too_many_commands),
        ("(root)", unknown_field),
        ("bots/0/scopes/3", bad_scope),
    ]


@pytest.mark.parametrize(("where", "mutate"), _mutations(), ids=lambda v: getattr(v, "__name__", None))
def test_invalid_manifest_fails_validation(
    validator: Draft7Validator, manifest: dict[str, Any], where: str, mutate
) -> None:
    """Proves the validator really checks, including ``manifestVersion`` (a ``const``)."""
    bad = copy.deepcopy(manifest)
    mutate(bad)
    errors = errors_of(validator, bad)
    assert errors, "the mutated manifest should be invalid"
    assert any(e.startswith(f"{where}: ") for e in errors), errors


# ------------------------------------------------------------------------------------ icons


def test_color_icon_is_192_full_colour(packaged: dict[str, bytes]) -> None:
    header = png.read_header(packaged["color.png"])
    assert (header.width, header.height) == (192, 192)
    assert header.colour_type in (png.RGB, png.RGBA)
    image = png.decode(packaged["color.png"])
    colours = {p[:3] for p in image.pixels if p[3] == 255}
    assert (0xFF, 0xFF, 0xFF) in colours and make_icons.ACCENT in colours
    assert image.pixel(96, 5)[3] == 255, "the background is solid, not transparent"


def test_outline_icon_is_32_rgba_white_on_transparent(packaged: dict[str, bytes]) -> None:
    header = png.read_header(packaged["outline.png"])
    assert (header.width, header.height) == (32, 32)
    assert header.colour_type == png.RGBA and header.bit_depth == 8
    image = png.decode(packaged["outline.png"])
    offending = [
        (i % 32, i // 32, p) for i, p in enumerate(image.pixels) if p[3] != 0 and p[:3] != (255, 255, 255)
    ]
    assert offending == [], "outline pixels must be white or fully transparent"
    alphas = [p[3] for p in image.pixels]
    assert alphas.count(0) > 100 and alphas.count(255) > 100, "a visible shape on a transparent field"
    assert image.pixel(0, 0)[3] == 0


def test_committed_icons_match_the_script(tmp_path: Path) -> None:
    make_icons.make_icons(tmp_path)
    for name in ("color.png", "outline.png"):
        assert (tmp_path / name).read_bytes() == (DEFAULT_MANIFEST_DIR / name).read_bytes(), (
            f"{name} is stale: run `python -m manifest.make_icons`"
        )


def test_png_reader_rejects_corruption(packaged: dict[str, bytes]) -> None:
    data = bytearray(packaged["outline.png"])
    data[20] ^= 0xFF  # inside IHDR: the CRC no longer matches
    with pytest.raises(png.PngError, match="CRC"):
        png.decode(bytes(data))
    with pytest.raises(png.PngError, match="signature"):
        png.decode(b"GIF89a")


# -------------------------------------------------------------------------- build failures


@pytest.mark.parametrize("bot_id", ["", "   ", "not-a-guid", "3f2a9c1e5b7d4e0a9c612d8e4b7f1a05"])
def test_build_rejects_missing_or_non_guid_bot_id(tmp_path: Path, bot_id: str) -> None:
    with pytest.raises(PackageError):
        build_package(bot_id, tmp_path / "p.zip")
    assert not (tmp_path / "p.zip").exists()


def test_build_rejects_bad_version(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="1.2.3"):
        build_package(BOT_ID, tmp_path / "p.zip", app_version="v2")


def _copy_manifest_dir(tmp_path: Path) -> Path:
    target = tmp_path / "src"
    target.mkdir()
    for name in ("manifest.json", "color.png", "outline.png"):
        (target / name).write_bytes((DEFAULT_MANIFEST_DIR / name).read_bytes())
    return target


def test_build_rejects_a_leftover_placeholder(tmp_path: Path) -> None:
    src = _copy_manifest_dir(tmp_path)
    data = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    data["developer"]["websiteUrl"] = "${{WEBSITE_URL}}"
    (src / "manifest.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PackageError, match=r"\$\.developer\.websiteUrl"):
        build_package(BOT_ID, tmp_path / "p.zip", src)


def test_build_rejects_a_wrong_size_icon(tmp_path: Path) -> None:
    src = _copy_manifest_dir(tmp_path)
    png.write_rgba(src / "outline.png", 16, 16, [(255, 255, 255, 0)] * 256)
    with pytest.raises(PackageError, match="32×32"):
        build_package(BOT_ID, tmp_path / "p.zip", src, urls=URLS)


# ---------------------------------------------------------------------------------------- CLI


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the CLI in an empty directory without MicrosoftAppId in the environment (the developer's
    page URLs are set)."""
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    for name, value in URLS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cli_manifest(out: Path) -> dict[str, Any]:
    with zipfile.ZipFile(out) as zf:
        return json.loads(zf.read("manifest.json"))


def test_cli_with_bot_id(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bot-id", BOT_ID, "--out", "build/ict-bot.zip"]) == 0
    assert _cli_manifest(clean_env / "build" / "ict-bot.zip")["bots"][0]["botId"] == BOT_ID
    assert "build/ict-bot.zip" in capsys.readouterr().out


def test_cli_reads_the_environment(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MicrosoftAppId", BOT_ID)
    (clean_env / ".env").write_text(f"MicrosoftAppId={OTHER_ID}\n", encoding="utf-8")
    assert main(["--out", "p.zip"]) == 0
    assert _cli_manifest(clean_env / "p.zip")["id"] == BOT_ID, "the real environment wins over .env"


def test_cli_reads_dotenv(clean_env: Path) -> None:
    (clean_env / ".env").write_text(f"MicrosoftAppId={OTHER_ID}\n", encoding="utf-8")
    assert main(["--out", "p.zip"]) == 0
    assert _cli_manifest(clean_env / "p.zip")["bots"][0]["botId"] == OTHER_ID
    assert "MicrosoftAppId" not in os.environ, "reading .env must not change the process environment"


def test_cli_bot_id_option_wins(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", OTHER_ID)
    assert main(["--bot-id", BOT_ID, "--out", "p.zip"]) == 0
    assert _cli_manifest(clean_env / "p.zip")["id"] == BOT_ID


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--out", "p.zip"], "MicrosoftAppId"),
        (["--bot-id", "not-a-guid", "--out", "p.zip"], "GUID"),
        (["--bot-id", BOT_ID, "--app-id", "x", "--out", "p.zip"], "GUID"),
    ],
    ids=["missing", "not-guid", "bad-app-id"],
)
def test_cli_errors_are_one_line(
    clean_env: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("エラー: ") and expected in lines[0], captured.err
    assert not (clean_env / "p.zip").exists()


# ------------------------------------------------------------------------- the developer's pages


def test_the_developer_urls_come_from_the_settings(manifest: dict[str, Any]) -> None:
    assert manifest["developer"]["websiteUrl"] == URLS["TEAMS_APP_WEBSITE_URL"]
    assert manifest["developer"]["privacyUrl"] == URLS["TEAMS_APP_PRIVACY_URL"]
    assert manifest["developer"]["termsOfUseUrl"] == URLS["TEAMS_APP_TERMS_URL"]


def test_the_template_holds_no_made_up_url() -> None:
    developer = load_template()["developer"]
    assert developer["websiteUrl"] == "${{TEAMS_APP_WEBSITE_URL}}"
    assert all(url.startswith("${{") for url in (developer["privacyUrl"], developer["termsOfUseUrl"]))


def test_the_package_step_refuses_to_build_with_a_placeholder_left(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TEAMS_APP_PRIVACY_URL")
    assert main(["--bot-id", BOT_ID, "--out", "p.zip"]) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1
        and "$.developer.privacyUrl" in err
        and "TEAMS_APP_PRIVACY_URL を設定してください" in err
    )
    assert not (clean_env / "p.zip").exists()


def test_the_urls_may_come_from_dotenv_and_must_be_https(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TEAMS_APP_TERMS_URL")
    (clean_env / ".env").write_text("TEAMS_APP_TERMS_URL=https://example.org/terms\n", encoding="utf-8")
    assert main(["--bot-id", BOT_ID, "--out", "p.zip"]) == 0
    assert _cli_manifest(clean_env / "p.zip")["developer"]["termsOfUseUrl"] == "https://example.org/terms"
    monkeypatch.setenv("TEAMS_APP_WEBSITE_URL", "http://example.org/")
    assert main(["--bot-id", BOT_ID, "--out", "q.zip"]) == 2
    assert "TEAMS_APP_WEBSITE_URL は https:// で始まる URL" in capsys.readouterr().err
    assert not (clean_env / "q.zip").exists()


# --------------------------------------------------------------------------- what is live


def _live_and_preparing() -> tuple[list[str], list[str]]:
    """The programmes' titles, from the registry: live (a dialog of its own) and preparing."""
    from bot.programmes import PROGRAMMES
    from dialogs.base import PreparingDialog

    live = [p.info.title for p in PROGRAMMES if p.dialog is not PreparingDialog]
    preparing = [p.info.title for p in PROGRAMMES if p.dialog is PreparingDialog]
    return live, preparing


def test_the_description_says_which_programmes_are_live(manifest: dict[str, Any]) -> None:
    live, preparing = _live_and_preparing()
    lines = manifest["description"]["full"].splitlines()
    available = next(line for line in lines if line.startswith("ご利用いただける取組: "))
    assert available.removeprefix("ご利用いただける取組: ").split("、") == live
    coming = next((line for line in lines if line.startswith("準備中の取組: ")), "準備中の取組: ")
    assert coming.removeprefix("準備中の取組: ").removesuffix("（順次公開します）").split("、") == (
        preparing or [""]
    )


def test_a_command_of_a_preparing_programme_says_so(manifest: dict[str, Any]) -> None:
    from bot.programmes import PROGRAMMES
    from dialogs.base import PreparingDialog
    from services.kernel.programmes import match_programme

    infos = [p.info for p in PROGRAMMES]
    preparing = {p.info.key for p in PROGRAMMES if p.dialog is PreparingDialog}
    for command_list in manifest["bots"][0]["commandLists"]:
        for command in command_list["commands"]:
            key = match_programme(command["title"], infos)
            if key is not None:
                assert ("準備中" in command["description"]) == (key in preparing), command
