"""Spreadsheet files at the byte level: reading whatever people send (.xlsx, .xls, .ods,
WPS; sheetfile), patching changed rows into the register package (patch) and grafting
generated sheets and formats into it (graft). May import config and domain only.
"""
