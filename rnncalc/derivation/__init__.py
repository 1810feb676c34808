"""The derivation layer: formula trees, names, the inert model, and derive() that fills it step by step."""
