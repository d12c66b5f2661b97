"""`photofind eval`: retrieval quality on labelled train/test folders, and its scores."""
