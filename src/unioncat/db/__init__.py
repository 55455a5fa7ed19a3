from unioncat.db.session import create_engine, make_sessionmaker, transaction
from unioncat.db.tables import (
    Base,
    Cluster,
    ClusterMember,
    HarvestError,
    HarvestRun,
    Library,
    MatchKey,
    MatchOverride,
    NormalizedRecord,
    PipelineState,
    QuarantinedRecord,
    SourceRecord,
    StaffToken,
)

__all__ = [
    "Base", "Cluster", "ClusterMember", "HarvestError", "HarvestRun", "Library", "MatchKey", "MatchOverride",
    "NormalizedRecord", "PipelineState", "QuarantinedRecord", "SourceRecord", "StaffToken", "create_engine",
    "make_sessionmaker", "transaction",
]
