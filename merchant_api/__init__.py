"""Partner-shop API: QR scan, quote, redeem, refund, settlement, and the counter page."""


def register_merchant_api(app, api) -> None:
    """Register the shop API blueprints and the counter page on the app."""
    from merchant_api.counter import blueprint as counter_blueprint
    from merchant_api.views import blueprint as api_blueprint

    api.register_blueprint(api_blueprint)
    # A plain Flask blueprint: the page is not part of the OpenAPI document.
    app.register_blueprint(counter_blueprint)
