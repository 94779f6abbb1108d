"""Card tiers (일반 / 그린 / 골드 ...): defined by the rule set by certified hours, kept by a yearly condition."""
