"""Certificates of hours: the volunteer issues one (/me/certificates), anyone verifies a serial.

The printable A4 page opens with a short-lived signed link (`print_url`), minted for whoever may see
the certificate: its volunteer here, staff in the console. Its QR code opens the public verification
page, which says only the serial, the masked holder, the period, the total and whether it stands.
"""

from __future__ import annotations

import base64
from pathlib import Path

from flask import Blueprint as PageBlueprint
from flask import current_app, make_response, render_template, request, url_for
from marshmallow import Schema, ValidationError, fields, validates_schema

from mileage import i18n
from mileage.cards.qr_images import render_qr_png
from mileage.claims import certificates
from mileage.clock import SEOUL
from mileage.errors import (
    CertificateLinkInvalid,
    CertificateNotFound,
    CertificatePdfUnavailable,
    TokenExpired,
    TokenInvalid,
)
from mileage.http.blueprints import Blueprint
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, requires, token_signer
from mileage.http.limits import limiter
from mileage.http.pages import add_page_headers, page_language, render_page
from mileage.people.tokens import TokenSigner
from mileage.volunteer_api.views import my_volunteer_id

blueprint = Blueprint(
    "certificates", __name__, description="Certificates of hours (자원봉사 확인서): issue, print, verify"
)
pages = PageBlueprint("certificate_pages", __name__, template_folder="templates")

VERIFY_LIMIT_PER_IP = "30 per minute"


def print_link(signer: TokenSigner, serial: str) -> str:
    """Return a link to a certificate's print page that works for 30 minutes."""
    return url_for(
        "certificate_pages.print_certificate", serial=serial, token=certificates.print_token(signer, serial)
    )


class CertificateRequestSchema(Schema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["period_start"] > data["period_end"]:
            raise ValidationError("The period must start before it ends.", field_name="period_end")


class CertificateSchema(Schema):
    serial = fields.String(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": "valid, superseded or revoked"})
    period_start = fields.Date(dump_only=True)
    period_end = fields.Date(dump_only=True)
    total_minutes = fields.Integer(dump_only=True)
    issued_at = fields.DateTime(dump_only=True)
    print_url = fields.Function(lambda c: print_link(token_signer(), c.serial), dump_only=True,
                                metadata={"description": "the printable A4 page; the link works for 30 minutes"})


class CertificateListSchema(Schema):
    items = fields.List(fields.Nested(CertificateSchema), dump_only=True)


class VerificationSchema(Schema):
    serial = fields.String(dump_only=True)
    holder = fields.String(dump_only=True, metadata={"description": "masked: 김*수"})
    period_start = fields.Date(dump_only=True)
    period_end = fields.Date(dump_only=True)
    total_minutes = fields.Integer(dump_only=True)
    issued_on = fields.Date(dump_only=True)
    state = fields.String(dump_only=True)
    valid = fields.Boolean(dump_only=True)
    superseded_by = fields.String(dump_only=True, allow_none=True)


@blueprint.route("/me/certificates", methods=["POST"])
@requires("volunteer")
@blueprint.arguments(CertificateRequestSchema)
@blueprint.response(201, CertificateSchema)
def issue_my_certificate(body):
    """Issue a certificate of my approved hours in a period (the standing one if nothing changed)."""
    return certificates.issue_certificate(
        get_session(), my_volunteer_id(), body["period_start"], body["period_end"], actor=current_actor(),
        centre_name=current_app.config["CENTRE_NAME"],
    )


@blueprint.route("/me/certificates", methods=["GET"])
@requires("volunteer")
@blueprint.response(200, CertificateListSchema)
def list_my_certificates():
    """List my certificates, newest first."""
    return {"items": certificates.list_certificates(get_session(), my_volunteer_id())}


@blueprint.route("/certificates/<serial>/verification", methods=["GET"])
@limiter.limit(VERIFY_LIMIT_PER_IP)
@blueprint.response(200, VerificationSchema)
@blueprint.doc(security=[])
def verify(serial):
    """Verify a certificate's serial: masked holder, period, total hours and whether it still stands."""
    return certificates.verify_certificate(get_session(), serial)


# --- pages ----------------------------------------------------------------------------------

def _hours(minutes: int, language: str) -> str:
    return i18n.format_duration(minutes, language)


def _printable(serial: str):
    """Return the certificate a print link opens, and the page's context.

    :raises CertificateLinkInvalid:
    :raises CertificateNotFound:
    """
    try:
        claims = token_signer().verify(request.args.get("token", ""), token_type=certificates.CERTIFICATE_PRINT_TOKEN)
    except (TokenExpired, TokenInvalid) as error:
        raise CertificateLinkInvalid() from error
    certificate = certificates.get_certificate(get_session(), serial)
    if claims.get("sub") != f"certificate:{certificate.serial}":
        raise CertificateLinkInvalid()
    language = page_language()
    verify_url = url_for("certificate_pages.verify_page", serial=certificate.serial, _external=True)
    qr_data = base64.b64encode(render_qr_png(verify_url)).decode()
    return language, {
        "certificate": certificate, "verify_url": verify_url, "qr_data": qr_data,
        "hours": lambda m: _hours(m, language), "seoul": SEOUL,
        "pdf_url": url_for("certificate_pages.certificate_pdf", serial=certificate.serial,
                           token=request.args.get("token", "")),
    }


@pages.get("/certificates/<serial>/print")
def print_certificate(serial):
    """Render the printable A4 certificate, opened through a signed print link."""
    language, context = _printable(serial)
    return render_page("certificates/certificate.html", language=language, messages={}, **context)


@pages.get("/certificates/<serial>/certificate.pdf")
def certificate_pdf(serial):
    """Return the same certificate as a PDF (A4, the system's Korean fonts), through the same signed link.

    :raises CertificatePdfUnavailable: WeasyPrint (the `pdf` extra) is not installed.
    """
    language, context = _printable(serial)
    try:
        import weasyprint
    except ImportError as error:
        raise CertificatePdfUnavailable() from error
    html = render_template("certificates/certificate.html", lang=language, pdf=True, **context)
    stylesheet = Path(pages.root_path) / "static" / "certificate.css"
    document = weasyprint.HTML(string=html, base_url=request.url_root).write_pdf(
        stylesheets=[weasyprint.CSS(filename=str(stylesheet))]
    )
    response = make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{context["certificate"].serial}.pdf"'
    return add_page_headers(response)


@pages.get("/verify/<serial>")
@limiter.limit(VERIFY_LIMIT_PER_IP)
def verify_page(serial):
    """Show anyone holding a serial whether the certificate stands, and nothing else of the holder."""
    language = page_language()
    try:
        verification = certificates.verify_certificate(get_session(), serial)
    except CertificateNotFound:
        verification = None
    response = render_page(
        "certificates/verify.html", language=language, messages={}, verification=verification, serial=serial[:40],
        hours=lambda m: _hours(m, language),
    )
    if verification is None:
        response.status_code = 404
    return response

