"""Jupyter notebooks as assignments: which code runs at grading time, importing a
notebook as a module inside the sandbox, and the student notebook made from the solution."""
