"""The management system's records, one module per register family; each module lists its models in ``__all__``."""

from governance.models.citations import *  # noqa: F403
from governance.models.context import *  # noqa: F403
from governance.models.documents import *  # noqa: F403
from governance.models.objectives import *  # noqa: F403
from governance.models.people import *  # noqa: F403
from governance.models.scope import *  # noqa: F403
