"""Staff API for donations: causes, conversions on a volunteer's behalf, campaigns, disbursements."""
