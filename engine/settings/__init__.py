"""The program file: `tandem.toml`, the settings every command of a program folder reads.

- `program_file`: find `tandem.toml` in a folder or its parents, read it with `tomllib`,
  validate it (every problem at once, with its line and a "did you mean"), and return a
  frozen `ProgramSettings`;
- `calendar`: the program's dates as pure checks: a day outside the program, the pairs that
  are due for a check-in or an outcome, the my-job-day visits of the coming week.

In: a folder, the file's bytes, plain records of the program's state. Out: plain values.
It imports only `engine.base`.
"""
