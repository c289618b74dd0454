"""Reading and writing .xlsx files: the calamine reader (and its parallel sheet read), the safe zip-part
writer that keeps every part it does not own byte for byte, the blank-workbook template and the demo book."""
