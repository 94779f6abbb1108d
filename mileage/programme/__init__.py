"""The programme's rules as data: effective-dated rule sets (earning bands, caps, the claim switches,
categories, tiers), the replay that turns certified minutes into points, presets, and what-if."""
