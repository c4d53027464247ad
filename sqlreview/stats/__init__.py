"""Production sizes and duration estimates.

``model`` holds the plain data a snapshot is made of (one ``TableStats`` per
table), ``estimate`` turns a kind of work on a table into seconds with a
``Calibration`` of the machine's throughput.
"""
