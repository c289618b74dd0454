"""The Excel face: UDFs, the Billing ribbon, the add-in file and its install.

Only `xlwings_shell.py` touches xlwings objects (and only inside Excel); everything else is plain Python
that runs and is tested anywhere.
"""
