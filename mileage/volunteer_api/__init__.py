"""The volunteer's own card: balance, history, claims, PIN, statement, QR card, mobile page."""


def register_volunteer_api(app, api) -> None:
    """Register the volunteer API blueprints and pages on the app."""
