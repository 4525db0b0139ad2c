"""The frozen dataclasses the rest of acrfence speaks.

Split by topic so each module stays small; import everything from ``services.models``.
"""

from acrfence.services.models.findings import *  # noqa: F403
from acrfence.services.models.inventory import *  # noqa: F403
from acrfence.services.models.peers import *  # noqa: F403
from acrfence.services.models.plan import *  # noqa: F403
from acrfence.services.models.private_link import *  # noqa: F403
from acrfence.services.models.probe import *  # noqa: F403
from acrfence.services.models.resource_id import *  # noqa: F403
from acrfence.services.models.step_change import *  # noqa: F403
