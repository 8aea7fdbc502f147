"""The hand-out record as FHIR R4 resources: a Communication per hand-out, a DocumentReference per PDF.

Built and validated with fhir.resources' R4B models (Communication, DocumentReference and Bundle
are the same in R4 4.0.1 and R4B 4.3.0). The PDF's SHA-256 is the DocumentReference's master
identifier as an RFC 6920 'ni' URI, because R4's Attachment.hash is defined as SHA-1.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntryRequest
from fhir.resources.R4B.communication import Communication, CommunicationPayload
from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError

from ..errors import InputError

URI_SYSTEM = "urn:ietf:rfc:3986"
HANDOUT_SYSTEM = "urn:leaflets:handout"
LEAFLET_SYSTEM = "urn:leaflets:leaflet"
CONTENT_VERSION_SYSTEM = "urn:leaflets:content-version"
PatientSystems = Mapping[str, str | None]
TEACH_BACK_NOTES = {
    "done": "Teach-back: understanding checked.",
    "not-done": "Teach-back: not done.",
}
DOCUMENT_TYPE = "Patient information leaflet"


def _ni_uri(sha256_hex: str) -> str:
    """The RFC 6920 name of a file from its SHA-256: ni:///sha-256;<base64url without padding>."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256_hex)).rstrip(b"=").decode()
    return f"ni:///sha-256;{digest}"


def _sha256_of(ni_uri: str) -> str:
    encoded = ni_uri.removeprefix("ni:///sha-256;")
    return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).hex()


def document_reference(row: dict[str, Any]) -> DocumentReference:
    """The leaflet edition handed out: title, language, content version and the PDF's SHA-256."""
    return DocumentReference(
        id=row["pdf_sha256"],
        status="current",
        masterIdentifier={"system": URI_SYSTEM, "value": _ni_uri(row["pdf_sha256"])},
        identifier=[
            {"system": LEAFLET_SYSTEM, "value": row["leaflet"]},
            {"system": CONTENT_VERSION_SYSTEM, "value": row["content_version"]},
        ],
        type={"text": DOCUMENT_TYPE},
        description=row["title"],
        date=row["handed_out_at"],
        content=[DocumentReferenceContent(attachment={
            "contentType": "application/pdf",
            "language": row["language"],
            "title": row["title"],
            "size": row["pdf_bytes"],
        })],
    )


def communication(row: dict[str, Any], patient_system: str | None = None) -> Communication:
    """One hand-out: completed, when, by whom, to which patient (where stored), and which document."""
    data: dict[str, Any] = {
        "id": row["id"],
        "identifier": [{"system": HANDOUT_SYSTEM, "value": row["id"]}],
        "status": "completed",
        "category": [{"text": "Patient education"}],
        "sent": row["handed_out_at"],
        "payload": [CommunicationPayload(contentReference={
            "reference": f"DocumentReference/{row['pdf_sha256']}", "display": row["title"]})],
    }
    if row.get("prepared_by"):
        data["sender"] = {"display": row["prepared_by"]}
    if row.get("patient_reference"):
        identifier = {"value": row["patient_reference"]}
        if patient_system:
            identifier["system"] = patient_system
        data["subject"] = {"identifier": identifier}
    if row.get("teach_back") in TEACH_BACK_NOTES:
        data["note"] = [{"text": TEACH_BACK_NOTES[row["teach_back"]]}]
    return Communication(**data)


def resources(rows: Iterable[dict[str, Any]], patient_systems: PatientSystems | None = None) -> list[Resource]:
    """Each PDF's DocumentReference once, then one Communication per hand-out.

    PATIENT_SYSTEMS maps a site id to the URI of its hospital numbers (record.patient_reference_system).
    """
    rows = list(rows)
    systems = patient_systems or {}
    documents = {row["pdf_sha256"]: document_reference(row) for row in reversed(rows)}  # the first hand-out's date
    return [*documents.values(), *(communication(row, systems.get(row["site"])) for row in rows)]


def ndjson(rows: Iterable[dict[str, Any]], patient_systems: PatientSystems | None = None) -> str:
    """The record as bulk NDJSON: one resource per line."""
    return "".join(r.model_dump_json() + "\n" for r in resources(rows, patient_systems))


def transaction_bundle(rows: Iterable[dict[str, Any]], patient_systems: PatientSystems | None = None) -> Bundle:
    """The record as one transaction Bundle; PUT by id, so sending it twice changes nothing."""
    entries = [
        BundleEntry(resource=r, request=BundleEntryRequest(method="PUT", url=f"{r.get_resource_type()}/{r.id}"))
        for r in resources(rows, patient_systems)
    ]
    return Bundle(type="transaction", entry=entries)


def parse_ndjson(text: str) -> list[Resource]:
    """Read NDJSON back into validated models (the round trip the tests make)."""
    parsed = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            parsed.append(get_fhir_model_class(data["resourceType"]).model_validate(data))
        except (ValueError, KeyError, ValidationError) as exc:
            raise InputError(f"line {number}: not a valid FHIR resource: {str(exc).splitlines()[0]}") from None
    return parsed


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rows_from_resources(parsed: Iterable[Resource]) -> list[dict[str, Any]]:
    """Hand-out rows back from Communications and their DocumentReferences."""
    items = list(parsed)
    documents = {r.id: r for r in items if r.get_resource_type() == "DocumentReference"}
    rows = []
    for item in (r for r in items if r.get_resource_type() == "Communication"):
        doc = documents[item.payload[0].contentReference.reference.split("/", 1)[1]]
        ids = {i.system: i.value for i in doc.identifier}
        attachment = doc.content[0].attachment
        notes = {text: key for key, text in TEACH_BACK_NOTES.items()}
        rows.append({
            "id": item.id,
            "handed_out_at": _time(item.sent),
            "leaflet": ids[LEAFLET_SYSTEM],
            "title": doc.description,
            "content_version": ids[CONTENT_VERSION_SYSTEM],
            "language": attachment.language,
            "prepared_by": item.sender.display if item.sender else None,
            "teach_back": notes.get(item.note[0].text) if item.note else None,
            "patient_reference": item.subject.identifier.value if item.subject else None,
            "pdf_sha256": _sha256_of(doc.masterIdentifier.value),
            "pdf_bytes": attachment.size,
        })
    return rows
