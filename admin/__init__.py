"""Staff API and console: volunteers, cards, hours approvals, donations, merchants, reports."""


def register_admin(app, api) -> None:
    """Register the staff API blueprints and the console on the app."""
    from admin.console.views import blueprint as console_blueprint
    from admin.donations.views import blueprint as donations_blueprint
    from admin.hours.views import blueprint as hours_blueprint
    from admin.merchants.views import blueprint as merchants_blueprint
    from admin.oversight.views import blueprint as oversight_blueprint
    from admin.programme.views import blueprint as programme_blueprint
    from admin.reports.views import blueprint as reports_blueprint
    from admin.site.page import blueprint as site_page_blueprint
    from admin.site.views import blueprint as site_blueprint
    from admin.users.views import blueprint as users_blueprint

    api.register_blueprint(donations_blueprint)
    api.register_blueprint(hours_blueprint)
    api.register_blueprint(merchants_blueprint)
    api.register_blueprint(oversight_blueprint)
    api.register_blueprint(programme_blueprint)
    api.register_blueprint(reports_blueprint)
    api.register_blueprint(users_blueprint)
    api.register_blueprint(site_blueprint)
    # A plain Flask blueprint: the console's pages are not part of the OpenAPI document.
    app.register_blueprint(console_blueprint)
    app.register_blueprint(site_page_blueprint)
