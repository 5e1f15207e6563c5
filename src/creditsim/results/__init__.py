"""Results: the Dataset of a run, risk measures, strategy comparisons, saving and loading."""
