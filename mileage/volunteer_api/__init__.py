"""The volunteer's own card: balance, history, claims, PIN, statement, QR card, mobile page."""


def register_volunteer_api(app, api) -> None:
    """Register the volunteer API blueprints and pages on the app."""
    from mileage.volunteer_api.certificates import blueprint as certificates_blueprint
    from mileage.volunteer_api.certificates import pages as certificate_pages
    from mileage.volunteer_api.donations import blueprint as donations_blueprint
    from mileage.volunteer_api.intake import blueprint as intake_blueprint
    from mileage.volunteer_api.pages import blueprint as pages_blueprint
    from mileage.volunteer_api.views import blueprint as api_blueprint

    api.register_blueprint(api_blueprint)
    api.register_blueprint(donations_blueprint)
    api.register_blueprint(certificates_blueprint)
    api.register_blueprint(intake_blueprint)
    # A plain Flask blueprint: pages are not part of the OpenAPI document.
    app.register_blueprint(pages_blueprint)
    app.register_blueprint(certificate_pages)
