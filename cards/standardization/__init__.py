"""Cards of 業務システムの標準化: pure functions of the service models, Japanese text.

- :mod:`.views`: the overview (status by system, overdue in red with how long, costs with the chart of
  each system's share of the city's cost and its fallback), a system's detail, alerts, import results;
- :mod:`.forms`: updating a step, entering an estimate, the system settings (ICT office), adding a
  gap, the ICT office's review;
- :mod:`.common`: the verbs, input ids and small shared elements.
"""

from cards.standardization.common import (
    COSTS_SAVE_VERB,
    COSTS_VERB,
    EXPORT_VERB,
    GAP_SAVE_VERB,
    GAP_VERB,
    ICON,
    IMPORT_VERB,
    MAX_GAPS_LISTED,
    OPEN_VERB,
    OVERVIEW_VERB,
    REVIEW_SAVE_VERB,
    REVIEW_VERB,
    SETTINGS_SAVE_VERB,
    SETTINGS_VERB,
    STEP_INPUT,
    STEP_SAVE_VERB,
    STEP_VERB,
    SYSTEM_INPUT,
    SYSTEM_VERB,
    TITLE,
    yen,
)
from cards.standardization.forms import costs_card, gap_card, review_card, settings_card, step_card
from cards.standardization.views import (
    alert_card,
    cost_chart,
    cost_section,
    generic_alert_card,
    import_help_card,
    import_result_card,
    overview_card,
    status_text,
    system_card,
)

__all__ = [
    "ICON",
    "TITLE",
    "OPEN_VERB",
    "OVERVIEW_VERB",
    "SYSTEM_VERB",
    "STEP_VERB",
    "STEP_SAVE_VERB",
    "GAP_VERB",
    "GAP_SAVE_VERB",
    "REVIEW_VERB",
    "REVIEW_SAVE_VERB",
    "SETTINGS_VERB",
    "SETTINGS_SAVE_VERB",
    "COSTS_VERB",
    "COSTS_SAVE_VERB",
    "EXPORT_VERB",
    "IMPORT_VERB",
    "SYSTEM_INPUT",
    "STEP_INPUT",
    "MAX_GAPS_LISTED",
    "yen",
    "alert_card",
    "cost_chart",
    "cost_section",
    "costs_card",
    "gap_card",
    "generic_alert_card",
    "import_help_card",
    "import_result_card",
    "overview_card",
    "review_card",
    "settings_card",
    "status_text",
    "step_card",
    "system_card",
]
