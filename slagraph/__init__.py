"""slagraph: a hierarchical, multilevel SLA rules engine."""
