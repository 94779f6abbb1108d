"""Staff reports API: JSON and CSV, for staff, admins and auditors."""
