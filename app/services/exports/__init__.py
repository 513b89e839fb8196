"""A finished comic as files: PDF, CBZ, page PNGs and JSON."""
