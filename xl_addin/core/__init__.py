"""The analytics core: pandas/numpy only, no file or Excel I/O."""
