"""The compute layer: the problem a user poses, and the numbers (forward sweep, backward deltas)."""
