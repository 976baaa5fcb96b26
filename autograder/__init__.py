"""nlpgrade: auto-grading for the CS224N-style NLP assignments."""
