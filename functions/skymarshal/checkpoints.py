"""Former home of the checkpoint store, kept so existing imports work: the stores live in skymarshal.stores
(checkpoints, thread records, approvals), and `CheckpointStore` here is their facade, `skymarshal.stores.Store`.
"""

from skymarshal.observability import Timer
from skymarshal.stores import (
    APPROVAL_SK,
    CHECKPOINT_PREFIX,
    S3_OFFLOAD_BYTES,
    THREAD_SK,
    CheckpointRecord,
    store_from_env,
)
from skymarshal.stores import Store as CheckpointStore
from skymarshal.stores.checkpoints import new_checkpoint_id
from skymarshal.stores.dynamo import pk, utcnow

__all__ = [
    "APPROVAL_SK",
    "CHECKPOINT_PREFIX",
    "S3_OFFLOAD_BYTES",
    "THREAD_SK",
    "CheckpointRecord",
    "CheckpointStore",
    "Timer",
    "new_checkpoint_id",
    "pk",
    "store_from_env",
    "utcnow",
]
