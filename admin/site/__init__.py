"""The site kiosk: check volunteers in and out at the volunteering site, and upload a sheet of hours."""
