"""Volunteers' cards: numbers, lookup and locks, issue to reissue, PINs, QR codes, the volunteer's own card and
statement."""
