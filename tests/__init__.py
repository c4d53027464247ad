"""sqlreview test suite."""
