"""The rules engine: pure Python, no Django import. Plain data in, plain data with its
explanation out. See docs/architecture.md ("The rules engine")."""
