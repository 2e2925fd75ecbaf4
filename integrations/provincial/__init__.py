"""The provincial platform's exchange interface (天府通办/四川省一体化政务服务平台)."""

from integrations.provincial.client import (
    Acknowledgement,
    HttpProvincialGateway,
    ProvinceRecord,
    ProvinceRefused,
    ProvinceUnavailable,
    ProvincialGateway,
)
from integrations.provincial.envelope import Envelope, EnvelopeError, Signer

__all__ = [
    "Acknowledgement",
    "Envelope",
    "EnvelopeError",
    "HttpProvincialGateway",
    "ProvinceRecord",
    "ProvinceRefused",
    "ProvinceUnavailable",
    "ProvincialGateway",
    "Signer",
]
