"""Use cases in plain Python. No `import reflex` below this line."""
