"""The CloudAdapter and the one error handler every turn goes through."""

from __future__ import annotations

import logging
from http import HTTPStatus

from botbuilder.core import BotAdapter, ConversationState, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes, AdaptiveCardInvokeResponse, InvokeResponse

from bot import outbound
from bot.compat import apply_msrest_error_body_fix, apply_msrest_retry_policy_fix
from bot.settings import Settings
from bot.storage_pool import storage_outage_message
from cards.common import CONTENT_TYPE, adaptive_card, header, menu_action, text_block

logger = logging.getLogger(__name__)

TURN_ERROR_MESSAGE = (
    "申し訳ありません。処理中に問題が発生したため、今回の操作は保存されていません。"
    "しばらくしてからもう一度お試しください。解決しない場合は ICTイノベーション推進室にお問い合わせください。"
)


def build_adapter(settings: Settings, conversation_state: ConversationState) -> CloudAdapter:
    apply_msrest_retry_policy_fix()
    apply_msrest_error_body_fix()
    if settings.anonymous:
        logger.warning(
            "MicrosoftAppId is not set: running in anonymous local mode without JWT validation, "
            "listening on %s%s. Use this only on a developer machine or with the Agents Playground.",
            settings.host,
            " (ALLOW_ANONYMOUS_REMOTE: reachable from other machines)"
            if settings.allow_anonymous_remote
            else "",
        )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(settings.botframework_config()))
    outbound.install(adapter)  # reuse connector clients, no token client per turn (bot/outbound.py)

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        outage = storage_outage_message(error)
        if outage is None:
            logger.exception("unhandled error in a turn", exc_info=error)
            try:
                # delete() expects the state loaded this turn (else KeyError 'Internal.ConversationState')
                await conversation_state.load(turn_context)
                await conversation_state.delete(turn_context)
            except Exception:
                logger.exception("could not reset the conversation state after an error")
        else:  # storage cannot be used: answer at once, without another storage call to reset the state
            logger.error("a turn could not use storage (%s): answered that nothing was saved", error)
        message = outage or TURN_ERROR_MESSAGE
        if turn_context.activity.type == ActivityTypes.invoke:
            # An invoke is answered in its HTTP response, never by a separate message (else 501)
            turn_context.turn_state[BotAdapter._INVOKE_RESPONSE_KEY] = Activity(  # noqa: SLF001
                type=ActivityTypes.invoke_response,
                value=turn_error_invoke_response(turn_context.activity, message),
            )
            return
        try:
            await turn_context.send_activity(message)
        except Exception:
            logger.exception("could not tell the user about the error")

    adapter.on_turn_error = on_turn_error
    return adapter


def turn_error_card(message: str = TURN_ERROR_MESSAGE) -> dict:
    return adaptive_card([*header("処理できませんでした"), text_block(message)], [menu_action()])


def turn_error_invoke_response(activity: Activity, message: str = TURN_ERROR_MESSAGE) -> InvokeResponse:
    """The answer to an invoke whose turn failed: the apology card in place of the clicked card."""
    if activity.name == "adaptiveCard/action":
        body = AdaptiveCardInvokeResponse(status_code=200, type=CONTENT_TYPE, value=turn_error_card(message))
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)
    return InvokeResponse(status=int(HTTPStatus.OK))
