"""Donations: causes, donating points, campaigns, and the disbursements that hand causes over."""
