"""Partner-shop API: QR scan, quote, redeem, refund, settlement, and the counter page."""


def register_merchant_api(app, api) -> None:
    """Register the shop API blueprints and the counter page on the app."""
