"""What the tests share: one CLI runner (`cli`), one Django-project builder (`projects`), one
waiter (`waiting`). A test module imports from here, never from another test module
(tests/test_architecture.py)."""
