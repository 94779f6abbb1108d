"""Reports for staff and auditors; every point figure is a sum of ledger postings, so it reconciles."""
