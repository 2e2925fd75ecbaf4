"""The wallet's part of the contract (API.md): names, inputs, result unions, settings."""

from __future__ import annotations

import logging

import pytest
from graphql import build_schema as parse_sdl
from pydantic import ValidationError

from api.resources import scanner_of
from resolvers.settings import Mode, Settings
from schema.root import sdl

MUTATIONS = {"requestDocumentUpload", "confirmDocumentUpload", "deleteDocument"}


def test_the_documents_root_fields_follow_the_contract() -> None:
    schema = parse_sdl(sdl())
    assert schema.query_type is not None
    assert schema.mutation_type is not None

    assert "myDocuments" in schema.query_type.fields
    assert list(schema.query_type.fields["myDocuments"].args) == ["filter", "first", "after"]
    for name in [*MUTATIONS, "verifyDocumentOriginal"]:
        field = schema.mutation_type.fields[name]
        assert list(field.args) == ["input"], name
        assert str(field.type) == f"{name[0].upper()}{name[1:]}Result!", name
    document = schema.get_type("Document")
    assert document is not None
    assert {"id", "kind", "fileName", "contentType", "size", "status", "trustLevel"} <= set(
        document.fields  # type: ignore[attr-defined]
    )
    assert "downloadUrl" in document.fields  # type: ignore[attr-defined]
    ticket = schema.get_type("DocumentUploadTicket")
    assert {"documentId", "url", "fields", "expiresAt"} <= set(ticket.fields)  # type: ignore[union-attr]
    kinds = schema.get_type("DocumentKind")
    assert {
        "ID_CARD_FRONT",
        "ID_CARD_BACK",
        "HOUSEHOLD_REGISTER",
        "BUSINESS_LICENCE",
        "PHOTO",
        "CERTIFICATE",
        "OTHER",
    } <= set(kinds.values)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "values",
    [
        {"document_upload_ttl": 601},
        {"document_download_ttl": 301},
        {"document_max_bytes_by_kind": {"PASSPORT": 1024 * 1024}},
        {"document_max_bytes_by_kind": {"PHOTO": 100 * 1024 * 1024}},
    ],
)
def test_wallet_settings_are_bounded(values: dict) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)


def test_a_missing_scanner_is_announced_at_start_up(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="api.resources"):
        required = scanner_of(Settings(document_scanner_required=True))
        optional = scanner_of(Settings())

    assert required is None
    assert optional is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "uploads are refused" in warnings[0].getMessage()
    assert Settings(mode="dev").scanner_required is False


def test_production_requires_a_scanner_unless_waived() -> None:
    assert Settings.model_construct(mode=Mode.PRODUCTION).scanner_required is True
    assert (
        Settings.model_construct(
            mode=Mode.PRODUCTION, document_scanner_required=False
        ).scanner_required
        is False
    )
