"""Build the Teams app package (a zip of manifest.json and the two icons).

    python -m manifest.package --bot-id 00000000-0000-0000-0000-000000000000 --out build/ict-bot.zip

Without ``--bot-id`` the id comes from the environment variable ``MicrosoftAppId`` (the same one the
bot reads), or from ``MicrosoftAppId`` in ``.env`` in the current directory; the real environment
wins over the file. A missing or non-GUID id stops the build with one line on stderr (exit 2).

``manifest.json`` in this folder is a template: ``id`` and ``bots[0].botId`` hold the placeholder
``${{BOT_ID}}``, and the developer's pages hold ``${{TEAMS_APP_WEBSITE_URL}}``,
``${{TEAMS_APP_PRIVACY_URL}}`` and ``${{TEAMS_APP_TERMS_URL}}``, filled from the settings of the same
names (environment, then ``.env``; https URLs). The build loads the JSON, fills the fields and dumps it
again; it never edits the JSON text. A placeholder left unfilled stops the build, naming the setting.

App id: by default the Teams app ``id`` equals the bot's Microsoft App ID. Both are GUIDs, a bot-only
app needs no other identity, and a fixed id lets Teams treat a new package as an update of the
same app (a fresh random id would install a second copy). Pass ``--app-id`` to use another GUID,
for example when the same bot registration is packaged as two separate apps. To upload an update,
raise ``version`` with ``--app-version``.

Before packing, the icons named in the manifest are checked with the standard-library PNG reader:
colour 192x192, outline 32x32. The schema itself is validated in the tests (see
``tests/manifest/test_manifest.py``), because ``jsonschema`` and the schema files from npm are
development dependencies.

"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from manifest import png

DEFAULT_MANIFEST_DIR = Path(__file__).resolve().parent
MANIFEST_FILE = "manifest.json"
BOT_ID_PLACEHOLDER = "${{BOT_ID}}"
BOT_ID_ENV = "MicrosoftAppId"
#: Settings whose values fill the template's ``${{NAME}}`` placeholders of the developer's pages.
URL_SETTINGS = ("TEAMS_APP_WEBSITE_URL", "TEAMS_APP_PRIVACY_URL", "TEAMS_APP_TERMS_URL")
HTTPS_URL = re.compile(r"^https://[^\s/?#]+(?:/[^\s]*)?$")
_PLACEHOLDER = re.compile(r"\$\{\{([A-Z_]+)\}\}")

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
ICON_SIZES = {"color": 192, "outline": 32}

# Fixed timestamp for zip entries, so that the same inputs give a byte-identical package.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """The package cannot be built; ``str(error)`` is one line that says why (in Japanese)."""


def is_guid(value: str) -> bool:
    return bool(GUID.match(value or ""))


def _require_guid(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise PackageError(f"{what}がありません。")
    if not is_guid(value):
        raise PackageError(
            f"{what} {value!r} は GUID 形式（xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）ではありません。"
        )
    return value


def load_template(manifest_dir: Path = DEFAULT_MANIFEST_DIR) -> dict[str, Any]:
    path = Path(manifest_dir) / MANIFEST_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackageError(f"マニフェストのテンプレート {path} が見つかりません。") from exc
    except json.JSONDecodeError as exc:
        raise PackageError(f"{path} が JSON として読めません（{exc}）。") from exc


def _placeholders(value: Any, path: str = "$") -> list[str]:
    """JSON paths of strings that still contain a ``${{...}}`` placeholder."""
    if isinstance(value, str):
        return [path] if "${{" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _placeholders(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{path}[{i}]")]
    return []


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    """``value`` with every ``${{NAME}}`` whose NAME is in ``values`` replaced (others left as they are)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def render_manifest(
    template: dict[str, Any],
    bot_id: str,
    *,
    app_id: str | None = None,
    app_version: str | None = None,
    urls: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A copy of ``template`` with the bot id (and app id, optionally version, and the developer's
    page URLs from :data:`URL_SETTINGS`) filled in. Anything left unfilled is an error."""
    bot_id = _require_guid(bot_id, "ボットの ID")
    given = {name: value.strip() for name, value in (urls or {}).items() if value and value.strip()}
    for name, value in given.items():
        if not HTTPS_URL.match(value):
            raise PackageError(f"{name} は https:// で始まる URL で指定してください（指定値: {value}）。")
    app_id = _require_guid(app_id, "アプリの ID") if app_id is not None else bot_id
    manifest = _fill(copy.deepcopy(template), given)
    manifest["id"] = app_id
    bots = manifest.get("bots") or []
    if not bots:
        raise PackageError("マニフェストに bots がありません。")
    for bot in bots:
        bot["botId"] = bot_id
    if app_version is not None:
        if not SEMVER.match(app_version):
            raise PackageError(f"バージョン {app_version!r} は 1.2.3 の形式で指定してください。")
        manifest["version"] = app_version
    left = _placeholders(manifest)
    if left:
        names = sorted({m for p in left for m in _PLACEHOLDER.findall(_at(manifest, p))} - {"BOT_ID"})
        hint = f"（{'・'.join(names)} を設定してください）" if names else ""
        raise PackageError(f"置き換えられていないプレースホルダーがあります: {', '.join(left)}{hint}")
    return manifest


def _at(document: Any, path: str) -> str:
    """The string at a JSON path of :func:`_placeholders` (``$.a.b[0]``)."""
    for key in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        document = document[key[0]] if key[0] else document[int(key[1])]
    return str(document)


def _check_icon(path: Path, kind: str) -> None:
    size = ICON_SIZES[kind]
    try:
        header = png.read_header(path.read_bytes())
    except FileNotFoundError as exc:
        raise PackageError(f"アイコン {path} が見つかりません。") from exc
    except png.PngError as exc:
        raise PackageError(f"アイコン {path} が PNG として読めません（{exc}）。") from exc
    if (header.width, header.height) != (size, size):
        raise PackageError(
            f"アイコン {path.name} は {size}×{size} である必要があります"
            f"（実際は {header.width}×{header.height}）。"
        )


def _write_entry(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def build_package(
    bot_id: str,
    out_path: Path,
    manifest_dir: Path = DEFAULT_MANIFEST_DIR,
    *,
    app_id: str | None = None,
    app_version: str | None = None,
    urls: Mapping[str, str] | None = None,
) -> Path:
    """Write the Teams app package to ``out_path`` and return it.

    The zip holds ``manifest.json`` and the icons at its root. The app id defaults to the bot id.
    """
    manifest_dir = Path(manifest_dir)
    manifest = render_manifest(
        load_template(manifest_dir), bot_id, app_id=app_id, app_version=app_version, urls=urls
    )

    icons: dict[str, bytes] = {}
    for kind in ICON_SIZES:
        name = (manifest.get("icons") or {}).get(kind)
        if not name:
            raise PackageError(f"マニフェストの icons.{kind} がありません。")
        if Path(name).name != name:
            raise PackageError(f"icons.{kind} はパッケージ直下のファイル名にしてください（{name!r}）。")
        path = manifest_dir / name
        _check_icon(path, kind)
        icons[name] = path.read_bytes()

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    with zipfile.ZipFile(out_path, "w") as zf:
        _write_entry(zf, MANIFEST_FILE, body.encode("utf-8"))
        for name, data in icons.items():
            _write_entry(zf, name, data)
    return out_path


def _from_environment(name: str, dotenv_path: Path = Path(".env")) -> str:
    """A setting as the bot reads it: the environment, else ``.env`` in the current directory."""
    value = os.environ.get(name, "").strip()
    if value or not dotenv_path.is_file():
        return value
    try:
        from dotenv import dotenv_values
    except ImportError:  # pragma: no cover - python-dotenv is a runtime requirement
        return ""
    return (dotenv_values(dotenv_path).get(name) or "").strip()


def _bot_id_from_environment(dotenv_path: Path = Path(".env")) -> str:
    return _from_environment(BOT_ID_ENV, dotenv_path)


def main(argv: Sequence[str] | None = None) -> int:
    from services.kernel.cli import ArgumentParser  # help and usage errors in Japanese, like every CLI

    parser = ArgumentParser(
        prog="python -m manifest.package",
        description="ICT推進ボットの Teams アプリパッケージ（zip）を作成します。",
    )
    parser.add_argument("--bot-id", help=f"ボットの Microsoft App ID（省略時は環境変数 {BOT_ID_ENV}）")
    parser.add_argument("--out", type=Path, default=Path("build/ict-bot.zip"), help="出力する zip のパス")
    parser.add_argument("--app-id", help="Teams アプリの ID（省略時はボットの ID と同じ）")
    parser.add_argument("--app-version", help="アプリのバージョン（例: 1.0.1）。省略時は manifest.json の値")
    parser.add_argument(
        "--manifest-dir", type=Path, default=DEFAULT_MANIFEST_DIR, help="manifest.json とアイコンのフォルダー"
    )
    args = parser.parse_args(argv)

    bot_id = (args.bot_id or "").strip() or _bot_id_from_environment()
    if not bot_id:
        print(
            "エラー: ボットの ID がありません。"
            f"--bot-id を指定するか、環境変数 {BOT_ID_ENV} を設定してください。",
            file=sys.stderr,
        )
        return 2
    try:
        urls = {name: _from_environment(name) for name in URL_SETTINGS}
        out = build_package(
            bot_id, args.out, args.manifest_dir, app_id=args.app_id, app_version=args.app_version, urls=urls
        )
    except PackageError as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    print(f"Teams アプリパッケージを作成しました: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
