"""Realistic demo data for a district volunteer centre (`mileage demo`)."""
