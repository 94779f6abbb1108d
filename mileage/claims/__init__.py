"""Hours claims: the rules they meet, submission, review into points, the review queue, imports from files."""
