"""Test doubles that stand in for what the product reaches outside Python (the Docker engine,
the loop-mounted artifact volume). Never imported by the product."""
