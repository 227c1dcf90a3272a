"""The `bookstore` command line: operator tools around the Lambda code."""
