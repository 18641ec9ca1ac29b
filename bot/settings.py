"""The bot's settings. The class lives in :mod:`services.kernel.settings`, so that the people CLI
(``python -m services.people``) reads exactly the same settings without importing ``bot/``."""

from services.kernel.settings import TIMEZONE, Settings, SettingsError

__all__ = ["TIMEZONE", "Settings", "SettingsError"]
