"""icr: intelligent character recognition for receipts and forms."""
