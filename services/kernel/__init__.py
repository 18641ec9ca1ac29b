"""The small kernel every other package builds on: settings, the fiscal calendar, My Number
privacy, tabular file reading, the seed data from the meeting material (``seed/``), the programme list,
and what the command-line interfaces share (``cli``: a Japanese argument parser, one-line errors)."""
