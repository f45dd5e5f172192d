"""Shipped scorer weights (numpy), their evaluation report and model card."""
