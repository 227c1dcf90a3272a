"""Failover drills: drive real user journeys, inject a regional fault, measure RTO, RPO and
integrity, and write a report (docs/drill.md)."""
