"""Data access: DynamoDB repositories and the Redis client. No HTTP and no business rules."""
