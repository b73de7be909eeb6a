"""Local inference servers started by assay\x27s tests and bench scripts (loopback only)."""
