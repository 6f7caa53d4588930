"""The file-import pipeline (R-3.2, R-12.4): read CSV/XLSX, map headers, validate and
write row by row with a result for every row. Customer import lives here; the visits
import reuses reading, columns, parsing and pipeline.
"""
