"""Jobs: the runner that records their progress and ends, the per-owner quota, and the events that announce changes."""
