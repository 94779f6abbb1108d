"""Volunteer mileage: approved volunteer hours become points on a card."""
