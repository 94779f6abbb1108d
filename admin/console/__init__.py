"""The staff console: server-rendered pages for volunteer-centre staff (Korean first), at /console."""
