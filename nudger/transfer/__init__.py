"""Moving the job hunt in and out of nudger.

- `importing.import_file`: the entry point of `nudger import` (CSV or nudger JSON);
- CSV in: `csv_in` (the import itself) with its parts `decoding` (encodings, delimiter),
  `columns` (header names → fields), `stagewords` (status words → stages), `datereader`
  (the dates of one file), `matching` (rows already there), `options` and `report`;
- `json_io`: nudger's own JSON, out (`export_data`) and in (`import_json`);
- `csv_out`: the spreadsheet-safe CSV export.

Nothing here reads the clock: `today` and `now` are passed in.
"""
