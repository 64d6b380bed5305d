"""Side-by-side benchmarks: every row is timed against a straightforward reference in the same
process (median of repeats); peak memory is measured in a fresh subprocess per variant."""
