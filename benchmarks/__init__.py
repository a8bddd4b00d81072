"""Benchmarks: synthetic cohorts and the contenders tandem is measured against."""
