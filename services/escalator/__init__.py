"""The escalator: turns unmet needs, stale data, full shelters, hazard warnings and missed
acknowledgements into leveled escalations routed to the partners who must act."""
