"""Replies in a turn: retried as the scheduler retries proactive messages, and the person told
when one could not be delivered.

botbuilder posts a turn's replies once: a 429, a 502 or a connector that does not answer used to
fail the turn, whose error handler then posted an apology saying nothing was saved (untrue: the
turn's work is done before its answer is sent) into the conversation that had just refused a
message. :class:`ReplyDelivery` wraps the adapter's ``send_activities`` and ``update_activity``:

- **Retries, the scheduler's policy** (``services.proactive.pacing.RetryPolicy``, the same
  ``PROACTIVE_MAX_ATTEMPTS``): 429, 412, 502 and 504 again with exponential backoff and jitter,
  never sooner than ``Retry-After``; a connection that could not be made, again; anything else
  (400, 403, 404, 500…) not. Every retry of a turn starts within :data:`REPLY_BUDGET_SECONDS`
  (so the last attempt ends by about 11 s), since Teams waits about 15 s for the turn: a
  ``Retry-After`` that does not fit ends the retries.
- **No duplicates.** Each attempt has :data:`ATTEMPT_TIMEOUT_SECONDS` (also set on the connector
  client, so no thread is left waiting 100 s). A new post that got no answer may have arrived,
  and the connector cannot be asked, so it is *not* posted again; it counts as undelivered,
  "possibly". An update of a card in place (``PUT``, Action.Submit) replaces the same message
  with the same content, so it is retried after a timeout too, and never falls back to a new
  post when it may have arrived.
- **The person is told.** In a user's turn (a message or an invoke), a reply that is finally not
  delivered leaves a short notice for the conversation (``services.proactive.undelivered``) and
  the turn ends normally (its state saved, no apology). The next turn in that conversation shows
  「前回のお返事をお届けできませんでした…」 before its answer. An invoke's own answer (the card
  in the HTTP response) never goes through the connector, so it is not affected.

Sends outside a user's turn (``continue_conversation``: admin notifications, the audit's progress)
get the same retries and then raise as before.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from bot.proactive import own_transport, send_error
from services.kernel.calendar import JST
from services.proactive.dispatch import SendError
from services.proactive.pacing import RetryPolicy
from services.proactive.undelivered import UndeliveredReplies, UndeliveredReply

logger = logging.getLogger(__name__)

#: Retries of one turn's replies start within this; the last attempt ends by budget + attempt timeout
#: + 1 s (11 s), under the 15 s Teams waits for the turn.
REPLY_BUDGET_SECONDS = 6.0
#: One POST/PUT to the connector; Teams answers in well under a second.
ATTEMPT_TIMEOUT_SECONDS = 4.0
#: The first backoff (the scheduler's ``RetryPolicy.base_seconds``).
BASE_SECONDS = 0.5
_BACKSTOP_SECONDS = 1.0  # asyncio's limit, after the transport's own
_NOT_POSTED = frozenset({ActivityTypes.invoke_response, ActivityTypes.trace, "delay"})
_USER_TURN_KEY = "ict.replies.user_turn"
_DEADLINE_KEY = "ict.replies.deadline"
_NOTICE_KEY = "ict.replies.sending_notice"

UNDELIVERED_TEXT = (
    "前回のお返事（{when}）をお届けできませんでした。Teams との通信がうまくいかなかったためです。"
)
UNCERTAIN_TEXT = (
    "前回のお返事（{when}）が届いていない可能性があります。Teams から応答がありませんでした"
    "（届いている場合は、同じ内容です）。"
)
NOTICE_TAIL = (
    "ご入力いただいた内容は、お返事の前に処理されています。結果は「メニュー」から該当の画面を開いて"
    "ご確認ください。"
)


def notice_text(notice: UndeliveredReply) -> str:
    when = notice.first_at.astimezone(JST)
    label = f"{when.month}月{when.day}日 {when.hour}:{when.minute:02d}"
    head = UNCERTAIN_TEXT if notice.uncertain else UNDELIVERED_TEXT
    more = f"（ほか {notice.count - 1} 件）" if notice.count > 1 else ""
    return head.format(when=label) + more + NOTICE_TAIL


class Undelivered(Exception):
    def __init__(self, failure: SendError, original: BaseException | None):
        super().__init__(str(failure))
        self.failure = failure
        self.original = original


class ReplyDelivery:
    def __init__(
        self,
        notices: UndeliveredReplies | None,
        *,
        max_attempts: int = 6,
        policy: RetryPolicy | None = None,
        attempt_timeout: float | None = None,
        budget: float | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        self.notices = notices
        self.policy = policy or RetryPolicy(max_attempts=max_attempts, base_seconds=BASE_SECONDS)
        self.attempt_timeout = ATTEMPT_TIMEOUT_SECONDS if attempt_timeout is None else attempt_timeout
        self.budget = REPLY_BUDGET_SECONDS if budget is None else budget
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._client_key = "ConnectorClient"

    # --- wiring ------------------------------------------------------------------------------

    def install(self, adapter: BotAdapter) -> None:
        """Route ``adapter``'s sends and updates through :meth:`send` and :meth:`update`."""
        self._client_key = getattr(adapter, "BOT_CONNECTOR_CLIENT_KEY", self._client_key)
        send = adapter.send_activities
        update = adapter.update_activity

        async def send_activities(context: TurnContext, activities: list[Activity]) -> list[Any]:
            return await self.send(context, activities, send)

        async def update_activity(context: TurnContext, activity: Activity) -> Any:
            return await self.update(context, activity, update)

        setattr(adapter, "send_activities", send_activities)  # noqa: B010 - an instance's method
        setattr(adapter, "update_activity", update_activity)  # noqa: B010

    async def begin_turn(self, context: TurnContext) -> None:
        """At the start of a user's turn: failed replies will be remembered, and a notice left by
        an earlier turn is shown (then removed) before anything else is said."""
        activity = context.activity
        if activity.type not in (ActivityTypes.message, ActivityTypes.invoke) or self.notices is None:
            return
        context.turn_state[_USER_TURN_KEY] = True
        conversation_id = _conversation_id(context)
        if not conversation_id:
            return
        try:
            notice = await asyncio.to_thread(self.notices.pending, conversation_id)
        except Exception:  # storage trouble must not cost the turn: the notice waits
            logger.warning("could not read the undelivered-reply notice", exc_info=True)
            return
        if notice is None:
            return
        context.turn_state[_NOTICE_KEY] = True  # a notice that fails stays as it is (not a new one)
        try:
            sent = await context.send_activity(MessageFactory.text(notice_text(notice)))
        finally:
            context.turn_state[_NOTICE_KEY] = False
        if sent is not None:
            try:
                await asyncio.to_thread(self.notices.clear, notice)
            except Exception:
                logger.warning("could not clear the undelivered-reply notice", exc_info=True)

    # --- the wrapped operations ----------------------------------------------------------------

    async def send(
        self, context: TurnContext, activities: list[Activity], send: Callable[..., Any]
    ) -> list[Any]:
        responses: list[Any] = []
        for activity in activities:
            if activity.type in _NOT_POSTED:  # kept in the turn or slept on: no request
                responses.extend(await send(context, [activity]))
                continue

            async def post(one: Activity = activity) -> Any:
                answered = await send(context, [one])
                return answered[0] if answered else None

            try:
                responses.append(await self._deliver(context, post, idempotent=False))
            except Undelivered as undelivered:
                if not await self._remember(context, undelivered.failure):
                    raise _reraise(undelivered) from undelivered.original
                responses.append(None)
        return responses

    async def update(self, context: TurnContext, activity: Activity, update: Callable[..., Any]) -> Any:
        try:
            return await self._deliver(context, lambda: update(context, activity), idempotent=True)
        except Undelivered as undelivered:
            # it may have been replaced after all: say so, and never post the card again beside it
            if undelivered.failure.uncertain and await self._remember(context, undelivered.failure):
                return None
            raise _reraise(undelivered) from undelivered.original

    async def _deliver(
        self, context: TurnContext, call: Callable[[], Awaitable[Any]], *, idempotent: bool
    ) -> Any:
        deadline = context.turn_state.get(_DEADLINE_KEY)
        if not isinstance(deadline, float):
            deadline = self._monotonic() + self.budget
            context.turn_state[_DEADLINE_KEY] = deadline
        own_transport(context.turn_state.get(self._client_key), self.attempt_timeout)
        attempt = 0
        while True:
            attempt += 1
            original: BaseException | None = None
            try:
                return await asyncio.wait_for(call(), self.attempt_timeout + _BACKSTOP_SECONDS)
            except TimeoutError:
                failure = SendError(None, "no answer", code="Timeout", uncertain=True)
            except Exception as error:
                failure = send_error(error)
                if not _from_the_connector(error, failure):
                    raise  # a bug, not a delivery problem: the turn's error handler takes it
                original = error
            retry = (
                self.policy.retryable(failure.status)
                or failure.code == "ConnectFailed"
                or (failure.uncertain and idempotent)
            )
            delay = self.policy.delay(attempt, failure.retry_after, self._rng)
            if not retry or attempt >= self.policy.max_attempts or self._monotonic() + delay > deadline:
                logger.warning(
                    "a reply was not delivered after %d attempt(s): %s%s",
                    attempt,
                    failure,
                    " (may have arrived: not posted again)" if failure.uncertain else "",
                )
                raise Undelivered(failure, original)
            logger.info("reply attempt %d failed (%s); again in %.2f s", attempt, failure, delay)
            await self._sleep(delay)

    async def _remember(self, context: TurnContext, failure: SendError) -> bool:
        """Leave the notice for the next turn; False outside a user's turn."""
        if not context.turn_state.get(_USER_TURN_KEY) or self.notices is None:
            return False
        conversation_id = _conversation_id(context)
        if not conversation_id:
            return False
        if context.turn_state.get(_NOTICE_KEY):
            return True  # the notice itself: it was not removed, the next turn shows it again
        try:
            await asyncio.to_thread(self.notices.record, conversation_id, uncertain=failure.uncertain)
        except Exception:
            logger.exception("could not keep the undelivered-reply notice")
        return True


def _conversation_id(context: TurnContext) -> str:
    conversation = context.activity.conversation
    return conversation.id if conversation is not None and conversation.id else ""


def _from_the_connector(error: BaseException, failure: SendError) -> bool:
    """An answer of the connector, or a transport failure: not a programming error."""
    return failure.status is not None or failure.code in ("ConnectFailed", "NoAnswer", "NetworkError")


def _reraise(undelivered: Undelivered) -> BaseException:
    return undelivered.original or undelivered.failure
