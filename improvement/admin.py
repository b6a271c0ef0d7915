"""The improvement registers are written through their services; the admin only reads them."""
