"""The bookstore's Lambda code: domain logic, data access and HTTP/stream transport."""
