"""walnats benchmarks: walnats against hand-written nats-py code, in the same run.

Run ``scripts/bench`` (or ``python -m benchmarks --help``); see docs/performance.md.
Not part of the test suite: numbers depend on the machine and never fail a build.
"""
