"""Failover drills: drive real user journeys, inject a regional fault, measure RTO, RPO and
integrity, and write a report (design section 6, issue 7)."""
