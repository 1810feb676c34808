"""Stands in for PyTorch where the docs must not depend on it: importing it fails as if absent."""

raise ImportError("PyTorch is hidden while the docs are made")
