"""Read QR codes from images the way a counter scanner in QR mode does."""

from __future__ import annotations

import io
from pathlib import Path

import PIL.Image
import zxingcpp


def read_qr_codes(image: bytes | Path) -> list[str]:
    """Return the texts of the QR codes in a PNG's bytes or an image file."""
    opened = PIL.Image.open(io.BytesIO(image) if isinstance(image, bytes) else image)
    # Only QR: with every format enabled, zxing-cpp now and then also "finds" a Codabar or ITF
    # barcode in the QR modules, which no scanner set to QR would.
    return [result.text for result in zxingcpp.read_barcodes(opened, formats=zxingcpp.BarcodeFormat.QRCode)]


def read_one_qr_code(image: bytes | Path) -> str:
    """Return the text of the one QR code in an image."""
    texts = read_qr_codes(image)
    assert len(texts) == 1, texts
    return texts[0]
