"""HTTP transport: the API Gateway HTTP API (payload 2.0) resolver, routes and error mapping."""
