from sqlreview.cli import entry_point

entry_point()
