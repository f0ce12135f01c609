"""Every table, imported here so Alembic and the app see one metadata."""

from itad.models.base import Base, JSONType, UTCDateTime, db, utcnow
from itad.models.accounts import ApiToken, Organization, OrgKind, Role, User, WebSession
from itad.models.audit import AuditEvent
from itad.models.batches import Batch, BatchStatus, Device, StorageMedium
from itad.models.certificates import (
    Certificate, CertificateCounter, CertificateRequest, CertificateStatus, SigningKey,
)
from itad.models.custody import CustodyCheckpoint, CustodyEvent
from itad.models.documents import Document
from itad.models.downstream import (
    DownstreamVendor, ImpactFactor, MaterialLot, OutboundShipment, ShipmentAllocation, VendorCertification,
)
from itad.models.erasure import ErasureReport, ErasureReviewItem
from itad.models.notifications import Delivery, WebhookEndpoint
from itad.models.inventory import (
    ConditionMapping, InventoryItem, Quote, QuoteLine, Sale, SaleReturn, SettlementTerms, StockStatus, WarrantyTerm,
    kept,
)
from itad.models.jobs import Job, JobState
from itad.models.pickups import Pickup, PickupBatch, PickupContainer
from itad.models.signin import FailedSignIn
from itad.models.snmp import SnmpProbe, SnmpResult
from itad.models.workflow import (
    DeviceGrading, Destruction, GradingScheme, SanitizationPolicy, SanitizationRecord, Verification, latest_grading,
    latest_grading_ids,
)

__all__ = [
    "Base", "JSONType", "UTCDateTime", "db", "utcnow",
    "ApiToken", "AuditEvent", "Organization", "OrgKind", "Role", "User", "WebSession",
    "Batch", "BatchStatus", "Device", "StorageMedium",
    "Certificate", "CertificateCounter", "CertificateRequest", "CertificateStatus", "SigningKey",
    "CustodyCheckpoint", "CustodyEvent", "Delivery", "Document", "ErasureReport", "ErasureReviewItem", "WebhookEndpoint",
    "ConditionMapping", "InventoryItem", "Quote", "QuoteLine", "Sale", "SaleReturn", "SettlementTerms", "StockStatus", "WarrantyTerm",
    "Job", "JobState",
    "Pickup", "PickupBatch", "PickupContainer",
    "DownstreamVendor", "ImpactFactor", "MaterialLot", "OutboundShipment", "ShipmentAllocation", "VendorCertification",
    "FailedSignIn",
    "SnmpProbe", "SnmpResult",
    "DeviceGrading", "Destruction", "GradingScheme", "SanitizationPolicy", "SanitizationRecord", "Verification",
    "kept", "latest_grading", "latest_grading_ids",
]
