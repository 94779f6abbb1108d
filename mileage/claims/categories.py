"""The usual kinds of volunteering, offered on the kiosk and the volunteer's own claim form."""

from mileage.i18n import NP_

# The usual kinds of volunteering, offered at check-in (the chosen name is stored on the claim).
CATEGORIES = (
    NP_("site_category", "Welfare"),
    NP_("site_category", "Environment"),
    NP_("site_category", "Education"),
    NP_("site_category", "Health"),
    NP_("site_category", "Culture & sport"),
    NP_("site_category", "Safety"),
    NP_("site_category", "Office support"),
)
