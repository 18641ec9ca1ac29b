"""The linkage audit (全データ点検) in Teams: a bureau contact of an operation sends the registry
extract and the business records in the 1:1 chat, confirms the column mapping, and gets a summary,
the Excel report (file consent) and ① ② of the operation filled in.

1. **Start** (``mynumber.audit`` from the operation card): the permission to update the operation is
   checked (``require``), then a session is stored (TableStore, with an expiry): the bot now waits
   for this person's files, for this operation. ``MainDialog.on_files`` routes files here for any
   role while a session waits.
2. **Files**: each is streamed to disk (``IncomingFile.save``, bot/uploads.py) into the session's
   private folder (0700), up to ``MYNUMBER_AUDIT_MAX_UPLOAD_MB``; only the header row is read here.
   Names are logged, never content. A file sent while another audit runs is refused politely and
   not downloaded.
3. **Mapping**: a card with the detected columns per file to confirm (``mynumber.audit_run``);
   mistakes are shown in place with the choices kept.
4. **Run**: the one app-wide :class:`~services.mynumber.audit.worker.AuditWorker` (a separate process,
   one run at a time: ``AuditBusy`` is refused politely). A progress card is posted and updated in
   place every ``MYNUMBER_AUDIT_PROGRESS_SECONDS`` by a background task through the adapter; at the
   end it becomes the summary card. The folder is removed and the session deleted whatever happens.
5. **Results**: the report stays in memory (:class:`ReportVault`, ``MYNUMBER_AUDIT_REPORT_MINUTES``)
   for its owner only; ``mynumber.audit_report`` offers it through ``deps.files``. ① and ② are filled
   through ``MyNumberService.attach_audit_result`` (permission checked again, audited).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext

from cards import mynumber_audit as cards
from dialogs.base import DialogDeps, ExportUnavailable, FileOffer, IncomingFile, UploadFailed
from services.kernel.privacy import mask_my_number
from services.kernel.settings import TIMEZONE, Settings
from services.mynumber.audit import reader
from services.mynumber.audit.engine import Verdict
from services.mynumber.audit.run import read_headers
from services.mynumber.audit.uploads import (
    CONFIRM,
    ROLES,
    RUNNING,
    WAITING,
    AuditSession,
    AuditSessions,
    UploadArea,
    UploadedFile,
    stored_name,
)
from services.mynumber.audit.worker import AuditBusy, AuditWorker, ReportVault, RunOutcome
from services.mynumber.models import AuditFileChoice, AuditResult, AuditSummary, Operation
from services.mynumber.service import FormRejected, MyNumberError, MyNumberService, resource_of
from services.people.identity import Actor
from services.people.permissions import Action, Forbidden, require

logger = logging.getLogger(__name__)

EXPORT_AUDIT = "mynumber.audit_report"
_REGISTRY_HINTS = ("住基", "住民基本台帳", "住民票", "registry", "juki", "jyuki")
_RECORDS_HINTS = ("業務", "records", "business")
GONE_MESSAGE = (
    "この点検結果の Excel は、保存期間（{minutes}分）が過ぎたか、ボットの再起動で消えました"
    "（結果の Excel はボットに保存していません）。お手数ですが、もう一度「全データ点検」を実行してください。"
)


@dataclass
class AuditRuntime:
    """The app-wide pieces of the audit: one worker, one report vault, one upload area."""

    worker: AuditWorker
    vault: ReportVault
    area: UploadArea
    tasks: set[asyncio.Task] = field(default_factory=set)
    locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditRuntime:
        area = UploadArea(settings.mynumber_audit_work_dir)
        # what a crash left behind: older than the longest a session may wait
        area.sweep(settings.mynumber_audit_wait_minutes * 60)
        return cls(AuditWorker(), ReportVault(settings.mynumber_audit_report_minutes * 60), area)

    def lock(self, actor_id: str) -> asyncio.Lock:
        """Serialises one person's steps (files arriving in two messages at once)."""
        held = self.locks.get(actor_id)
        if held is None:
            held = self.locks[actor_id] = asyncio.Lock()
        return held

    def track(self, task: asyncio.Task) -> None:
        """Keep a background task alive until it ends (and cancel it at shutdown)."""
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def shutdown(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self.worker.shutdown()


def runtime_of(deps: DialogDeps) -> AuditRuntime:
    runtime = deps.audit
    if runtime is None:  # dialogs built without the app (tests): one of their own
        runtime = AuditRuntime.from_settings(deps.settings)
        object.__setattr__(deps, "audit", runtime)
    return runtime


def _op_data(op: Operation) -> dict[str, str]:
    return {"bureau": op.bureau, "operation": op.id}


def report_export(deps: DialogDeps, actor: Actor, params: Mapping[str, str]) -> bytes:
    """``exports=``: the report of a run, from memory, for its owner who may still update the operation."""
    service = MyNumberService(deps.store, deps.clock)
    op = service.operation(actor.person, params.get("bureau", ""), params.get("operation", ""))
    require(actor.person, Action.WRITE, resource_of(op.unit))
    runtime = deps.audit
    held = runtime.vault.get(params.get("run", ""), actor.object_id) if runtime is not None else None
    if held is None:
        raise ExportUnavailable(GONE_MESSAGE.format(minutes=deps.settings.mynumber_audit_report_minutes))
    return held[1]


class AuditFlow:
    def __init__(self, deps: DialogDeps, service: MyNumberService):
        self.deps = deps
        self.service = service
        self.settings = deps.settings
        self.sessions = AuditSessions(
            deps.store, deps.clock, timedelta(minutes=deps.settings.mynumber_audit_wait_minutes)
        )

    @property
    def runtime(self) -> AuditRuntime:
        return runtime_of(self.deps)

    # --- helpers ------------------------------------------------------------------------------------

    async def _op(self, actor: Actor, bureau: str, op_id: str) -> Operation:
        """The operation, if ``actor`` may update it (raises Forbidden / UnknownOperation)."""
        op = await asyncio.to_thread(self.service.operation, actor.person, bureau, op_id)
        require(actor.person, Action.WRITE, resource_of(op.unit))
        return op

    async def _session(self, actor: Actor) -> AuditSession | None:
        """The person's live session; an expired one, or a run this process is not running (the bot
        restarted mid-run), is cleaned up (folder and entity) and None."""
        session = await asyncio.to_thread(self.sessions.get, actor.object_id)
        if session is None:
            return None
        stale = session.state == RUNNING and self.runtime.worker.running != session.run_id
        if stale or self.sessions.expired(session):
            await self._drop(session)
            return None
        return session

    async def _drop(self, session: AuditSession) -> None:
        await asyncio.to_thread(self.runtime.area.remove, session.folder)
        await asyncio.to_thread(self.sessions.delete, session.actor_id)

    def _waiting(
        self, op: Operation, session: AuditSession | None, *, message: str = "", error: str = ""
    ) -> dict:
        received = []
        for role in ROLES:
            file = session.file(role) if session else None
            if file is not None:
                received.append((role, file.name))
        return cards.waiting_card(
            op.name,
            op.unit.path,
            received,
            _op_data(op),
            max_mb=self.settings.mynumber_audit_max_upload_mb,
            wait_minutes=self.settings.mynumber_audit_wait_minutes,
            message=message,
            error=error,
        )

    @staticmethod
    def _choices(
        session: AuditSession, chosen: Mapping[str, Mapping[str, str]] | None = None
    ) -> list[AuditFileChoice]:
        out = []
        for role in ROLES:
            file = session.file(role)
            assert file is not None
            detected = reader.detect_mapping(list(file.headers), role)
            columns = {f: "" for f in reader.FIELD_LABELS}
            columns.update(detected.columns)
            if chosen is not None:
                columns.update(chosen.get(role, {}))
            out.append(
                AuditFileChoice(
                    role, file.name, file.headers, columns, detected.unsure, reader.REQUIRED[role]
                )
            )
        return out

    def _mapping(
        self, op: Operation, session: AuditSession, chosen=None, errors=None, message: str = ""
    ) -> dict:
        return cards.mapping_card(
            op.name,
            op.unit.path,
            self._choices(session, chosen),
            reader.FIELD_LABELS,
            _op_data(op),
            errors=errors,
            message=message,
        )

    # --- 1. start -------------------------------------------------------------------------------------

    async def start(self, actor: Actor, bureau: str, op_id: str) -> dict:
        op = await self._op(actor, bureau, op_id)
        if not actor.object_id:
            return cards.notice_card(
                "全データ点検", "Teams の利用者を確認できないため、点検を始められません。", _op_data(op)
            )
        # folders of sessions nobody came back to (their files must not wait for a restart)
        await asyncio.to_thread(self.runtime.area.sweep, (self.settings.mynumber_audit_wait_minutes + 5) * 60)
        old = await self._session(actor)
        if old is not None and old.state == RUNNING:
            return cards.notice_card(
                "点検中です", "あなたの点検を実行中です。終わると結果のカードが届きます。", _op_data(op)
            )
        if old is not None:
            await self._drop(old)
        session = AuditSession(actor.object_id, op.bureau, op.id)
        await asyncio.to_thread(self.sessions.save, session)
        logger.info("mynumber audit: waiting for files for %s/%s", op.bureau, op.id)
        return self._waiting(op, None)

    async def cancel(self, actor: Actor, bureau: str, op_id: str) -> dict:
        session = await self._session(actor)
        if session is not None and session.state == RUNNING:
            return cards.notice_card(
                "点検中です", "実行中の点検は取りやめられません。終わるまでお待ちください。"
            )
        if session is not None:
            await self._drop(session)
        data = {"bureau": bureau, "operation": op_id} if bureau and op_id else None
        return cards.notice_card(
            "取りやめました", "全データ点検を取りやめました。受け取ったファイルは削除しました。", data
        )

    # --- 2. files -------------------------------------------------------------------------------------

    async def awaits_files(self, actor: Actor) -> bool:
        return (await self._session(actor)) is not None

    async def on_files(self, turn: TurnContext, actor: Actor, files: Sequence[IncomingFile]) -> dict:
        """Checks now, then answers at once: the files are received in the background (a registry
        extract takes longer than a turn may) and the next card (mapping or waiting) is posted then."""
        session = await self._session(actor)
        if session is None:
            return cards.notice_card(
                "全データ点検", "ファイルを待っている点検はありません。事務のカードから始めてください。"
            )
        op = await self._op(actor, session.bureau, session.operation)
        if session.state == RUNNING:
            return cards.notice_card(
                "点検中です", "あなたの点検を実行中です。終わると結果のカードが届きます。", _op_data(op)
            )
        runtime = self.runtime
        if runtime.worker.running is not None:
            return self._waiting(
                op,
                session,
                error="ほかの点検を実行中です。終わってから、もう一度ファイルを送ってください"
                "（今回のファイルは受け取っていません）。",
            )
        if not any(f.save is not None for f in files):
            return self._waiting(
                op, session, error="このファイルは受け取れません（Teams のファイル添付で送ってください）。"
            )
        reference = TurnContext.get_conversation_reference(turn.activity)
        adapter, app_id = turn.adapter, self.settings.app_id

        async def receive() -> None:
            try:
                card = await self._receive_files(actor, op, files)
            except Exception as error:  # noqa: BLE001 - the type only: a message could quote a cell
                logger.error("mynumber audit: receiving files failed: %s", type(error).__name__)
                card = self._waiting(
                    op, None, error="ファイルを受け取れませんでした。もう一度送ってください。"
                )
            if card is not None:
                await show_card(adapter, reference, app_id, card)

        runtime.track(asyncio.create_task(receive()))
        return cards.receiving_card(op.name, op.unit.path, [f.name for f in files[:2]], _op_data(op))

    async def _receive_files(self, actor: Actor, op: Operation, files: Sequence[IncomingFile]) -> dict | None:
        runtime = self.runtime
        async with runtime.lock(actor.object_id):  # one person's files one message after another
            session = await self._session(actor)
            if session is None or session.state == RUNNING:
                return None  # cancelled, expired or already running meanwhile
            if session.complete:  # two files already: new files start the pair again
                await asyncio.to_thread(runtime.area.remove, session.folder)
                session = replace(session, folder="", registry=None, records=None, state=WAITING)
            if not session.folder:
                folder = await asyncio.to_thread(runtime.area.new_folder)
                session = replace(session, folder=str(folder))
                await asyncio.to_thread(self.sessions.save, session)
            problems: list[str] = []
            assigned = self._assign(session, files)
            for role, file in assigned:
                saved, problem = await self._receive(session, role, file)
                if problem:
                    problems.append(f"{file.name[:60]}: {problem}")
                else:
                    session = session.with_file(role, saved)
            current = await asyncio.to_thread(self.sessions.get, actor.object_id)
            if current is None or current.folder != session.folder:  # cancelled while receiving
                await asyncio.to_thread(runtime.area.remove, session.folder)
                return None
            if session.complete:
                session = replace(session, state=CONFIRM)
            await asyncio.to_thread(self.sessions.save, session)
        if session.complete:
            return self._mapping(op, session)
        message = "3つ目以降のファイルは使いません。" if len(files) > len(assigned) else ""
        return self._waiting(op, session, message=message, error="\n".join(problems))

    @staticmethod
    def _assign(session: AuditSession, files: Sequence[IncomingFile]) -> list[tuple[str, IncomingFile]]:
        """Which role each new file takes: a name with 住基 etc. is the registry, one with 業務 etc.
        the records; the rest fill the free roles in the order sent (the mapping card can swap)."""
        free = [r for r in ROLES if session.file(r) is None]
        out: list[tuple[str, IncomingFile]] = []
        for role, hints in (("registry", _REGISTRY_HINTS), ("records", _RECORDS_HINTS)):
            hinted = [f for f in files if any(h in f.name.lower() for h in hints)]
            if role in free and hinted and not any(hinted[0] is f for _, f in out):
                out.append((role, hinted[0]))
                free.remove(role)
        for file in files:
            if not free or any(file is f for _, f in out):
                continue
            out.append((free.pop(0), file))
        return out

    async def _receive(
        self, session: AuditSession, role: str, file: IncomingFile
    ) -> tuple[UploadedFile | None, str]:
        if file.save is None:
            return None, "このファイルは受け取れません（Teams のファイル添付で送ってください）。"
        folder = Path(session.folder)
        stored = stored_name(role, file.name)
        target = folder / stored
        target.unlink(missing_ok=True)
        try:
            size = await file.save(
                target,
                self.settings.mynumber_audit_max_upload_mb * 1024 * 1024,
                float(self.settings.mynumber_audit_download_seconds),
            )
        except UploadFailed as error:
            logger.warning("mynumber audit: could not receive %s: %s", file.name[:80], error)
            return None, str(error)
        except OSError as error:  # the folder went away (cancelled meanwhile) or the disk is full
            logger.warning("mynumber audit: could not write %s: %s", file.name[:80], type(error).__name__)
            return None, "ファイルを保存できませんでした。"
        try:
            headers = await asyncio.to_thread(read_headers, target, folder)
        except reader.AuditInputError as error:
            target.unlink(missing_ok=True)
            return None, str(error)
        except OSError as error:
            logger.warning("mynumber audit: could not read %s: %s", file.name[:80], type(error).__name__)
            return None, "ファイルを読めませんでした。"
        logger.info("mynumber audit: received %s as %s (%d bytes)", file.name[:80], role, size)
        return UploadedFile(file.name[:200], stored, tuple(headers), size), ""

    # --- 3. mapping -----------------------------------------------------------------------------------

    async def swap(self, actor: Actor, bureau: str, op_id: str) -> dict:
        session = await self._session(actor)
        if session is None or session.state != CONFIRM:
            return cards.notice_card(
                "全データ点検",
                "この確認カードは期限が切れています。もう一度「全データ点検」から始めてください。",
            )
        op = await self._op(actor, session.bureau, session.operation)
        registry, records = session.records, session.registry
        # the files keep their stored names; only the roles change
        session = replace(session, registry=registry, records=records)
        await asyncio.to_thread(self.sessions.save, session)
        return self._mapping(op, session)

    def _parse(
        self, session: AuditSession, data: Mapping[str, Any]
    ) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        chosen: dict[str, dict[str, str]] = {}
        errors: dict[str, str] = {}
        for role in ROLES:
            file = session.file(role)
            assert file is not None
            picks: dict[str, str] = {}
            for field_name, label in reader.FIELD_LABELS.items():
                key = cards.input_id(role, field_name)
                raw = str(data.get(key) or "").strip()
                value = ""
                if raw:
                    if raw.isdigit() and int(raw) < len(file.headers):
                        value = file.headers[int(raw)]
                    else:
                        errors[key] = "この列はファイルにありません"
                picks[field_name] = value
                if not value and field_name in reader.REQUIRED[role]:
                    errors[key] = f"{label}の列を選んでください"
            used: dict[str, str] = {}
            for field_name, header in picks.items():
                if not header:
                    continue
                if header in used:
                    errors[cards.input_id(role, field_name)] = (
                        f"「{header[:30]}」は{reader.FIELD_LABELS[used[header]]}にも選ばれています"
                    )
                used.setdefault(header, field_name)
            chosen[role] = picks
        return chosen, errors

    # --- 4. run ---------------------------------------------------------------------------------------

    async def run(self, turn: TurnContext, actor: Actor, data: Mapping[str, Any]) -> dict:
        session = await self._session(actor)
        if session is None:
            return cards.notice_card(
                "全データ点検",
                "この確認カードは期限が切れています。もう一度「全データ点検」から始めてください。",
            )
        op = await self._op(actor, session.bureau, session.operation)
        if session.state == RUNNING:
            return cards.notice_card(
                "点検中です", "あなたの点検を実行中です。終わると結果のカードが届きます。", _op_data(op)
            )
        if not session.complete:
            return self._waiting(op, session)
        chosen, errors = self._parse(session, data)
        if errors:
            return self._mapping(op, session, chosen, errors)
        runtime = self.runtime
        try:
            run_id = runtime.worker.claim()
        except AuditBusy as busy:
            return self._mapping(op, session, chosen, message=str(busy))
        try:
            session = replace(session, state=RUNNING, run_id=run_id)
            await asyncio.to_thread(self.sessions.save, session)
            columns = {role: {f: h for f, h in chosen[role].items() if h} for role in ROLES}
            progress = cards.progress_card(op.name, op.unit.path, "準備しています", 0.0, 0)
            sent = await turn.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(progress)))
            reference = TurnContext.get_conversation_reference(turn.activity)
            job = _Job(self, turn.adapter, reference, sent.id if sent else None, actor, op, session, columns)
        except BaseException:
            runtime.worker.release(run_id)
            await self._drop(session)
            raise
        runtime.track(asyncio.create_task(job.run()))
        logger.info("mynumber audit: run %s started for %s/%s", run_id, op.bureau, op.id)
        return cards.started_card(op.name, op.unit.path, self._choices(session, chosen), reader.FIELD_LABELS)

    # --- 5. report ------------------------------------------------------------------------------------

    async def report(self, turn: TurnContext, actor: Actor, bureau: str, op_id: str, run_id: str) -> dict:
        op = await self._op(actor, bureau, op_id)
        held = self.runtime.vault.get(run_id, actor.object_id)
        if held is None:
            return cards.notice_card(
                "Excel を受け取れません",
                GONE_MESSAGE.format(minutes=self.settings.mynumber_audit_report_minutes),
                _op_data(op),
                attention=True,
            )
        return await self.deps.files.offer(
            turn,
            actor,
            FileOffer(
                EXPORT_AUDIT,
                held[0],
                f"全データ点検の結果（{op.name}・点検番号 {run_id}）",
                {"run": run_id, "bureau": op.bureau, "operation": op.id},
            ),
        )


