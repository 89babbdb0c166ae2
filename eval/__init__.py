"""Eval stage: gold sets, metrics, benchmarks, and the `tracuu` command line on top."""
