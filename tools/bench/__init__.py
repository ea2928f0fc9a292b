"""make bench: every figure beside its baseline, measured in one run; medians over repeats, ratios, goals.

Each benchmark is a small registered function (core.benchmark) that yields Figures; one that cannot run here (no
PostgreSQL, no redis-server, a chapter not merged yet) yields a skipped Figure with its reason, never a number.
"""
