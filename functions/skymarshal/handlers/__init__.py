"""One thin module per Lambda: parse the input, call one step in skymarshal.steps, return a model."""
