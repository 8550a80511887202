"""simulator: plays scenarios into the ingress topics the way partners would (signed)."""