class _Job:
    """One run in the background: the worker, the progress card, clean-up, results."""

    def __init__(
        self,
        flow: AuditFlow,
        adapter: Any,
        reference: Any,
        activity_id: str | None,
        actor: Actor,
        op: Operation,
        session: AuditSession,
        columns: Mapping[str, Mapping[str, str]],
    ):
        self.flow = flow
        self.adapter = adapter
        self.reference = reference
        self.activity_id = activity_id
        self.actor = actor
        self.op = op
        self.session = session
        self.columns = columns

    async def run(self) -> None:
        flow, session, op = self.flow, self.session, self.op
        runtime = flow.runtime
        folder = Path(session.folder)
        started = flow.deps.clock()
        began = time.monotonic()
        outcome: RunOutcome | None = None
        problem = ""
        try:
            registry, records = session.registry, session.records
            assert registry is not None and records is not None
            task = asyncio.ensure_future(
                runtime.worker.run(
                    session.run_id,
                    folder / registry.stored,
                    folder / records.stored,
                    folder,
                    registry_columns=self.columns["registry"],
                    records_columns=self.columns["records"],
                    registry_name=registry.name,
                    records_name=records.name,
                    started=started,
                )
            )
            while True:
                done, _ = await asyncio.wait({task}, timeout=flow.settings.mynumber_audit_progress_seconds)
                if done:
                    break
                stage, fraction = AuditWorker.progress(folder)
                await self._show(
                    cards.progress_card(op.name, op.unit.path, stage, fraction, time.monotonic() - began)
                )
            outcome = task.result()
            problem = outcome.error
        except asyncio.CancelledError:
            problem = "ボットが停止したため、点検を中断しました。"
            raise
        except Exception as error:  # noqa: BLE001 - the type only: a message could quote a cell
            logger.error("mynumber audit: run %s failed: %s", session.run_id, type(error).__name__)
            problem = "点検中に問題が発生しました。ファイルの形式を確かめて、もう一度お試しください。"
        finally:
            await asyncio.to_thread(runtime.area.remove, folder)
            await asyncio.to_thread(flow.sessions.delete, session.actor_id)
            if problem:
                await self._show(cards.failed_card(op.name, op.unit.path, problem, _op_data(op)), final=True)
        if outcome is None or problem:
            return
        logger.info(
            "mynumber audit: run %s done: %d records, %d wrong numbers (%.1f s)",
            session.run_id,
            outcome.records,
            outcome.wrong_numbers,
            time.monotonic() - began,
        )
        run_on = started.astimezone(TIMEZONE).date()
        name = f"全データ点検_{op.name[:30]}_{run_on.isoformat()}_{session.run_id}.xlsx"
        runtime.vault.put(session.run_id, self.actor.object_id, name, outcome.report)
        attached, failed = await self._attach(outcome, run_on)
        summary = AuditSummary(
            session.run_id,
            run_on,
            op.name,
            op.unit.path,
            outcome.records,
            outcome.registry_rows,
            tuple((v.value, int(outcome.counts.get(v.value, 0))) for v in Verdict),
            # a record id is the business system's own; masked in case a system used the number as its id
            tuple(
                (mask_my_number(t.record_id), t.verdict, t.differs, mask_my_number(t.number_masked))
                for t in outcome.top
            ),
            outcome.wrong_numbers,
            attached,
            failed,
        )
        await self._show(
            cards.summary_card(
                summary, _op_data(op), report_minutes=flow.settings.mynumber_audit_report_minutes
            ),
            final=True,
        )

    async def _attach(self, outcome: RunOutcome, run_on: date) -> tuple[str, bool]:
        result = AuditResult(
            self.session.run_id, run_on, outcome.records, outcome.records, outcome.wrong_numbers
        )
        service = self.flow.service
        for attempt in range(2):
            try:
                await asyncio.to_thread(
                    service.attach_audit_result, self.actor, self.op.bureau, self.op.id, result
                )
                return (
                    f"点検記録の ① 全データ点検（{outcome.records:,}件／{outcome.records:,}件）と "
                    f"② 誤紐付け件数（{outcome.wrong_numbers:,}件）に反映しました。",
                    False,
                )
            except FormRejected:  # somebody saved the record at the same moment: once more
                if attempt:
                    break
            except Forbidden:
                return "権限がなくなっていたため、点検記録 ①② には反映していません。", True
            except MyNumberError as error:
                return f"点検記録 ①② に反映できませんでした（{error}）。", True
        return (
            "ほかの更新と重なったため、点検記録 ①② に反映できませんでした。"
            "「点検①②③を更新」で入力してください。",
            True,
        )

    async def _show(self, card: dict, *, final: bool = False) -> None:
        await show_card(
            self.adapter, self.reference, self.flow.settings.app_id, card, self.activity_id, final=final
        )


async def show_card(
    adapter: Any,
    reference: Any,
    app_id: str,
    card: dict,
    activity_id: str | None = None,
    *,
    final: bool = True,
) -> None:
    """Outside a turn: update the message ``activity_id`` in place (or post ``card`` when there is
    none); a final card is posted anew if the update fails. Never raises (logs the error type)."""
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    failure: list[BaseException] = []

    async def post(turn: TurnContext) -> None:
        try:
            if activity_id:
                activity.id = activity_id
                try:
                    await turn.update_activity(activity)
                    return
                except Exception:  # some clients cannot update: send anew if final
                    if not final:
                        raise
                    activity.id = None  # type: ignore[assignment]  # a new message
            await turn.send_activity(activity)
        except Exception as error:  # noqa: BLE001 - outside the pipeline: never on_turn_error
            failure.append(error)

    try:
        await adapter.continue_conversation(reference, post, app_id)
    except Exception as error:  # noqa: BLE001
        failure.append(error)
    if failure:
        logger.warning("mynumber audit: could not show a card: %s", type(failure[0]).__name__)
