"""The gateway's versioned policy: the version in force, its decisions, its drafting and approval."""
