"""Where the wheel carries the notebooks, the data and the additions (see kit.paths)."""
