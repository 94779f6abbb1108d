"""Read QR codes from images the way a counter scanner in QR mode does."""

from __future__ import annotations

import io

import PIL.Image
import zxingcpp


def read_qr_codes(image: bytes | str | object) -> list[str]:
    """Texts of the QR codes in a PNG (bytes), an image file (path) or an opened image."""
    if isinstance(image, bytes):
        image = io.BytesIO(image)
    if not isinstance(image, PIL.Image.Image):
        image = PIL.Image.open(image)
    # Only QR: with every format enabled, zxing-cpp now and then also "finds" a Codabar or ITF
    # barcode in the QR modules, which no scanner set to QR would.
    return [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def read_one_qr_code(image: bytes | str | object) -> str:
    """The text of the one QR code in an image."""
    (text,) = read_qr_codes(image)
    return text
