"""QR code images (PNG and SVG) of the payloads a shop scans: dynamic tokens and printed card numbers."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.image.svg

# Medium error correction survives a scratched card or a cracked phone screen without making the
# symbol of a ~200-character token too dense for a cheap counter scanner.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
# Pixels per module in the PNG; 8 keeps a token's symbol near 500 px, sharp on a phone screen.
PNG_BOX_SIZE = 8
# One millimetre per module in the SVG: a printed card number's symbol is about 3 cm wide.
SVG_BOX_SIZE = 10
# The quiet zone the QR standard asks for, in modules.
QUIET_ZONE = 4


def _qr_code(payload: str, *, box_size: int) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=QUIET_ZONE)
    code.add_data(payload)
    code.make(fit=True)
    return code


def render_qr_png(payload: str) -> bytes:
    """Return a black-on-white PNG of a QR code holding the payload."""
    image = _qr_code(payload, box_size=PNG_BOX_SIZE).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def render_qr_svg(payload: str) -> bytes:
    """Return a standalone SVG document (one path, scales without blur) of a QR code holding the payload."""
    image = _qr_code(payload, box_size=SVG_BOX_SIZE).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
