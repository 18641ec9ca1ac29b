"""The CloudAdapter and the one error handler every turn goes through."""

from __future__ import annotations

import logging

from botbuilder.core import ConversationState, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.compat import apply_msrest_error_body_fix, apply_msrest_retry_policy_fix
from bot.settings import Settings

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
            "MicrosoftAppId is not set: running in anonymous local mode without JWT validation. "
            "Use this only on a developer machine or with the Agents Playground."
        )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(settings.botframework_config()))

    async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
        logger.exception("unhandled error in a turn", exc_info=error)
        try:
            await conversation_state.delete(turn_context)
        except Exception:
            logger.exception("could not reset the conversation state after an error")
        try:
            await turn_context.send_activity(TURN_ERROR_MESSAGE)
        except Exception:
            logger.exception("could not tell the user about the error")

    adapter.on_turn_error = on_turn_error
    return adapter
