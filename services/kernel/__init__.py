"""The small kernel every other package builds on: settings, the fiscal calendar, My Number
privacy, tabular file reading, the seed data from the meeting material, and the programme list."""
