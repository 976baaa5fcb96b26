"""Check helpers used by graded tests: arrays, gradients, timing."""
