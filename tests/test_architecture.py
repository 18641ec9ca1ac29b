"""The import direction of DESIGN §2, checked by parsing every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EDGE_LIBRARIES = ("botbuilder", "aiohttp", "apscheduler")

# package -> top-level names it must not import
FORBIDDEN = {
    "services": (*EDGE_LIBRARIES, "bot", "dialogs", "cards", "app", "azure"),
    "storage": (*EDGE_LIBRARIES, "bot", "dialogs", "cards", "services", "app"),
    "cards": (*EDGE_LIBRARIES, "bot", "dialogs", "storage", "app", "pandas", "azure"),
    "dialogs": ("bot", "app", "azure", "aiohttp", "apscheduler"),
    "bot": ("app", "azure"),
}
# cards may import only service *models*; these are the modules they may use from services/
CARDS_MAY_IMPORT_FROM_SERVICES = (
    "services.kernel.programmes",
    "services.people.identity",
    "services.audit.models",
    "services.proactive.alerts",
    "services.proactive.channels",
    "services.proactive.digest",
    "services.proactive.jobs",
    "services.online_procedures.models",
    "services.mynumber.models",
    "services.cashless.models",
    "services.dx.models",
    "services.standardization.models",
    "services.literacy.models",
    "services.digital_divide.models",
)
CARDS_MAY_IMPORT_FROM_SERVICES += (
    "services.kernel.numbers",
)  # pure parsing: show a value as the service reads it


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    offences = []
    for path in modules(package):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_cards_import_only_service_models():
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("cards")
        for name in imports_of(path)
        if name.startswith("services") and name not in CARDS_MAY_IMPORT_FROM_SERVICES
    ]
    assert offences == []


def test_azure_sdk_only_in_the_azure_backend():
    offences = [
        str(path.relative_to(ROOT))
        for package in ("app.py", "bot", "dialogs", "cards", "services", "storage")
        for path in ([ROOT / package] if package.endswith(".py") else modules(package))
        if any(n.startswith("azure.data.tables") or n.startswith("azure.core") for n in imports_of(path))
        and path != ROOT / "storage" / "azure.py"
    ]
    assert offences == []


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from botbuilder.core import TurnContext\nimport aiohttp.web\n", encoding="utf-8")
    assert imports_of(bad) == ["botbuilder.core", "aiohttp.web"]


SHARED_PACKAGES = ("kernel", "people", "audit", "proactive")
PROGRAMME_KEYS = (
    "mynumber",
    "online_procedures",
    "cashless",
    "standardization",
    "dx",
    "literacy",
    "digital_divide",
)


def _service_package(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" else None


def test_services_holds_only_packages():
    loose = [p.name for p in (ROOT / "services").glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    unknown = [
        p.name
        for p in (ROOT / "services").iterdir()
        if p.is_dir() and p.name != "__pycache__" and p.name not in (*SHARED_PACKAGES, *PROGRAMME_KEYS)
    ]
    assert unknown == []


@pytest.mark.parametrize("package", SHARED_PACKAGES)
def test_shared_packages_never_import_a_programme(package):
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(f"services/{package}")
        for name in imports_of(path)
        if _service_package(name) in PROGRAMME_KEYS
    ]
    assert offences == []


@pytest.mark.parametrize("programme", [k for k in PROGRAMME_KEYS if (ROOT / "services" / k).is_dir()])
def test_a_programme_never_imports_another(programme):
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(f"services/{programme}")
        for name in imports_of(path)
        if _service_package(name) in PROGRAMME_KEYS and _service_package(name) != programme
    ]
    assert offences == []
