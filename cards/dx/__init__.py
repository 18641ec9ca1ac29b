"""Cards of 堺市DX: the overview, a department's plans, the plan form and the plan with its 伴走 thread,
the 実施報告書, shared reports, participation, the training menu and sessions, データアカデミー, and the
reminder and alert cards the scheduler sends. Pure functions of the service models; Japanese text.

``from cards import dx as cards`` gives every verb, input id and card function of the submodules.
"""

from cards.dx.alerts import *  # noqa: F403
from cards.dx.common import *  # noqa: F403
from cards.dx.overview import *  # noqa: F403
from cards.dx.plans import *  # noqa: F403
from cards.dx.training import *  # noqa: F403
