"""The errors of キャッシュレス and the resource its permission checks name (shared by the service
modules)."""

from __future__ import annotations

from services.cashless.models import Receivable, UpdateForm
from services.people.permissions import Resource, ResourceKind

AUDIT_KIND = "cashless"


class CashlessError(Exception):
    """A request that cannot be done; ``str(error)`` is a Japanese sentence for the user."""


class UnknownReceivable(CashlessError):
    def __init__(self, rid: str):
        super().__init__("その債権は登録されていません。一覧から選び直してください。")
        self.rid = rid


class FormRejected(CashlessError):
    """Not saved: ``form`` is the same card again with the user's values and the errors (or a notice)."""

    def __init__(self, form: UpdateForm):
        super().__init__(form.notice or "；".join(form.errors.values()))
        self.form = form


def resource_of(r: Receivable | None = None) -> Resource:
    """A receivable's records (its bureau), or, without one, every bureau's (admins only)."""
    return Resource(ResourceKind.CASHLESS, bureau=(r.bureau or None) if r else None)
