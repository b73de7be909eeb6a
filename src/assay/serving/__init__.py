"""Local inference servers started by assay's tests and bench scripts (loopback only)."""
