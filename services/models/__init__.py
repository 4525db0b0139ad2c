"""The frozen dataclasses the rest of acrfence speaks.

Split by topic so each module stays small; import everything from ``services.models``.
"""

from services.models.findings import *  # noqa: F403
from services.models.inventory import *  # noqa: F403
from services.models.peers import *  # noqa: F403
from services.models.plan import *  # noqa: F403
from services.models.probe import *  # noqa: F403
from services.models.resource_id import *  # noqa: F403
from services.models.step_change import *  # noqa: F403
