"""The pure billing domain: the only place billing rules live.

Nothing here reads or writes a file, starts a process or a thread, or imports a spreadsheet, Word, terminal
or Excel library (tests/test_architecture.py enforces it). It takes the workbook as typed data (`book.Book`)
and returns data: findings, ledgers, fees, dunning decisions, statements and the contents of report sheets.
"""
