"""Staff API: the programme's rule sets (versions, presets, what-if) and card tiers."""
