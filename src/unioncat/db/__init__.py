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
    QuarantinedRecord,
    SourceRecord,
    StaffToken,
)

__all__ = [
    "Base", "Cluster", "ClusterMember", "HarvestError", "HarvestRun", "Library", "MatchKey", "MatchOverride", "StaffToken",
    "NormalizedRecord", "QuarantinedRecord", "SourceRecord", "create_engine", "make_sessionmaker", "transaction",
]
