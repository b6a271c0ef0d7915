"""Management reviews are written through their services (history, sign-offs); the admin shows none of them,
as for the governance and improvement registers."""
