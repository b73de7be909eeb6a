"""Tools for tool-augmented judges (Themis, Li et al. ICLR 2024): registry, the authors' tools, trace format."""
