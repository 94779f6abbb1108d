"""Staff side of partner shops: registration, status, offers, terminals, settlement and closing."""
