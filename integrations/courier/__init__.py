"""A courier (EMS) for posting results: waybills over HTTP, status by signed webhook."""

from integrations.courier.client import (
    CourierError,
    Recipient,
    Waybill,
    create_waybill,
    sign,
    verify,
)

__all__ = ["CourierError", "Recipient", "Waybill", "create_waybill", "sign", "verify"]
