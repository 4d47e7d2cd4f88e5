"""The FeedbackStore: campaigns, proposals, runs, metric summaries, monitor events, approvals and
tier escalations in one SQLite file (WAL), committed step by step so `kill -9` loses nothing.

Import from here, not from the private modules. See `store.py` for the call sequence the
campaign loop follows, and `schema.sql` for the tables.
"""

from sentinel.agent.errors import (
    BadRecord,
    CampaignBusy,
    NotAStore,
    SchemaTooNew,
    StateConflict,
    StoreError,
    StoreUnavailable,
    UnknownRecord,
)
from sentinel.agent.store._campaigns import DEFAULT_STALE_S
from sentinel.agent.store._db import SCHEMA_VERSION, Migration, load_migrations
from sentinel.agent.store._records import (
    ApprovalRecord,
    CampaignRecord,
    Claim,
    EscalationRecord,
    MonitorEventRecord,
    ProposalRecord,
    RunRecord,
    StaleRun,
)
from sentinel.agent.store._values import (
    CAMPAIGN_STATES,
    FINISHED_STATUSES,
    PROPOSAL_STATES,
    RUN_STATUSES,
)
from sentinel.agent.store.store import FeedbackStore, open_store

__all__ = [
    "CAMPAIGN_STATES",
    "DEFAULT_STALE_S",
    "FINISHED_STATUSES",
    "PROPOSAL_STATES",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "ApprovalRecord",
    "BadRecord",
    "CampaignBusy",
    "CampaignRecord",
    "Claim",
    "EscalationRecord",
    "FeedbackStore",
    "Migration",
    "MonitorEventRecord",
    "NotAStore",
    "ProposalRecord",
    "RunRecord",
    "SchemaTooNew",
    "StaleRun",
    "StateConflict",
    "StoreError",
    "StoreUnavailable",
    "UnknownRecord",
    "load_migrations",
    "open_store",
]
