"""Staff API and console: volunteers, cards, hours approvals, donations, merchants, reports."""


def register_admin(app, api) -> None:
    """Register the staff API blueprints and the console on the app."""
